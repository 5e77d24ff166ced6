import { sliceSource, type ByteSource } from '../../io/byteSource';
import { clip, FormatError } from '../../io/formatError';
import { DTYPES } from '../../tensors/dtype';
import { MAX_PICKLE_BYTES, TruncatedPickle, unpickle, unpickleNext, type UnpickleOptions } from './pickle';
import { PickleTuple, type PickleValue } from './pickleValues';
import { describe, storageReference, torchGlobals, type TorchStorage } from './torchGlobals';

/**
 * Reads the legacy torch.save format (PyTorch before 1.6, or `_use_new_zipfile_serialization=False`):
 * five pickles in a row (a magic number, the format's version 1001, system information, the object
 * with its storages as persistent ids, the list of storage keys), then each listed storage as an
 * 8-byte little-endian element count followed by its elements, little-endian.
 */

/** The first pickle of a legacy file. */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_VERSION = 1001;
/** The first read of a pickle; a larger one doubles until its STOP is in. */
const FIRST_READ = 1 << 20;
const COUNT_BYTES = 8;

/** Whether the file's first bytes (64 are enough under any protocol) are a legacy file's magic number. */
export function startsLegacy(file: string, head: Uint8Array): boolean {
  try {
    return unpickle(head, { file, what: 'the start of the file', findGlobal: torchGlobals(file) }) === LEGACY_MAGIC;
  } catch {
    return false;
  }
}

export interface LegacyContents {
  /** The unpickled object, its storages TorchStorages. */
  readonly root: PickleValue;
  /** Each listed storage's elements, by key. */
  readonly storages: ReadonlyMap<string, ByteSource>;
}

/**
 * The pickle that starts at `offset`. Only as much of the file is read as it needs: its end is
 * unknown until its STOP, so a read that ends inside it is doubled, up to the pickle size limit.
 */
async function pickleAt(
  source: ByteSource,
  offset: number,
  what: string,
  persistentLoad?: UnpickleOptions['persistentLoad'],
): Promise<{ value: PickleValue; end: number }> {
  const { file } = source;
  const left = source.size - offset;
  const available = Math.min(left, MAX_PICKLE_BYTES);
  let length = Math.min(FIRST_READ, available);
  for (;;) {
    const bytes = await source.read(offset, length);
    try {
      const { value, end } = unpickleNext(bytes, { file, what, findGlobal: torchGlobals(file), persistentLoad });
      return { value, end: offset + end };
    } catch (error) {
      if (!(error instanceof TruncatedPickle)) throw error;
      if (length < available) {
        length = Math.min(length * 2, available);
        continue;
      }
      if (available < left) throw new FormatError(file, `${what} runs past the ${MAX_PICKLE_BYTES}-byte limit for a checkpoint's pickled metadata`);
      throw error;
    }
  }
}

/**
 * A legacy storage reference `('storage', type, key, location, numel, view)`. A storage met again
 * is the first one met, whose type PyTorch keeps too.
 */
function legacyPersistentLoad(file: string, storages: Map<string, TorchStorage>): (pid: PickleValue) => TorchStorage {
  return (pid) => {
    const items = pid instanceof PickleTuple ? pid.items : undefined;
    if (!items || items.length !== 6 || items[0] !== 'storage') {
      throw new FormatError(file, `has a persistent id that is not a storage reference ('storage', type, key, location, size, view): found ${describe(pid)}`);
    }
    const [, type, key, location, numel, view] = items;
    if (view !== null) {
      throw new FormatError(file, `storage '${clip(String(key))}' is saved as a view into another storage (as PyTorch before 1.0 did), which Merge Lens does not read; re-save the file with a recent PyTorch`);
    }
    const storage = storageReference(file, type!, key!, location!, numel!);
    const known = storages.get(storage.key);
    if (known) return known;
    storages.set(storage.key, storage);
    return storage;
  };
}

/** Reads a legacy file's pickles and finds where each storage's elements lie; the elements stay unread. */
export async function readLegacy(source: ByteSource): Promise<LegacyContents> {
  const { file } = source;
  const magic = await pickleAt(source, 0, 'the magic number');
  if (magic.value !== LEGACY_MAGIC) throw new FormatError(file, `does not start with the legacy torch.save magic number, found ${describe(magic.value)}`);
  const version = await pickleAt(source, magic.end, 'the format version');
  if (version.value !== LEGACY_VERSION) {
    throw new FormatError(file, `is in legacy torch.save format version ${describe(version.value)}; only ${LEGACY_VERSION} exists`);
  }
  const sysInfo = await pickleAt(source, version.end, 'the system information');

  const referenced = new Map<string, TorchStorage>();
  const object = await pickleAt(source, sysInfo.end, `the pickled object (at byte ${sysInfo.end})`, legacyPersistentLoad(file, referenced));
  const keyList = await pickleAt(source, object.end, `the storage list (at byte ${object.end})`);
  if (!Array.isArray(keyList.value)) throw new FormatError(file, `the storage list (at byte ${object.end}) is a ${describe(keyList.value)}, not a list`);

  const storages = new Map<string, ByteSource>();
  let at = keyList.end;
  for (const key of keyList.value) {
    const storage = typeof key === 'string' ? referenced.get(key) : undefined;
    if (!storage) throw new FormatError(file, `the storage list names ${typeof key === 'string' ? `'${clip(key)}'` : describe(key)}, which the pickled object never refers to`);
    if (storages.has(storage.key)) throw new FormatError(file, `the storage list names '${clip(storage.key)}' twice`);
    if (at + COUNT_BYTES > source.size) {
      throw new FormatError(file, `the file ends at byte ${source.size}, before the element count of storage '${clip(storage.key)}' at byte ${at}; it is truncated`);
    }
    const count = new DataView((await source.read(at, COUNT_BYTES)).slice().buffer).getBigUint64(0, true);
    const width = DTYPES[storage.dtype ?? 'U8'].bytes;
    const left = source.size - at - COUNT_BYTES;
    if (count * BigInt(width) > BigInt(left)) {
      throw new FormatError(
        file,
        `storage '${clip(storage.key)}' at byte ${at} claims ${count} elements of ${width} bytes, more than the ${left} bytes left in the file; the file is truncated or lies`,
      );
    }
    if (Number(count) !== storage.numel) {
      throw new FormatError(file, `storage '${clip(storage.key)}' at byte ${at} holds ${count} elements, but the pickled object says ${storage.numel}`);
    }
    storages.set(storage.key, sliceSource(source, at + COUNT_BYTES, storage.numel * width));
    at += COUNT_BYTES + storage.numel * width;
  }
  return { root: object.value, storages };
}
