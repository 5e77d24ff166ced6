import { buildZip } from '../../../helpers/buildZip';

/**
 * Hand-made pickles and archives for the tests of hostile and unusual checkpoints: a pickle
 * assembler (each helper emits one opcode with its argument) and stored zip archives around them.
 */

type Part = number | readonly number[] | Uint8Array;

function le(value: number, bytes: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < bytes; i++) out.push(Math.floor(value / 2 ** (8 * i)) & 0xff);
  return out;
}

const text = (s: string): number[] => [...Buffer.from(s, 'utf8')];

export const op = {
  proto: (n: number) => [0x80, n],
  stop: 0x2e,
  mark: 0x28,
  pop: 0x30,
  popMark: 0x31,
  dup: 0x32,
  none: 0x4e,
  true: 0x88,
  false: 0x89,
  emptyDict: 0x7d,
  emptyList: 0x5d,
  emptyTuple: 0x29,
  tuple: 0x74,
  tuple1: 0x85,
  tuple2: 0x86,
  tuple3: 0x87,
  list: 0x6c,
  dict: 0x64,
  append: 0x61,
  appends: 0x65,
  setitem: 0x73,
  setitems: 0x75,
  reduce: 0x52,
  build: 0x62,
  newobj: 0x81,
  binpersid: 0x51,
  int: (n: number) => [0x4a, ...le(n >>> 0, 4)],
  int1: (n: number) => [0x4b, n],
  float: (x: number) => {
    const b = Buffer.alloc(8);
    b.writeDoubleBE(x);
    return [0x47, ...b];
  },
  str: (s: string) => [0x58, ...le(text(s).length, 4), ...text(s)],
  bytes: (b: readonly number[]) => [0x43, b.length, ...b],
  global: (module: string, name: string) => [0x63, ...text(`${module}\n${name}\n`)],
  put: (i: number) => [0x71, i],
  get: (i: number) => [0x68, i],
  longPut: (i: number) => [0x72, ...le(i, 4)],
  longGet: (i: number) => [0x6a, ...le(i, 4)],
};

export function pickle(...parts: Part[]): Uint8Array {
  const out: number[] = [];
  for (const part of parts) {
    if (typeof part === 'number') out.push(part);
    // One by one: a part of a deep pickle is too long to spread as arguments.
    else for (const byte of part) out.push(byte);
  }
  return Uint8Array.from(out);
}

/** The pickle of a storage reference, as torch.save writes it. */
export function storageRef(storageClass: string, key: string, numel: number): number[] {
  return [
    op.mark, ...op.str('storage'), ...op.global('torch', storageClass), ...op.str(key), ...op.str('cpu'), ...op.int(numel), op.tuple,
    op.binpersid,
  ];
}

function intTuple(values: readonly number[]): number[] {
  return [op.mark, ...values.flatMap((v) => op.int(v)), op.tuple];
}

/** The pickle of `_rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())`. */
export function tensorV2(storage: readonly number[], offset: number, size: readonly number[], stride: readonly number[]): number[] {
  return [
    ...op.global('torch._utils', '_rebuild_tensor_v2'),
    op.mark, ...storage, ...op.int(offset), ...intTuple(size), ...intTuple(stride), op.false,
    ...op.global('collections', 'OrderedDict'), op.emptyTuple, op.reduce, op.tuple,
    op.reduce,
  ];
}

/** The pickle of a `{name: tensor, ...}` state_dict, whole (PROTO to STOP). */
export function stateDictPickle(entries: ReadonlyArray<readonly [string, readonly number[]]>): Uint8Array {
  return pickle(op.proto(2), op.emptyDict, op.mark, ...entries.flatMap(([name, tensor]) => [...op.str(name), ...tensor]), op.setitems, op.stop);
}

/** A zip archive of stored members, as torch.save writes it (without its alignment padding). */
export function zipBytes(members: ReadonlyArray<readonly [string, Uint8Array | string]>): Uint8Array {
  return buildZip(members.map(([name, content]) => ({ name, data: typeof content === 'string' ? new TextEncoder().encode(content) : content }))).bytes;
}
