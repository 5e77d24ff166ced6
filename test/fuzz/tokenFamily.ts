import { readFileSync } from 'node:fs';
import { fixture } from '../helpers/paths';
import { npyOf, parseNpy, parseSafetensors, readZip, safetensorsOf } from './formats';
import type { Seed } from './families';
import type { Draft, Mutator } from './mutate';
import type { Random } from './random';
import { writeZip } from './zipWriter';

/**
 * The token-sequence family: `.npz` and safetensors files of `input_ids` with an optional
 * `attention_mask` and `labels` (src/engine/datasets/tokenDatasets.ts). Its mutators take a case's
 * arrays apart into plain numbers and put them back with one thing changed: values (negative
 * ids, 2^24 and beyond, fractions, NaN, masks of 2, labels below −100), dtypes, shapes and keys.
 */

/** Element types: safetensors name, NumPy descr (none for BF16), width in bytes. */
const TYPES: readonly (readonly [string, string | undefined, number])[] = [
  ['I64', '<i8', 8], ['I32', '<i4', 4], ['I16', '<i2', 2], ['I8', '|i1', 1], ['U64', '<u8', 8], ['U32', '<u4', 4], ['U16', '<u2', 2],
  ['U8', '|u1', 1], ['BOOL', '|b1', 1], ['F32', '<f4', 4], ['F64', '<f8', 8], ['F16', '<f2', 2], ['BF16', undefined, 2], ['C64', '<c8', 8],
];

/** One array of a token file as plain numbers (complex values keep their real parts). */
interface TokenArray {
  name: string;
  type: string;
  shape: number[];
  values: number[];
}

const widthOf = (type: string): number => TYPES.find((t) => t[0] === type)![2];
const count = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** float32 → IEEE half, rounding to nearest (what NumPy writes for a float16 array). */
function toHalf(value: number): number {
  const f = new Float32Array([value]);
  const bits = new Uint32Array(f.buffer)[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  const mantissa = bits & 0x7fffff;
  if (Number.isNaN(value)) return 0x7e00;
  if (exponent >= 31) return sign | 0x7c00;
  if (exponent <= 0) return exponent < -10 ? sign : sign | ((mantissa | 0x800000) >> (14 - exponent));
  return sign | (exponent << 10) | (mantissa >> 13);
}

function fromHalf(h: number): number {
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  const sign = h & 0x8000 ? -1 : 1;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** `values` as `type`, little-endian; integers wrap as a C cast does, non-finite values become 0. */
function encode(type: string, values: readonly number[]): Uint8Array {
  const out = new Uint8Array(values.length * widthOf(type));
  const view = new DataView(out.buffer);
  const whole = (v: number): number => (Number.isFinite(v) ? Math.trunc(v) : 0);
  values.forEach((v, i) => {
    const at = i * widthOf(type);
    switch (type) {
      case 'I64': view.setBigInt64(at, BigInt.asIntN(64, BigInt(whole(v))), true); break;
      case 'U64': view.setBigUint64(at, BigInt.asUintN(64, BigInt(whole(v))), true); break;
      case 'I32': view.setInt32(at, whole(v) | 0, true); break;
      case 'U32': view.setUint32(at, whole(v) >>> 0, true); break;
      case 'I16': view.setInt16(at, whole(v), true); break;
      case 'U16': view.setUint16(at, whole(v) & 0xffff, true); break;
      case 'I8': view.setInt8(at, whole(v)); break;
      case 'U8': case 'BOOL': view.setUint8(at, whole(v) & 0xff); break;
      case 'F32': view.setFloat32(at, v, true); break;
      case 'F64': view.setFloat64(at, v, true); break;
      case 'F16': view.setUint16(at, toHalf(v), true); break;
      case 'BF16': view.setUint16(at, new Uint32Array(new Float32Array([v]).buffer)[0]! >>> 16, true); break;
      case 'C64': view.setFloat32(at, v, true); break;
    }
  });
  return out;
}

function decode(type: string, bytes: Uint8Array): number[] | undefined {
  const width = widthOf(type);
  if (bytes.length % width !== 0) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: bytes.length / width }, (_, i) => {
    const at = i * width;
    switch (type) {
      case 'I64': return Number(view.getBigInt64(at, true));
      case 'U64': return Number(view.getBigUint64(at, true));
      case 'I32': return view.getInt32(at, true);
      case 'U32': return view.getUint32(at, true);
      case 'I16': return view.getInt16(at, true);
      case 'U16': return view.getUint16(at, true);
      case 'I8': return view.getInt8(at);
      case 'F32': case 'C64': return view.getFloat32(at, true);
      case 'F64': return view.getFloat64(at, true);
      case 'F16': return fromHalf(view.getUint16(at, true));
      case 'BF16': return new Float32Array(new Uint32Array([view.getUint16(at, true) << 16]).buffer)[0]!;
      default: return view.getUint8(at);
    }
  });
}

/** The arrays of a token file the fuzzer wrote or a seed holds, or undefined when an earlier step broke it. */
function takeApart(file: string, bytes: Uint8Array): TokenArray[] | undefined {
  if (file.endsWith('.safetensors')) {
    const parts = parseSafetensors(bytes);
    if (!parts) return undefined;
    const arrays: TokenArray[] = [];
    for (const [name, entry] of Object.entries(parts.header)) {
      if (name === '__metadata__') continue;
      const { dtype, shape, data_offsets: at } = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
      if (!TYPES.some((t) => t[0] === dtype) || !Array.isArray(shape) || !Array.isArray(at)) return undefined;
      const values = decode(dtype, parts.data.subarray(at[0], at[1]));
      if (!values || values.length !== count(shape)) return undefined;
      arrays.push({ name, type: dtype, shape: [...shape], values });
    }
    return arrays;
  }
  const members = readZip(bytes);
  if (!members) return undefined;
  const arrays: TokenArray[] = [];
  for (const member of members) {
    const npy = parseNpy(member.data);
    const descr = npy && /'descr':\s*'([^']*)'/.exec(npy.headerText)?.[1];
    const shapeText = npy && /'shape':\s*\(([^)]*)\)/.exec(npy.headerText)?.[1];
    const type = descr ? TYPES.find((t) => t[1] === descr)?.[0] : undefined;
    if (!npy || !type || shapeText === undefined || /True/.test(npy.headerText)) return undefined;
    const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
    const values = decode(type, npy.data);
    if (!values || values.length !== count(shape)) return undefined;
    arrays.push({ name: member.name.replace(/\.npy$/, ''), type, shape, values });
  }
  return arrays;
}

function putTogether(file: string, arrays: readonly TokenArray[], rng: Random): Uint8Array {
  const encoded = arrays.map((a) => ({ name: a.name, dtype: a.type, shape: a.shape, data: encode(a.type, a.values) }));
  if (file.endsWith('.safetensors')) return safetensorsOf(encoded);
  return writeZip(encoded.map((t) => ({ name: `${t.name}.npy`, data: npyOf(TYPES.find((x) => x[0] === t.dtype)![1]!, t.shape, t.data), deflate: rng.chance(0.3) })));
}

/** The types a file of `file`'s kind can store (an .npz has no bfloat16). */
const typesFor = (file: string): string[] => TYPES.filter((t) => file.endsWith('.safetensors') || t[1] !== undefined).map((t) => t[0]);

/** Values an id, a mask or a label should never hold, and a few it may. */
const ODD_IDS: readonly number[] = [-1, -2, -100, -101, 2 ** 24 - 1, 2 ** 24, 2 ** 24 + 1, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53, 0.5, 1.5, -0.5, NaN, Infinity, -Infinity, 0, 1, 31, 65535, 1e30];
const ODD_MASK: readonly number[] = [2, -1, 0.5, 255, NaN, 1e9, 0, 1];
const ODD_LABELS: readonly number[] = [-100, -100, -101, -1, -99, -(2 ** 31), 2 ** 24, 0.5, NaN, 1e30, 0];
const ODD_KEYS: readonly string[] = [
  'INPUT_IDS', 'Input_Ids', 'input_ids ', 'inputids', 'ATTENTION_MASK', 'Labels', 'token_type_ids', 'x', 'y', 'inputs', 'labels', 'attention_mask',
  'input_ids', '', 'a\nb', '\u202einput_ids', 'k'.repeat(5000),
];

const KINDS = ['ids', 'mask', 'labels'] as const;
type Kind = (typeof KINDS)[number];
const KEY_OF: Readonly<Record<Kind, RegExp>> = { ids: /^input_ids$/i, mask: /^attention_mask$/i, labels: /^labels$/i };
const ODD_OF: Readonly<Record<Kind, readonly number[]>> = { ids: ODD_IDS, mask: ODD_MASK, labels: ODD_LABELS };

/**
 * A seed-shaped array of `kind` for sequences of `shape`: ids below 32, a mask with trailing
 * padding, labels with −100 before the last half.
 */
function freshArray(kind: Kind, shape: readonly number[], rng: Random): TokenArray {
  const t = shape[1] ?? 1;
  const values = Array.from({ length: count(shape) }, (_, i) => {
    const position = i % t;
    if (kind === 'ids') return rng.below(32);
    if (kind === 'mask') return position < t - (Math.floor(i / t) % 2) ? 1 : 0;
    return position < t / 2 ? -100 : rng.below(32);
  });
  return { name: { ids: 'input_ids', mask: 'attention_mask', labels: 'labels' }[kind], type: kind === 'mask' && rng.chance(0.5) ? 'BOOL' : 'I64', shape: [...shape], values };
}

/** One change to the arrays of a token file: a value, a dtype, a shape, a key. */
function tokenChange(file: string, arrays: TokenArray[], rng: Random): string {
  const kind = rng.pick(KINDS);
  let array = arrays.find((a) => KEY_OF[kind].test(a.name));
  const ids = arrays.find((a) => KEY_OF.ids.test(a.name));
  if (!array) {
    if (kind === 'ids') return 'no input_ids to change';
    array = freshArray(kind, ids?.shape ?? [2, 4], rng);
    arrays.push(array);
  }
  const how = rng.below(6);
  if (how === 0 || how === 1) {
    const k = rng.pick([1, 1, 2, 8]);
    const values: number[] = [];
    for (let j = 0; j < k && array.values.length > 0; j++) {
      const at = rng.below(array.values.length);
      array.values[at] = rng.pick(ODD_OF[kind]);
      values.push(array.values[at]!);
    }
    // A value the dtype cannot hold is stored as the dtype makes it; float ids need a float dtype.
    if (values.some((v) => !Number.isInteger(v)) && rng.chance(0.5)) array.type = rng.pick(['F32', 'F64', 'F16']);
    else if (values.some((v) => Math.abs(v) >= 2 ** 31) && rng.chance(0.7)) array.type = rng.pick(['I64', 'U64', 'F64']);
    return `set ${k} values of ${array.name} to ${values.slice(0, 4).join(', ')} (${array.type})`;
  }
  if (how === 2) {
    array.type = rng.pick(typesFor(file));
    if (array.type === 'BOOL' || array.type === 'U8' || array.type === 'I8') array.values = array.values.map((v) => (rng.chance(0.9) ? v : 2));
    return `store ${array.name} as ${array.type}`;
  }
  if (how === 3) {
    const [n = 1, t = 1] = array.shape;
    const shape = rng.pick([[n * t], [n, t, 1], [t, n], [n, t - 1], [n + 1, t], [0, t], [n, 0], [n, 1], [], [1, n * t], [n, t, 2]]);
    const size = count(shape);
    array.values = Array.from({ length: size }, (_, i) => array!.values[i % Math.max(1, array!.values.length)] ?? 0);
    array.shape = shape;
    return `reshape ${array.name} to [${shape.join(', ')}]`;
  }
  if (how === 4) {
    const name = rng.pick(ODD_KEYS);
    const old = array.name;
    const copy = rng.chance(0.3);
    if (copy) arrays.push({ ...array, name, values: [...array.values], shape: [...array.shape] });
    else array.name = name;
    return `${copy ? 'copy' : 'rename'} ${old} to ${JSON.stringify(name).slice(0, 30)}`;
  }
  // Whole arrays at the edges: nothing scored, all padding, one sequence of one token.
  const edge = rng.below(4);
  if (edge === 0) array.values = array.values.map(() => (kind === 'labels' ? -100 : kind === 'mask' ? 0 : 0));
  else if (edge === 1) array.values = array.values.map(() => rng.pick(ODD_OF[kind]));
  else if (edge === 2) arrays.splice(arrays.indexOf(array), 1);
  else arrays.push({ name: rng.pick(['x', 'inputs', 'token_type_ids', 'position_ids']), type: 'F32', shape: [...array.shape], values: [...array.values] });
  return ['blank', 'fill with odd values', 'delete', 'add an array beside'][edge]! + ` ${array.name}`;
}

/**
 * Changes one to three things in a token file's arrays (`fileOf` picks it; absent: nothing to
 * do) and writes it back in its own format.
 */
export function tokenArraysIn(fileOf: (draft: Draft) => string | undefined, weight: number): Mutator {
  return {
    name: 'token-arrays',
    weight,
    apply(draft: Draft, rng: Random) {
      const file = fileOf(draft);
      if (file === undefined) return 'no token file';
      const arrays = takeApart(file, draft.files.get(file)!);
      if (!arrays) return 'no token arrays to change';
      const what = Array.from({ length: rng.pick([1, 1, 2, 3]) }, () => tokenChange(file, arrays, rng));
      draft.files.set(file, putTogether(file, arrays, rng));
      return `${what.join('; ')} in ${file}`;
    },
  };
}

/** A whole new token file: fresh ids, a mask and labels, each possibly of an odd type or shape. */
const syntheticTokens: Mutator = {
  name: 'synthetic-tokens',
  weight: 4,
  alone: true,
  apply(draft: Draft, rng: Random) {
    const file = draft.target;
    const shape = rng.pick([[2, 4], [3, 1], [1, 2], [0, 4], [4, 0], [5, 3], [1, 16]]);
    const arrays = [freshArray('ids', shape, rng)];
    if (rng.chance(0.5)) arrays.push(freshArray('mask', shape, rng));
    if (rng.chance(0.5)) arrays.push(freshArray('labels', shape, rng));
    for (const array of arrays) if (rng.chance(0.3)) array.type = rng.pick(typesFor(file));
    draft.files.set(file, putTogether(file, arrays, rng));
    return `replace ${file} by ${arrays.map((a) => `${a.name} ${a.type} [${a.shape}]`).join(', ')}`;
  },
};

export const tokenMutators: readonly Mutator[] = [tokenArraysIn((draft) => draft.target, 12), syntheticTokens];

/** A small token file (ids below `vocab`, the last sequence padded at its end), as a seed's data. */
export function tokenFile(count: number, length: number, vocab: number, rng: Random): Uint8Array {
  const ids: TokenArray = { name: 'input_ids', type: 'I64', shape: [count, length], values: Array.from({ length: count * length }, () => rng.below(vocab)) };
  const mask: TokenArray = { name: 'attention_mask', type: 'I64', shape: [count, length], values: ids.values.map((_, i) => (i >= (count - 1) * length + length - 2 ? 0 : 1)) };
  return putTogether('tokens.npz', [ids, mask], rng);
}

export function tokenSeeds(): Seed[] {
  const read = (...parts: string[]): Uint8Array => new Uint8Array(readFileSync(fixture(...parts)));
  const seed = (name: string, target: string, bytes: Uint8Array): Seed => ({ name, target, files: new Map([[target, bytes]]) });
  return [
    seed('plain_int32', 'tokens.npz', read('datasets', 'tokens', 'plain_int32.npz')),
    seed('padded_uint16', 'tokens.npz', read('datasets', 'tokens', 'padded_uint16.npz')),
    seed('labelled', 'tokens.safetensors', read('datasets', 'tokens', 'labelled.safetensors')),
    seed('modadd_eval', 'tokens.npz', read('transformers', 'modadd_eval.npz')),
  ];
}
