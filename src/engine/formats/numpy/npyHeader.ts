import type { ByteSource } from '../../io/byteSource';
import { FormatError, clip } from '../../io/formatError';
import { isValidShape, type DType } from '../../tensors/dtype';
import { describeLiteral, parsePyLiteral, PyLiteralSyntaxError, type PyLiteral } from './pyLiteral';

/** What a .npy file's header says about its one array. */
export interface NpyHeader {
  /** Format version, e.g. '1.0'. */
  readonly version: string;
  /** The dtype as NumPy wrote it, e.g. '<f4'. */
  readonly descr: string;
  readonly dtype: DType;
  readonly bigEndian: boolean;
  readonly fortranOrder: boolean;
  readonly shape: readonly number[];
  /** Where the array's bytes start. */
  readonly dataOffset: number;
}

/** NumPy itself refuses headers over 10,000 bytes by default; this leaves ample room for odd writers. */
export const MAX_NPY_HEADER_BYTES = 1 << 20;

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const KEYS = ['descr', 'fortran_order', 'shape'];

const NUMERIC: Readonly<Record<string, Readonly<Record<number, DType>>>> = {
  f: { 2: 'F16', 4: 'F32', 8: 'F64' },
  i: { 1: 'I8', 2: 'I16', 4: 'I32', 8: 'I64' },
  u: { 1: 'U8', 2: 'U16', 4: 'U32', 8: 'U64' },
  b: { 1: 'BOOL' },
  c: { 8: 'C64', 16: 'C128' },
};

const REFUSED_KINDS: Readonly<Record<string, string>> = {
  O: 'an object array, which only pickle can load (and Merge Lens never runs pickle code)',
  U: 'a Unicode string array',
  S: 'a byte string array',
  a: 'a byte string array',
  V: 'raw void bytes (NumPy has no such numeric type; bfloat16 saved through ml_dtypes looks like this)',
  M: 'a datetime array',
  m: 'a timedelta array',
};

/**
 * Maps a NumPy type string ('<f4', '>i8', '|b1') to a DType and byte order; anything that is not
 * a plain number is refused with the reason.
 */
export function parseDescr(descr: string): { dtype: DType; bigEndian: boolean } | { refused: string } {
  const match = /^([<>=|]?)([a-zA-Z])(\d+)$/.exec(descr);
  const kind = match?.[2] ?? /^[<>=|]?([a-zA-Z])/.exec(descr)?.[1];
  if (kind !== undefined && REFUSED_KINDS[kind]) return { refused: `descr '${clip(descr)}' is ${REFUSED_KINDS[kind]}; only numeric arrays can be read` };
  const dtype = match ? NUMERIC[match[2]!]?.[Number(match[3])] : undefined;
  if (!match || !dtype) {
    if (match && (match[2] === 'f' || match[2] === 'c') && Number(match[3]) > 8) {
      return { refused: `descr '${clip(descr)}' is an extended-precision (long double) type, which has no portable layout; save it as float64` };
    }
    return { refused: `descr '${clip(descr)}' is not a NumPy numeric type Merge Lens knows` };
  }
  // '=' is native order, little-endian on every platform the extension runs on; '|' is for one byte.
  return { dtype, bigEndian: match[1] === '>' && Number(match[3]) > 1 };
}

/**
 * Reads and checks the header of the .npy data in `source`. `context` prefixes every message
 * (an .npz names the member).
 */
export async function readNpyHeader(source: ByteSource, context = ''): Promise<NpyHeader> {
  const fail = (problem: string): never => {
    throw new FormatError(source.file, `${context}${problem}`);
  };
  const { size } = source;
  if (size < 10) fail(`is too short to be a .npy file (${size} bytes)`);
  const preamble = await source.read(0, Math.min(size, 12));
  if (!MAGIC.every((b, i) => preamble[i] === b)) fail('does not start with the .npy magic string \\x93NUMPY');
  const major = preamble[6]!;
  const minor = preamble[7]!;
  if (![1, 2, 3].includes(major) || minor !== 0) fail(`has .npy format version ${major}.${minor}; only 1.0, 2.0 and 3.0 exist`);
  const lengthBytes = major === 1 ? 2 : 4;
  const headerStart = 8 + lengthBytes;
  if (size < headerStart) fail(`is too short to hold a version ${major}.0 .npy header (${size} bytes)`);
  const v = new DataView(preamble.buffer, preamble.byteOffset, preamble.byteLength);
  const headerLength = major === 1 ? v.getUint16(8, true) : v.getUint32(8, true);
  if (headerStart + headerLength > size) fail(`header length ${headerLength} is larger than the file (${size} bytes)`);
  if (headerLength > MAX_NPY_HEADER_BYTES) fail(`header length ${headerLength} exceeds the ${MAX_NPY_HEADER_BYTES}-byte limit`);

  const raw = await source.read(headerStart, headerLength);
  let text: string;
  if (major === 3) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
    } catch {
      return fail('has a version 3.0 header that is not valid UTF-8');
    }
  } else {
    // Versions 1.0 and 2.0 are latin-1, in which every byte is a character.
    text = new TextDecoder('latin1').decode(raw);
  }

  let literal: PyLiteral;
  try {
    literal = parsePyLiteral(text);
  } catch (error) {
    if (!(error instanceof PyLiteralSyntaxError)) throw error;
    return fail(`header is not a valid Python literal (${error.message})`);
  }
  if (literal.kind !== 'dict') return fail(`header is ${describeLiteral(literal)}, not a dict`);
  for (const key of literal.entries.keys()) {
    if (!KEYS.includes(key)) fail(`header has the unexpected key '${clip(key)}'`);
  }
  const get = (key: string): PyLiteral => literal.entries.get(key) ?? fail(`header lacks the key '${clip(key)}'`);

  const descr = get('descr');
  if (descr.kind === 'list') fail('holds a structured array (its descr is a list of fields); only plain numeric arrays can be read');
  if (descr.kind !== 'str') return fail(`header 'descr' is ${describeLiteral(descr)}, not a string`);
  const type = parseDescr(descr.value);
  if ('refused' in type) return fail(type.refused);

  const fortran = get('fortran_order');
  if (fortran.kind !== 'bool') return fail(`header 'fortran_order' is ${describeLiteral(fortran)}, not True or False`);

  const shapeLiteral = get('shape');
  if (shapeLiteral.kind !== 'tuple') return fail(`header 'shape' is ${describeLiteral(shapeLiteral)}, not a tuple`);
  const shape = shapeLiteral.items.map((d) => (d.kind === 'int' ? d.value : NaN));
  if (!isValidShape(shape)) {
    const written = shapeLiteral.items.map((d) => (d.kind === 'int' ? String(d.value) : describeLiteral(d))).join(', ');
    fail(`header 'shape' (${written}) is not a tuple of non-negative integers with a representable product`);
  }

  return {
    version: `${major}.${minor}`,
    descr: descr.value,
    dtype: type.dtype,
    bigEndian: type.bigEndian,
    fortranOrder: fortran.value,
    shape,
    dataOffset: headerStart + headerLength,
  };
}
