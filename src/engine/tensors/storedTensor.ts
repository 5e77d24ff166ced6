import type { ByteSource } from '../io/byteSource';
import { FormatError, clip } from '../io/formatError';
import type { Checkpoint, CheckpointFormat, TensorData, TensorInfo } from '../formats/checkpoint';
import { DTYPES, decodeNative, elementCount, swapByteOrder, toFloat32, type DType } from './dtype';

/** Where and how one tensor's elements lie in a file: what each format's header resolves to. */
export interface StoredTensor {
  readonly info: TensorInfo;
  readonly source: ByteSource;
  /** Byte offset in `source` of element [0, 0, ...]. */
  readonly byteOffset: number;
  /** The element type of the bytes (differs from `info.dtype` only for quantized weights). */
  readonly storedDtype: DType;
  /** Element strides; absent for row-major contiguous data. */
  readonly strides?: readonly number[];
  /** False for big-endian NumPy data. */
  readonly bigEndian?: boolean;
  /**
   * TensorFlow.js affine quantization: value = q * scale + min, rounded to an integer when the
   * weight was int32 before quantization (as TensorFlow.js decodes it).
   */
  readonly affine?: { readonly scale: number; readonly min: number; readonly round?: boolean };
}

export function rowMajorStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let step = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = step;
    step *= shape[i]!;
  }
  return strides;
}

function isRowMajor(shape: readonly number[], strides: readonly number[] | undefined): boolean {
  if (!strides) return true;
  const expected = rowMajorStrides(shape);
  // Strides of size-1 dimensions never matter.
  return shape.every((d, i) => d === 1 || strides[i] === expected[i]);
}

/**
 * How many elements past element [0, ...] the tensor reaches: 1 + the largest offset any index
 * reaches, or 0 for an empty tensor.
 */
export function elementSpan(shape: readonly number[], strides: readonly number[]): number {
  if (shape.some((d) => d === 0)) return 0;
  let last = 0;
  shape.forEach((d, i) => (last += (d - 1) * strides[i]!));
  return last + 1;
}

/**
 * Copies a strided tensor's elements (`elementBytes` wide) out of `span`, which starts at
 * element [0, ...], into a fresh row-major buffer.
 */
export function gatherStrided(
  span: Uint8Array,
  elementBytes: number,
  shape: readonly number[],
  strides: readonly number[],
): Uint8Array {
  const count = elementCount(shape);
  const out = new Uint8Array(count * elementBytes);
  if (count === 0) return out;
  const rank = shape.length;
  const index = new Array<number>(rank).fill(0);
  let from = 0;
  for (let k = 0; k < count; k++) {
    const at = from * elementBytes;
    out.set(span.subarray(at, at + elementBytes), k * elementBytes);
    // Advance the multi-index like an odometer, updating the source offset incrementally.
    for (let axis = rank - 1; axis >= 0; axis--) {
      if (++index[axis]! < shape[axis]!) {
        from += strides[axis]!;
        break;
      }
      from -= (shape[axis]! - 1) * strides[axis]!;
      index[axis] = 0;
    }
  }
  return out;
}

/**
 * The most bytes an expanded view (a stride of 0, or strides whose elements overlap) may read as
 * beyond the bytes its data holds: a few bytes of storage must not become gigabytes in memory.
 * Real checkpoints expand small buffers (a [1, 512] position_ids), far below this.
 */
const MAX_EXPANDED_BYTES = 1 << 24;

/**
 * Checks, before anything is allocated, that a stored tensor's bytes lie inside its source, and
 * throws a FormatError naming the tensor otherwise. Every reader calls it for every tensor.
 */
export function validateStoredTensor(tensor: StoredTensor): void {
  const { info, source } = tensor;
  const width = DTYPES[tensor.storedDtype].bytes;
  const strides = tensor.strides ?? rowMajorStrides(info.shape);
  const name = `tensor '${clip(info.name)}'`;
  const shape = `shape [${clip(info.shape.join(', '))}]`;
  if (strides.length !== info.shape.length || strides.some((s) => !Number.isSafeInteger(s) || s < 0)) {
    throw new FormatError(source.file, `${name} has invalid strides [${clip(strides.join(', '))}] for ${shape}`);
  }
  const span = elementSpan(info.shape, strides);
  const spanBytes = span * width;
  if (!Number.isSafeInteger(tensor.byteOffset) || tensor.byteOffset < 0 || tensor.byteOffset + spanBytes > source.size) {
    throw new FormatError(
      source.file,
      `${name} (${shape}, ${tensor.storedDtype}) needs bytes ${tensor.byteOffset}..${tensor.byteOffset + spanBytes} but its data holds only ${source.size}`,
    );
  }
  const readBytes = elementCount(info.shape) * width;
  if (readBytes > spanBytes && readBytes > Math.max(source.size, MAX_EXPANDED_BYTES)) {
    throw new FormatError(
      source.file,
      `${name} (${shape}, strides [${clip(strides.join(', '))}]) repeats ${spanBytes} bytes of its storage as ${readBytes} bytes, more than its data holds (${source.size}); such an expanded view is read only up to ${MAX_EXPANDED_BYTES} bytes`,
    );
  }
}

/** Byte order applies to each scalar: a complex number's real and imaginary parts swap separately. */
function scalarWidth(dtype: DType): number {
  const { bytes, kind } = DTYPES[dtype];
  return kind === 'complex' ? bytes / 2 : bytes;
}

/** Row-major bytes as read, byte-swapped into a copy when the file is big-endian. */
function littleEndian(tensor: StoredTensor, bytes: Uint8Array): Uint8Array {
  if (!tensor.bigEndian) return bytes;
  const copy = Uint8Array.prototype.slice.call(bytes);
  swapByteOrder(copy, scalarWidth(tensor.storedDtype));
  return copy;
}

/** The largest number of bytes read at once while streaming a contiguous tensor. */
const STREAM_CHUNK_BYTES = 1 << 24;

/**
 * The shared implementation of Checkpoint over a list of stored tensors: each format only parses
 * its header into StoredTensors; reading, layout, byte order and conversion live here once.
 */
export class StoredCheckpoint implements Checkpoint {
  private readonly byName = new Map<string, StoredTensor>();
  readonly tensors: readonly TensorInfo[];

  constructor(
    readonly file: string,
    readonly format: CheckpointFormat,
    stored: readonly StoredTensor[],
    readonly metadata: Readonly<Record<string, string>>,
    readonly notes: readonly string[],
    private readonly sources: readonly ByteSource[],
  ) {
    for (const tensor of stored) {
      if (this.byName.has(tensor.info.name)) throw new FormatError(file, `tensor '${clip(tensor.info.name)}' appears twice`);
      validateStoredTensor(tensor);
      this.byName.set(tensor.info.name, tensor);
    }
    this.tensors = stored.map((t) => t.info);
  }

  info(name: string): TensorInfo {
    return this.stored(name).info;
  }

  private stored(name: string): StoredTensor {
    const tensor = this.byName.get(name);
    if (!tensor) throw new FormatError(this.file, `has no tensor named '${clip(name)}'`);
    return tensor;
  }

  /**
   * The tensor's stored elements, row-major, little-endian. The result may be a view of memory
   * the source keeps (an inflated zip member): callers decode it into fresh arrays.
   */
  private async rowMajorBytes(tensor: StoredTensor): Promise<Uint8Array> {
    const width = DTYPES[tensor.storedDtype].bytes;
    const { shape } = tensor.info;
    if (isRowMajor(shape, tensor.strides)) {
      return littleEndian(tensor, await tensor.source.read(tensor.byteOffset, elementCount(shape) * width));
    }
    const strides = tensor.strides!;
    const span = await tensor.source.read(tensor.byteOffset, elementSpan(shape, strides) * width);
    const gathered = gatherStrided(span, width, shape, strides);
    if (tensor.bigEndian) swapByteOrder(gathered, scalarWidth(tensor.storedDtype));
    return gathered;
  }

  private decodeFloat32(tensor: StoredTensor, bytes: Uint8Array): Float32Array {
    let values: Float32Array;
    try {
      values = toFloat32(tensor.storedDtype, bytes);
    } catch (error) {
      throw new FormatError(this.file, `tensor '${clip(tensor.info.name)}': ${(error as Error).message}`);
    }
    if (tensor.affine) {
      const { scale, min, round } = tensor.affine;
      if (round) for (let i = 0; i < values.length; i++) values[i] = Math.round(values[i]! * scale + min);
      else for (let i = 0; i < values.length; i++) values[i] = values[i]! * scale + min;
    }
    return values;
  }

  async read(name: string): Promise<TensorData> {
    const tensor = this.stored(name);
    const bytes = await this.rowMajorBytes(tensor);
    const data = tensor.affine || tensor.storedDtype !== tensor.info.dtype
      ? this.decodeFloat32(tensor, bytes)
      : decodeNative(tensor.storedDtype, bytes);
    return { dtype: tensor.affine ? 'F32' : tensor.info.dtype, shape: tensor.info.shape, data };
  }

  async readFloat32(name: string): Promise<Float32Array> {
    const tensor = this.stored(name);
    return this.decodeFloat32(tensor, await this.rowMajorBytes(tensor));
  }

  async streamFloat32(name: string, chunkElements: number, visit: (chunk: Float32Array) => void): Promise<void> {
    const tensor = this.stored(name);
    const width = DTYPES[tensor.storedDtype].bytes;
    const count = elementCount(tensor.info.shape);
    if (!isRowMajor(tensor.info.shape, tensor.strides) || count * width <= STREAM_CHUNK_BYTES) {
      const all = await this.readFloat32(name);
      for (let at = 0; at < all.length; at += chunkElements) visit(all.subarray(at, at + chunkElements));
      return;
    }
    const step = Math.max(1, Math.min(chunkElements, Math.floor(STREAM_CHUNK_BYTES / width)));
    for (let at = 0; at < count; at += step) {
      const n = Math.min(step, count - at);
      visit(this.decodeFloat32(tensor, littleEndian(tensor, await tensor.source.read(tensor.byteOffset + at * width, n * width))));
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.sources.map((source) => source.close()));
  }
}
