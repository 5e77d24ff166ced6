import type { DType } from '../../shared/dtypeNames';

/** The element type names (F32, BF16, ...), stated with the contract types in src/shared. */
export type { DType };

export type DTypeKind = 'float' | 'int' | 'uint' | 'bool' | 'complex';

export const DTYPES: Readonly<Record<DType, { readonly bytes: number; readonly kind: DTypeKind }>> = {
  F64: { bytes: 8, kind: 'float' },
  F32: { bytes: 4, kind: 'float' },
  F16: { bytes: 2, kind: 'float' },
  BF16: { bytes: 2, kind: 'float' },
  F8_E4M3: { bytes: 1, kind: 'float' },
  F8_E5M2: { bytes: 1, kind: 'float' },
  I64: { bytes: 8, kind: 'int' },
  I32: { bytes: 4, kind: 'int' },
  I16: { bytes: 2, kind: 'int' },
  I8: { bytes: 1, kind: 'int' },
  U64: { bytes: 8, kind: 'uint' },
  U32: { bytes: 4, kind: 'uint' },
  U16: { bytes: 2, kind: 'uint' },
  U8: { bytes: 1, kind: 'uint' },
  BOOL: { bytes: 1, kind: 'bool' },
  C64: { bytes: 8, kind: 'complex' },
  C128: { bytes: 16, kind: 'complex' },
};

export function isDType(name: string): name is DType {
  return Object.prototype.hasOwnProperty.call(DTYPES, name);
}

/**
 * A tensor's elements in their own type. F16 and BF16 come as their raw 16-bit patterns, F8 as
 * raw bytes and complex numbers as interleaved (real, imaginary) pairs, since JavaScript has no
 * arrays of those types; `toFloat32` converts every real type for math.
 */
export type TensorArray =
  | Float64Array | Float32Array
  | BigInt64Array | Int32Array | Int16Array | Int8Array
  | BigUint64Array | Uint32Array | Uint16Array | Uint8Array;

/** Number of elements of `shape`, or NaN when it is not a safe integer. */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return Number.isSafeInteger(n) ? n : NaN;
}

/** Whether `shape` is a list of non-negative safe integers whose product is a safe integer. */
export function isValidShape(shape: unknown): shape is number[] {
  return (
    Array.isArray(shape) &&
    shape.every((d) => Number.isSafeInteger(d) && d >= 0) &&
    !Number.isNaN(elementCount(shape as number[]))
  );
}

/**
 * A fresh, aligned ArrayBuffer holding `bytes`. (Buffer#slice would return a view, not a copy,
 * and a view at an odd offset cannot back a wider typed array.)
 */
export function alignedCopy(bytes: Uint8Array): ArrayBuffer {
  return Uint8Array.prototype.slice.call(bytes).buffer as ArrayBuffer;
}

/** Copies little-endian element bytes into a fresh array of the dtype's own kind. */
export function decodeNative(dtype: DType, bytes: Uint8Array): TensorArray {
  const buffer = alignedCopy(bytes);
  switch (dtype) {
    case 'F64': return new Float64Array(buffer);
    case 'F32': return new Float32Array(buffer);
    case 'F16': case 'BF16': case 'U16': return new Uint16Array(buffer);
    case 'I64': return new BigInt64Array(buffer);
    case 'I32': return new Int32Array(buffer);
    case 'I16': return new Int16Array(buffer);
    case 'I8': return new Int8Array(buffer);
    case 'U64': return new BigUint64Array(buffer);
    case 'U32': return new Uint32Array(buffer);
    case 'U8': case 'BOOL': case 'F8_E4M3': case 'F8_E5M2': return new Uint8Array(buffer);
    case 'C64': return new Float32Array(buffer);
    case 'C128': return new Float64Array(buffer);
  }
}

/** Reverses the byte order of every `width`-byte element, in place (big-endian NumPy data). */
export function swapByteOrder(bytes: Uint8Array, width: number): void {
  if (width === 1) return;
  for (let i = 0; i < bytes.length; i += width) {
    for (let a = i, b = i + width - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

/** 16-bit elements of `bytes`, read in place when aligned (only read, never written). */
function uint16View(bytes: Uint8Array): Uint16Array {
  return bytes.byteOffset % 2 === 0
    ? new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 1)
    : new Uint16Array(alignedCopy(bytes));
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half precision bits to a number (exact: every half is a float32). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** bfloat16 bits are the top half of a float32's. */
export function bfloat16ToFloat(b: number): number {
  u32[0] = b << 16;
  return f32[0]!;
}

/** float8 e4m3fn (the PyTorch and safetensors F8_E4M3): no infinities, S.1111.111 is NaN. */
export function float8e4m3ToFloat(b: number): number {
  const sign = b & 0x80 ? -1 : 1;
  const exponent = (b >> 3) & 0xf;
  const mantissa = b & 0x7;
  if (exponent === 0xf && mantissa === 0x7) return NaN;
  if (exponent === 0) return sign * mantissa * 2 ** -9;
  return sign * (1 + mantissa / 8) * 2 ** (exponent - 7);
}

/** float8 e5m2: the top byte of an IEEE half. */
export function float8e5m2ToFloat(b: number): number {
  return halfToFloat(b << 8);
}

function lookupTable(convert: (bits: number) => number, size: number): Float32Array {
  const table = new Float32Array(size);
  for (let i = 0; i < size; i++) table[i] = convert(i);
  return table;
}

let halfTable: Float32Array | undefined;
let e4m3Table: Float32Array | undefined;
let e5m2Table: Float32Array | undefined;

/**
 * Converts little-endian element bytes of any real dtype to float32 (the type all math runs in).
 * 64-bit integers beyond 2^24 lose precision as float32 does. Complex tensors are refused.
 */
export function toFloat32(dtype: DType, bytes: Uint8Array, out?: Float32Array): Float32Array {
  if (dtype === 'C64' || dtype === 'C128') {
    throw new Error(`complex tensors (${dtype}) have no float32 form; Merge Lens compares real-valued weights`);
  }
  const n = bytes.byteLength / DTYPES[dtype].bytes;
  const result = out ?? new Float32Array(n);
  if (dtype === 'F32') {
    if (!out) return new Float32Array(alignedCopy(bytes));
    result.set(new Float32Array(alignedCopy(bytes)));
    return result;
  }
  if (dtype === 'F16') {
    halfTable ??= lookupTable(halfToFloat, 1 << 16);
    const src = uint16View(bytes);
    for (let i = 0; i < n; i++) result[i] = halfTable[src[i]!]!;
    return result;
  }
  if (dtype === 'BF16') {
    const src = uint16View(bytes);
    const bits = new Uint32Array(result.buffer, result.byteOffset, n);
    for (let i = 0; i < n; i++) bits[i] = src[i]! << 16;
    return result;
  }
  if (dtype === 'F8_E4M3' || dtype === 'F8_E5M2') {
    const table = dtype === 'F8_E4M3'
      ? (e4m3Table ??= lookupTable(float8e4m3ToFloat, 256))
      : (e5m2Table ??= lookupTable(float8e5m2ToFloat, 256));
    for (let i = 0; i < n; i++) result[i] = table[bytes[i]!]!;
    return result;
  }
  const native = decodeNative(dtype, bytes);
  if (native instanceof BigInt64Array || native instanceof BigUint64Array) {
    for (let i = 0; i < n; i++) result[i] = Number(native[i]!);
  } else {
    result.set(native);
  }
  return result;
}
