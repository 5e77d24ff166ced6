import { openFileSource, type ByteSource } from '../../io/byteSource';
import { FormatError, clip } from '../../io/formatError';
import { looksLikeZip, openZip, type ZipArchive, type ZipEntry } from '../../io/zip';
import { DTYPES, elementCount } from '../../tensors/dtype';
import { StoredCheckpoint, type StoredTensor } from '../../tensors/storedTensor';
import type { Checkpoint } from '../checkpoint';
import { locateTensors, type LocatedTensor } from './locateTensors';
import { readLegacy, startsLegacy } from './legacyFormat';
import { MAX_PICKLE_BYTES, unpickle } from './pickle';
import type { PickleValue } from './pickleValues';
import { torchGlobals, torchPersistentLoad } from './torchGlobals';

/**
 * Reads the zip archive torch.save writes since PyTorch 1.6 (`.pt`, `.pth`, `.bin`, `.ckpt`):
 * `<prefix>/data.pkl` describes the objects, `<prefix>/data/<key>` holds each storage's raw
 * bytes; and the legacy format before it (legacyFormat.ts). Only the pickles are read on
 * opening; tensor bytes are read when asked for.
 */

/** Enough bytes for the legacy magic number's pickle under any protocol. */
const HEAD_BYTES = 64;
/** The `version` and `byteorder` members hold a word. */
const MAX_SMALL_MEMBER = 64;
const LISTED_MEMBERS = 5;
const LISTED_SHARED_GROUPS = 5;

export async function openPytorch(file: string): Promise<Checkpoint> {
  const source = await openFileSource(file);
  try {
    const head = await source.read(0, Math.min(HEAD_BYTES, source.size));
    if (looksLikeZip(head)) return await readArchive(file, await openZip(source), source);
    if (startsLegacy(file, head)) return await readLegacyFile(file, source);
    throw notAnArchive(file, head);
  } catch (error) {
    await source.close();
    throw error;
  }
}

/** Explains what a file that is not a zip archive is instead. */
function notAnArchive(file: string, head: Uint8Array): FormatError {
  if (head.length === 0) return new FormatError(file, 'is empty');
  if (head[0] === 0x80) {
    return new FormatError(
      file,
      'is a bare pickle, not the zip archive torch.save writes since PyTorch 1.6; save the weights with torch.save(model.state_dict(), path)',
    );
  }
  return new FormatError(file, 'is neither a zip archive (the format torch.save writes since PyTorch 1.6) nor a pickle, so it is not a PyTorch checkpoint');
}

function memberList(zip: ZipArchive): string {
  const names = zip.entries.slice(0, LISTED_MEMBERS).map((e) => `'${clip(e.name)}'`).join(', ');
  return zip.entries.length > LISTED_MEMBERS ? `${names}, ...` : names;
}

/** The archive's data.pkl, refusing TorchScript and archives that are not checkpoints. */
function findDataPickle(file: string, zip: ZipArchive): ZipEntry {
  if (zip.entries.some((e) => /^[^/]+\/(code\/|constants\.pkl$)/.test(e.name))) {
    throw new FormatError(
      file,
      'is a TorchScript archive (torch.jit.save), whose model is code that Merge Lens never runs; extract the weights with torch.save(torch.jit.load(path).state_dict(), out) and open that file',
    );
  }
  const pickle = zip.entries.find((e) => /^[^/]+\/data\.pkl$/.test(e.name));
  if (pickle) return pickle;
  if (zip.entries.some((e) => e.name.endsWith('.npy'))) {
    throw new FormatError(file, 'is a zip archive of .npy arrays (a NumPy .npz file), not a PyTorch checkpoint; give it the .npz extension');
  }
  throw new FormatError(
    file,
    `is a zip archive without a data.pkl member, so it is not a PyTorch checkpoint${zip.entries.length > 0 ? ` (its members: ${memberList(zip)})` : ' (it is empty)'}`,
  );
}

async function readMember(zip: ZipArchive, entry: ZipEntry): Promise<Uint8Array> {
  return (await zip.open(entry)).read(0, entry.size);
}

/** A one-word member (`version`, `byteorder`), or undefined when there is none. */
async function readWord(file: string, zip: ZipArchive, name: string): Promise<string | undefined> {
  const entry = zip.find(name);
  if (!entry) return undefined;
  if (entry.size > MAX_SMALL_MEMBER) throw new FormatError(file, `member '${clip(name)}' is ${entry.size} bytes; it should hold a single word`);
  return Buffer.from(await readMember(zip, entry)).toString('latin1').trim();
}

async function readArchive(file: string, zip: ZipArchive, source: ByteSource): Promise<Checkpoint> {
  const pickleEntry = findDataPickle(file, zip);
  const prefix = pickleEntry.name.slice(0, -'/data.pkl'.length);
  if (pickleEntry.size > MAX_PICKLE_BYTES) {
    throw new FormatError(file, `'${clip(pickleEntry.name)}' is ${pickleEntry.size} bytes, more than the ${MAX_PICKLE_BYTES}-byte limit for a checkpoint's pickled metadata`);
  }

  const metadata: Record<string, string> = {};
  const version = await readWord(file, zip, `${prefix}/version`);
  if (version !== undefined) metadata.archive_version = version;
  const byteorder = await readWord(file, zip, `${prefix}/byteorder`);
  if (byteorder !== undefined && byteorder !== 'little' && byteorder !== 'big') {
    throw new FormatError(file, `member '${clip(prefix)}/byteorder' says '${clip(byteorder)}'; it should say 'little' or 'big'`);
  }
  if (byteorder !== undefined) metadata.byteorder = byteorder;

  const root = unpickle(await readMember(zip, pickleEntry), {
    file,
    what: pickleEntry.name,
    findGlobal: torchGlobals(file),
    persistentLoad: torchPersistentLoad(file),
  });
  const storage = (name: string, key: string): Promise<ByteSource> => {
    const entry = zip.find(`${prefix}/data/${key}`);
    if (!entry) throw new FormatError(file, `tensor '${clip(name)}' refers to storage '${clip(key)}', but the archive has no member '${clip(`${prefix}/data/${key}`)}'`);
    return zip.open(entry);
  };
  return toCheckpoint(file, source, root, storage, metadata, byteorder === 'big');
}

async function readLegacyFile(file: string, source: ByteSource): Promise<Checkpoint> {
  const { root, storages } = await readLegacy(source);
  const storage = async (name: string, key: string): Promise<ByteSource> => {
    const found = storages.get(key);
    if (!found) throw new FormatError(file, `tensor '${clip(name)}' refers to storage '${clip(key)}', which the file's list of storages leaves out`);
    return found;
  };
  return toCheckpoint(file, source, root, storage, { serialization: 'legacy (before PyTorch 1.6)' }, false);
}

/** The checkpoint of an unpickled object whose storages' bytes `storage` finds (once per storage). */
async function toCheckpoint(
  file: string,
  source: ByteSource,
  root: PickleValue,
  storage: (name: string, key: string) => Promise<ByteSource>,
  metadata: Readonly<Record<string, string>>,
  bigEndian: boolean,
): Promise<Checkpoint> {
  const located = locateTensors(file, root);
  const storages = new Map<string, ByteSource>();
  const stored: StoredTensor[] = [];
  for (const { name, tensor } of located.tensors) {
    const { key } = tensor.storage;
    let bytes = storages.get(key);
    if (!bytes) {
      bytes = await storage(name, key);
      // torch.save writes each storage whole; a shorter member is cut, which a view that reaches
      // only part of the storage would not notice.
      const { numel, dtype: storageDtype } = tensor.storage;
      const elementBytes = DTYPES[storageDtype ?? 'U8'].bytes;
      if (bytes.size !== numel * elementBytes) {
        throw new FormatError(
          file,
          `storage '${clip(key)}' holds ${bytes.size} bytes, but the pickle says ${numel} elements of ${elementBytes} bytes (${numel * elementBytes}); the file is truncated or corrupt`,
        );
      }
      storages.set(key, bytes);
    }
    const width = DTYPES[tensor.dtype].bytes;
    stored.push({
      info: { name, dtype: tensor.dtype, shape: tensor.shape, byteSize: elementCount(tensor.shape) * width },
      source: bytes,
      byteOffset: tensor.storageOffset * width,
      storedDtype: tensor.dtype,
      strides: tensor.strides,
      bigEndian,
    });
  }

  const notes = [...located.notes, ...sharedStorageNotes(located.tensors)];
  return new StoredCheckpoint(file, 'pytorch', stored, { ...located.metadata, ...metadata }, notes, [source]);
}

/** Tied weights and saved views share a storage; a merge needs to know they are one parameter. */
function sharedStorageNotes(tensors: readonly LocatedTensor[]): string[] {
  const byStorage = new Map<string, string[]>();
  for (const { name, tensor } of tensors) {
    const names = byStorage.get(tensor.storage.key);
    if (names) names.push(name);
    else byStorage.set(tensor.storage.key, [name]);
  }
  const groups = [...byStorage.values()].filter((names) => names.length > 1);
  const notes = groups
    .slice(0, LISTED_SHARED_GROUPS)
    .map((names) => {
      const shown = names.slice(0, LISTED_MEMBERS).map((n) => `'${clip(n)}'`).join(', ');
      const more = names.length > LISTED_MEMBERS ? ` and ${names.length - LISTED_MEMBERS} more` : '';
      return `tensors ${shown}${more} share one storage (tied weights or views of one tensor)`;
    });
  if (groups.length > LISTED_SHARED_GROUPS) notes.push(`${groups.length - LISTED_SHARED_GROUPS} more groups of tensors share a storage`);
  return notes;
}
