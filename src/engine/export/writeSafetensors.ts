import type { FileHandle } from 'node:fs/promises';
import { MAX_HEADER_BYTES } from '../formats/safetensors/openSafetensors';
import type { Params } from '../model/params';
import { elementCount, isValidShape } from '../tensors/dtype';
import { writeAtomically, type AtomicWriteOptions } from './atomicFile';
import { WriteError } from './writeError';

/** A tensor to write: float32 parameters, or the integer labels of a dataset file. */
export type WritableTensor =
  | { readonly name: string; readonly dtype: 'F32'; readonly shape: readonly number[]; readonly data: Float32Array }
  | { readonly name: string; readonly dtype: 'I32'; readonly shape: readonly number[]; readonly data: Int32Array }
  | { readonly name: string; readonly dtype: 'I64'; readonly shape: readonly number[]; readonly data: BigInt64Array };

export interface WriteSafetensorsOptions extends AtomicWriteOptions {
  /** Written as `__metadata__` (string to string, as the spec requires). */
  readonly metadata?: Readonly<Record<string, string>>;
}

/**
 * The reference writer's data order: descending by its dtype enum (which runs in increasing
 * alignment), then by name, so every tensor starts aligned to its element size.
 */
const DTYPE_RANK: Readonly<Record<WritableTensor['dtype'], number>> = { I32: 0, F32: 1, I64: 2 };

const WRITE_CHUNK = 1 << 24;

function tensorsOf(tensors: readonly WritableTensor[] | Params): readonly WritableTensor[] {
  if (!(tensors instanceof Map)) return tensors as readonly WritableTensor[];
  return [...(tensors as Params)].map(([name, t]) => ({ name, dtype: 'F32' as const, shape: t.shape, data: t.data }));
}

/** Names compare as the reference's Rust strings do: by UTF-8 bytes, not UTF-16 code units. */
function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function checkTensors(file: string, tensors: readonly WritableTensor[]): void {
  const seen = new Set<string>();
  for (const t of tensors) {
    if (t.name === '__metadata__') throw new WriteError(file, "a tensor cannot be named '__metadata__', the key the spec reserves for metadata");
    if (seen.has(t.name)) throw new WriteError(file, `tensor '${t.name}' is given twice`);
    seen.add(t.name);
    if (!isValidShape(t.shape)) throw new WriteError(file, `tensor '${t.name}' has an invalid shape ${JSON.stringify(t.shape)}`);
    const count = elementCount(t.shape);
    if (count !== t.data.length) {
      throw new WriteError(file, `tensor '${t.name}' has shape [${t.shape.join(', ')}] (${count} values) but ${t.data.length} values`);
    }
  }
}

/** The 8-byte length and the JSON header, padded with spaces so that the data starts 8-aligned. */
function headerBytes(file: string, ordered: readonly WritableTensor[], metadata: Readonly<Record<string, string>> | undefined): Buffer {
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of ordered) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded > MAX_HEADER_BYTES) throw new WriteError(file, `the header would be ${padded} bytes, above the ${MAX_HEADER_BYTES}-byte limit readers enforce`);
  const bytes = Buffer.alloc(8 + padded, 0x20);
  bytes.writeBigUInt64LE(BigInt(padded), 0);
  json.copy(bytes, 8);
  return bytes;
}

async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, done, Math.min(WRITE_CHUNK, bytes.length - done));
    done += bytesWritten;
  }
}

/**
 * Writes a .safetensors file as the reference implementation lays one out: the header's length
 * (u64 little-endian), the JSON header padded with spaces to a multiple of 8, then the tensors'
 * bytes back to back. `tensors` may be a Params map (written as F32). The file appears only when
 * complete (see writeAtomically); an existing file is replaced only with `overwrite: true`.
 */
export async function writeSafetensors(
  file: string,
  tensors: readonly WritableTensor[] | Params,
  options: WriteSafetensorsOptions = {},
): Promise<void> {
  const list = tensorsOf(tensors);
  checkTensors(file, list);
  const ordered = [...list].sort((a, b) => DTYPE_RANK[b.dtype] - DTYPE_RANK[a.dtype] || compareNames(a.name, b.name));
  const header = headerBytes(file, ordered, options.metadata);
  await writeAtomically(file, options, async (handle) => {
    await writeAll(handle, header);
    // Typed arrays hold little-endian bytes on every platform Node runs on, as the spec wants.
    for (const t of ordered) await writeAll(handle, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  });
}
