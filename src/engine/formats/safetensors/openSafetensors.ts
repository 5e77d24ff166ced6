import { openFileSource, type ByteSource } from '../../io/byteSource';
import { FormatError, clip, ensure } from '../../io/formatError';
import { DTYPES, elementCount, isDType, isValidShape, type DType } from '../../tensors/dtype';
import { StoredCheckpoint, type StoredTensor } from '../../tensors/storedTensor';
import type { Checkpoint } from '../checkpoint';
import { isJsonObject, parseJsonObject, quoteJson } from '../strictJson';

/** The reference implementation's bound on the JSON header. */
export const MAX_HEADER_BYTES = 100_000_000;

/** The element types the safetensors spec names (C128 is ours, not the spec's). */
const SPEC_DTYPES: ReadonlySet<DType> = new Set(
  (Object.keys(DTYPES) as DType[]).filter((dtype) => dtype !== 'C128'),
);

export interface SafetensorsHeader {
  /** `__metadata__`, or empty when there is none. */
  readonly metadata: Record<string, string>;
  /** In file order (by data offset), pointing into the source they were parsed from. */
  readonly tensors: StoredTensor[];
}

interface Entry {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: number[];
  readonly begin: number;
  readonly end: number;
}

function parseMetadata(file: string, value: unknown): Record<string, string> {
  // The reference reads `__metadata__` as an optional map, so an explicit null means none.
  if (value === undefined || value === null) return {};
  ensure(isJsonObject(value), file, '__metadata__ is not an object of strings');
  const metadata: Record<string, string> = {};
  for (const [key, text] of Object.entries(value)) {
    ensure(typeof text === 'string', file, `__metadata__ entry '${clip(key)}' is not a string`);
    metadata[key] = text;
  }
  return metadata;
}

function parseEntry(file: string, name: string, value: unknown, dataBytes: number): Entry {
  const tensor = `tensor '${clip(name)}'`;
  ensure(isJsonObject(value), file, `${tensor} is not described by an object`);
  const { dtype, shape, data_offsets: offsets } = value;
  ensure(typeof dtype === 'string', file, `${tensor} has no dtype string`);
  ensure(isDType(dtype) && SPEC_DTYPES.has(dtype), file, () => `${tensor} has the unknown dtype '${clip(dtype)}'`);
  ensure(isValidShape(shape), file, () => `${tensor} has an invalid shape ${quoteJson(shape)}`);
  ensure(
    Array.isArray(offsets) && offsets.length === 2 && offsets.every((o) => Number.isSafeInteger(o) && o >= 0),
    file,
    () => `${tensor} has invalid data_offsets ${quoteJson(offsets)} (two non-negative integers expected)`,
  );
  const [begin, end] = offsets as [number, number];
  ensure(begin <= end, file, `${tensor} has data_offsets [${begin}, ${end}] that end before they begin`);
  const needed = elementCount(shape) * DTYPES[dtype].bytes;
  ensure(
    end - begin === needed,
    file,
    () => `${tensor} (${dtype}, shape [${clip(shape.join(', '))}]) needs ${needed} bytes but its data_offsets [${begin}, ${end}] span ${end - begin}`,
  );
  ensure(
    end <= dataBytes,
    file,
    `${tensor} has data_offsets [${begin}, ${end}] past the end of the data (${dataBytes} bytes); the file is truncated or its header lies`,
  );
  return { name, dtype, shape, begin, end };
}

/**
 * Parses and checks a safetensors header read through `source`; `file` names it in messages.
 * Reads only the header: tensor bytes stay in the source until asked for.
 */
export async function readSafetensorsHeader(source: ByteSource, file: string): Promise<SafetensorsHeader> {
  ensure(source.size >= 8, file, `is ${source.size} bytes long, too short for the 8-byte safetensors header length`);
  const lengthBytes = await source.read(0, 8);
  const declared = new DataView(lengthBytes.buffer, lengthBytes.byteOffset, 8).getBigUint64(0, true);
  ensure(declared <= BigInt(MAX_HEADER_BYTES), file, `header length ${declared} is above the ${MAX_HEADER_BYTES}-byte limit`);
  const headerBytes = Number(declared);
  ensure(headerBytes <= source.size - 8, file, `header length ${headerBytes} is larger than the file (${source.size} bytes)`);
  const header = parseJsonObject(file, await source.read(8, headerBytes), 'header');

  const dataStart = 8 + headerBytes;
  const dataBytes = source.size - dataStart;
  let metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') metadata = parseMetadata(file, value);
    else entries.push(parseEntry(file, name, value, dataBytes));
  }

  // JSON key order carries no meaning; the data's order does. The reference demands that the
  // tensors tile the data exactly: no overlap, no gap, nothing after the last one.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: Entry | undefined;
  for (const entry of entries) {
    if (entry.begin < covered) {
      throw new FormatError(file, `tensor '${clip(entry.name)}' at bytes ${entry.begin}..${entry.end} overlaps tensor '${clip(previous!.name)}' at ${previous!.begin}..${previous!.end}`);
    }
    if (entry.begin > covered) {
      const after = previous ? ` after tensor '${clip(previous.name)}'` : ' at the start of the data';
      throw new FormatError(file, `${entry.begin - covered} bytes${after} belong to no tensor (tensor '${clip(entry.name)}' begins at ${entry.begin})`);
    }
    covered = entry.end;
    previous = entry;
  }
  ensure(
    covered === dataBytes,
    file,
    `the data holds ${dataBytes} bytes but its tensors cover only ${covered}; ${dataBytes - covered} bytes at the end belong to no tensor`,
  );

  const tensors = entries.map((entry): StoredTensor => ({
    info: { name: entry.name, dtype: entry.dtype, shape: entry.shape, byteSize: entry.end - entry.begin },
    source,
    byteOffset: dataStart + entry.begin,
    storedDtype: entry.dtype,
  }));
  return { metadata, tensors };
}

/** Opens a `.safetensors` file, reading its header only. */
export async function openSafetensors(file: string): Promise<Checkpoint> {
  const source = await openFileSource(file);
  try {
    const { metadata, tensors } = await readSafetensorsHeader(source, file);
    return new StoredCheckpoint(file, 'safetensors', tensors, metadata, [], [source]);
  } catch (error) {
    await source.close();
    throw error;
  }
}
