/**
 * A pickle assembler for tests: each `op` helper emits one opcode with its argument, and `pickle`
 * joins them. The PyTorch reader's tests and the fuzzer's pickles are both written with it.
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
