import { openFileSource } from '../io/byteSource';
import { ensure } from '../io/formatError';
import { DTYPES, elementCount } from '../tensors/dtype';
import { gunzipDeclared } from './boundedGunzip';

/** The element types IDX can declare. */
export type IdxDType = 'U8' | 'I8' | 'I16' | 'I32' | 'F32' | 'F64';

/** The IDX element types, by the third byte of the magic number. All are big-endian. */
const IDX_TYPES: ReadonlyMap<number, IdxDType> = new Map<number, IdxDType>([
  [0x08, 'U8'], [0x09, 'I8'], [0x0b, 'I16'], [0x0c, 'I32'], [0x0d, 'F32'], [0x0e, 'F64'],
]);

export interface IdxHeader {
  readonly dtype: IdxDType;
  readonly dims: readonly number[];
  /** The product of the dimensions. */
  readonly elements: number;
  /** 4 + 4 × rank. */
  readonly headerBytes: number;
  readonly dataBytes: number;
}

/** An IDX file's array, its elements still big-endian as stored. */
export interface IdxArray extends IdxHeader {
  readonly data: Uint8Array;
}

/** The longest header there is: the rank is one byte. */
const MAX_HEADER_BYTES = 4 + 4 * 255;

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => `0x${b.toString(16).padStart(2, '0')}`).join(' ');
}

/**
 * Parses the IDX header at the start of `head`: two zero bytes, a type byte, a rank byte, then
 * one big-endian uint32 per dimension. Undefined while `head` is too short to hold it.
 */
export function parseIdxHeader(file: string, head: Uint8Array): IdxHeader | undefined {
  if (head.length < 4) return undefined;
  const dtype = IDX_TYPES.get(head[2]!);
  ensure(
    head[0] === 0 && head[1] === 0 && dtype !== undefined,
    file,
    () => `does not start with an IDX magic number (two zero bytes, a type byte 0x08/0x09/0x0B/0x0C/0x0D/0x0E, a rank byte): found ${hex(head.subarray(0, 4))}`,
  );
  const rank = head[3]!;
  ensure(rank > 0, file, 'IDX header declares rank 0; an array of examples is expected');
  const headerBytes = 4 + 4 * rank;
  if (head.length < headerBytes) return undefined;
  const view = new DataView(head.buffer, head.byteOffset, headerBytes);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const elements = elementCount(dims);
  ensure(!Number.isNaN(elements), file, () => `IDX header declares dimensions [${dims.join(', ')}] too large to address`);
  return { dtype, dims, elements, headerBytes, dataBytes: elements * DTYPES[dtype].bytes };
}

/** Called with the header before any data is read or inflated, to refuse what is too large. */
export type HeaderCheck = (header: IdxHeader) => void;

async function readPlain(file: string, check: HeaderCheck): Promise<IdxArray> {
  const source = await openFileSource(file);
  try {
    ensure(source.size >= 4, file, `is ${source.size} bytes, too short for an IDX header`);
    const magic = await source.read(0, 4);
    parseIdxHeader(file, magic);
    const headerBytes = 4 + 4 * magic[3]!;
    ensure(source.size >= headerBytes, file, () => `is ${source.size} bytes, too short for the ${headerBytes}-byte IDX header it starts`);
    const header = parseIdxHeader(file, await source.read(0, headerBytes))!;
    check(header);
    const { dataBytes } = header;
    const held = source.size - headerBytes;
    ensure(held >= dataBytes, file, () => `IDX header declares [${header.dims.join(', ')}] (${dataBytes} bytes of data) but the file holds only ${held}; it is truncated`);
    ensure(held === dataBytes, file, () => `has ${held - dataBytes} bytes after the ${dataBytes} bytes of data its IDX header declares`);
    return { ...header, data: await source.read(headerBytes, dataBytes) };
  } finally {
    await source.close();
  }
}

async function readGzipped(file: string, check: HeaderCheck): Promise<IdxArray> {
  let header: IdxHeader | undefined;
  const bytes = await gunzipDeclared(
    file,
    (head) => {
      header = parseIdxHeader(file, head);
      if (header === undefined) return undefined;
      check(header);
      return header.headerBytes + header.dataBytes;
    },
    MAX_HEADER_BYTES,
  );
  return { ...header!, data: bytes.subarray(header!.headerBytes) };
}

/** gzip files start with 1f 8b, whatever they are called. */
async function isGzip(file: string): Promise<boolean> {
  const source = await openFileSource(file);
  try {
    if (source.size < 2) return false;
    const magic = await source.read(0, 2);
    return magic[0] === 0x1f && magic[1] === 0x8b;
  } finally {
    await source.close();
  }
}

/**
 * Reads an IDX file, plain or gzipped. `check` sees the header first, so that nothing larger
 * than the caller accepts is read or inflated; the data must be exactly what the header declares.
 */
export async function readIdx(file: string, check: HeaderCheck): Promise<IdxArray> {
  return (await isGzip(file)) ? readGzipped(file, check) : readPlain(file, check);
}

/** The stored big-endian elements as numbers, into `out` (every IDX type fits a float64 exactly). */
export function decodeIdx<T extends Float32Array | Float64Array>(array: IdxArray, out: T): T {
  const { data, dtype } = array;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const n = out.length;
  switch (dtype) {
    case 'U8': out.set(data.subarray(0, n)); break;
    case 'I8': for (let i = 0; i < n; i++) out[i] = view.getInt8(i); break;
    case 'I16': for (let i = 0; i < n; i++) out[i] = view.getInt16(2 * i, false); break;
    case 'I32': for (let i = 0; i < n; i++) out[i] = view.getInt32(4 * i, false); break;
    case 'F32': for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, false); break;
    case 'F64': for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, false); break;
  }
  return out;
}
