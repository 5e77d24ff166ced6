import { FormatError, clip } from '../../io/formatError';
import {
  PickleDict,
  PickleGlobal,
  PickleSet,
  PickleTuple,
  Placeholder,
  pickleTypeName,
  type PickleValue,
} from './pickleValues';

/**
 * A restricted unpickler. Python's own runs whatever callable a pickle names; this one resolves
 * every GLOBAL through a policy that returns an inert PickleGlobal (or refuses), and REDUCE,
 * NEWOBJ and BUILD only ever reach the pure TypeScript constructors such globals carry, or record
 * themselves on a Placeholder. It reads
 * the opcodes that torch.save and pickle protocols 2 to 5 write for plain data.
 */

export interface UnpickleOptions {
  /** The file, for error messages. */
  readonly file: string;
  /** What is being unpickled inside the file (e.g. 'archive/data.pkl'), for error messages. */
  readonly what: string;
  /** Resolves a GLOBAL or throws a FormatError that says why it is refused. */
  readonly findGlobal: (module: string, name: string) => PickleGlobal;
  /** Resolves a persistent id (PyTorch's storage references); without it, persistent ids are refused. */
  readonly persistentLoad?: (pid: PickleValue) => PickleValue;
}

/** data.pkl holds metadata only (tensor bytes live in other members); anything larger is not a checkpoint's. */
export const MAX_PICKLE_BYTES = 512 * 2 ** 20;
/** The longest integer a LONG opcode may carry; real pickles never come near. */
const MAX_LONG_BYTES = 1 << 16;

/** Opcodes this reader refuses, named for the error message, with the protocol that introduced them. */
const UNSUPPORTED: Readonly<Record<number, readonly [string, number]>> = {
  0x49: ['INT', 0], 0x4c: ['LONG', 0], 0x46: ['FLOAT', 0], 0x53: ['STRING', 0], 0x56: ['UNICODE', 0],
  0x67: ['GET', 0], 0x70: ['PUT', 0], 0x69: ['INST', 0], 0x6f: ['OBJ', 1],
  0x82: ['EXT1', 2], 0x83: ['EXT2', 2], 0x84: ['EXT4', 2],
  0x92: ['NEWOBJ_EX', 4], 0x97: ['NEXT_BUFFER', 5], 0x98: ['READONLY_BUFFER', 5],
};

const OP = {
  MARK: 0x28, STOP: 0x2e, POP: 0x30, POP_MARK: 0x31, DUP: 0x32, BINBYTES: 0x42, SHORT_BINBYTES: 0x43,
  BINFLOAT: 0x47, BININT: 0x4a, BININT1: 0x4b, BININT2: 0x4d, NONE: 0x4e, PERSID: 0x50, BINPERSID: 0x51,
  REDUCE: 0x52, BINSTRING: 0x54, SHORT_BINSTRING: 0x55, BINUNICODE: 0x58, EMPTY_LIST: 0x5d, APPEND: 0x61,
  BUILD: 0x62, GLOBAL: 0x63, DICT: 0x64, APPENDS: 0x65, BINGET: 0x68, LONG_BINGET: 0x6a, LIST: 0x6c,
  BINPUT: 0x71, LONG_BINPUT: 0x72, SETITEM: 0x73, TUPLE: 0x74, SETITEMS: 0x75, EMPTY_DICT: 0x7d,
  EMPTY_TUPLE: 0x29, PROTO: 0x80, NEWOBJ: 0x81, TUPLE1: 0x85, TUPLE2: 0x86, TUPLE3: 0x87, NEWTRUE: 0x88,
  NEWFALSE: 0x89, LONG1: 0x8a, LONG4: 0x8b, SHORT_BINUNICODE: 0x8c, BINUNICODE8: 0x8d, BINBYTES8: 0x8e,
  EMPTY_SET: 0x8f, ADDITEMS: 0x90, FROZENSET: 0x91, STACK_GLOBAL: 0x93, MEMOIZE: 0x94, FRAME: 0x95,
  BYTEARRAY8: 0x96,
} as const;

const OPCODES: ReadonlySet<number> = new Set([...Object.values(OP), ...Object.keys(UNSUPPORTED).map(Number)]);

/** Whether a byte is an opcode of some pickle protocol (this reader's or one it refuses by name). */
export function isPickleOpcode(byte: number): boolean {
  return OPCODES.has(byte);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Pickles of protocol 2 name Python 3's builtins by their Python 2 module. */
const PYTHON2_MODULES: ReadonlyMap<string, string> = new Map([['__builtin__', 'builtins'], ['copy_reg', 'copyreg']]);
/** ... and some by their Python 2 name (Python 3 writes `int` as `__builtin__.long`): _compat_pickle's table. */
const PYTHON2_NAMES: ReadonlyMap<string, readonly [string, string]> = new Map([
  ['xrange', ['builtins', 'range']], ['long', ['builtins', 'int']], ['unicode', ['builtins', 'str']],
  ['basestring', ['builtins', 'str']], ['unichr', ['builtins', 'chr']], ['reduce', ['functools', 'reduce']],
  ['intern', ['sys', 'intern']],
] as const);

/** The error the unpickler's own checks raise, converted to a FormatError with the position. */
class PickleProblem extends Error {}

/** The error for a pickle that runs past the end of the bytes given: more of the file may complete it. */
export class TruncatedPickle extends FormatError {}

/**
 * Unpickles `bytes` up to the first STOP and returns that value. Every problem, the policy's
 * refusals included, is a FormatError naming the file.
 */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): PickleValue {
  return unpickleNext(bytes, options).value;
}

/**
 * Unpickles the first pickle in `bytes` and says where it ends (just past its STOP), for files
 * that hold several pickles in a row (PyTorch's legacy format).
 */
export function unpickleNext(bytes: Uint8Array, options: UnpickleOptions): { value: PickleValue; end: number } {
  const { file, what } = options;
  if (bytes.length > MAX_PICKLE_BYTES) {
    throw new FormatError(file, `${what} is ${bytes.length} bytes, more than the ${MAX_PICKLE_BYTES}-byte limit for a checkpoint's pickled metadata`);
  }
  const machine = new Machine(bytes, options);
  try {
    const value = machine.run();
    return { value, end: machine.end };
  } catch (error) {
    if (error instanceof FormatError) throw error;
    if (error instanceof PickleProblem) {
      const Problem = machine.ranOut ? TruncatedPickle : FormatError;
      throw new Problem(file, `${what}, byte ${machine.opStart}: ${error.message}`);
    }
    // A defect here must still reach the user as one sentence about the file, not a crash.
    throw new FormatError(file, `${what}, byte ${machine.opStart}: cannot be read (${(error as Error).message})`);
  }
}

class Machine {
  private pos = 0;
  opStart = 0;
  /** Whether reading stopped because the bytes ran out. */
  ranOut = false;
  private opName = '';
  private protocol = 0;
  private stack: PickleValue[] = [];
  private readonly metastack: PickleValue[][] = [];
  private readonly memo = new Map<number, PickleValue>();
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly options: UnpickleOptions,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Where reading stopped: just past the STOP once run() returns. */
  get end(): number {
    return this.pos;
  }

  run(): PickleValue {
    while (this.pos < this.bytes.length) {
      this.opStart = this.pos;
      const op = this.bytes[this.pos++]!;
      if (op === OP.STOP) {
        this.opName = 'STOP';
        return this.pop();
      }
      this.step(op);
    }
    this.opStart = this.pos;
    this.ranOut = true;
    throw new PickleProblem('the pickle ends without a STOP opcode; it is truncated');
  }

  private step(op: number): void {
    switch (op) {
      case OP.PROTO: {
        this.opName = 'PROTO';
        this.protocol = this.u8();
        if (this.protocol > 5) throw new PickleProblem(`pickle protocol ${this.protocol} is not supported (the newest is 5)`);
        return;
      }
      case OP.FRAME: {
        // A frame only announces how many bytes of opcodes follow, for buffered reading; the
        // bytes are all here already, so its length is merely checked.
        this.opName = 'FRAME';
        this.length64();
        return;
      }
      case OP.MARK:
        this.metastack.push(this.stack);
        this.stack = [];
        return;
      case OP.POP:
        this.opName = 'POP';
        if (this.stack.length > 0) this.stack.pop();
        else this.popMark();
        return;
      case OP.POP_MARK:
        this.opName = 'POP_MARK';
        this.popMark();
        return;
      case OP.DUP: {
        this.opName = 'DUP';
        const top = this.pop();
        this.stack.push(top, top);
        return;
      }
      case OP.NONE: this.stack.push(null); return;
      case OP.NEWTRUE: this.stack.push(true); return;
      case OP.NEWFALSE: this.stack.push(false); return;
      case OP.BININT:
        this.opName = 'BININT';
        this.stack.push(this.view.getInt32(this.need(4), true));
        return;
      case OP.BININT1:
        this.opName = 'BININT1';
        this.stack.push(this.u8());
        return;
      case OP.BININT2:
        this.opName = 'BININT2';
        this.stack.push(this.view.getUint16(this.need(2), true));
        return;
      case OP.LONG1:
        this.opName = 'LONG1';
        this.stack.push(this.long(this.u8()));
        return;
      case OP.LONG4: {
        this.opName = 'LONG4';
        const n = this.view.getInt32(this.need(4), true);
        if (n < 0) throw new PickleProblem(`LONG4 has a negative length ${n}`);
        this.stack.push(this.long(n));
        return;
      }
      case OP.BINFLOAT:
        this.opName = 'BINFLOAT';
        this.stack.push(this.view.getFloat64(this.need(8), false));
        return;
      case OP.SHORT_BINUNICODE: this.opName = 'SHORT_BINUNICODE'; this.stack.push(this.text(this.u8())); return;
      case OP.BINUNICODE: this.opName = 'BINUNICODE'; this.stack.push(this.text(this.u32())); return;
      case OP.BINUNICODE8: this.opName = 'BINUNICODE8'; this.stack.push(this.text(this.length64())); return;
      // Python 2 byte strings; torch.load decodes them as UTF-8 text, and so does this.
      case OP.SHORT_BINSTRING: this.opName = 'SHORT_BINSTRING'; this.stack.push(this.text(this.u8())); return;
      case OP.BINSTRING: {
        this.opName = 'BINSTRING';
        const n = this.view.getInt32(this.need(4), true);
        if (n < 0) throw new PickleProblem(`BINSTRING has a negative length ${n}`);
        this.stack.push(this.text(n));
        return;
      }
      case OP.SHORT_BINBYTES: this.opName = 'SHORT_BINBYTES'; this.stack.push(this.raw(this.u8())); return;
      case OP.BINBYTES: this.opName = 'BINBYTES'; this.stack.push(this.raw(this.u32())); return;
      case OP.BINBYTES8: this.opName = 'BINBYTES8'; this.stack.push(this.raw(this.length64())); return;
      case OP.BYTEARRAY8: this.opName = 'BYTEARRAY8'; this.stack.push(this.raw(this.length64()).slice()); return;
      case OP.EMPTY_DICT: this.stack.push(new PickleDict()); return;
      case OP.EMPTY_LIST: this.stack.push([]); return;
      case OP.EMPTY_TUPLE: this.stack.push(new PickleTuple([])); return;
      case OP.EMPTY_SET: this.stack.push(new PickleSet(false)); return;
      case OP.TUPLE: {
        this.opName = 'TUPLE';
        // popMark replaces this.stack, so it must run before the push is looked up.
        const tuple = new PickleTuple(this.popMark());
        this.stack.push(tuple);
        return;
      }
      case OP.TUPLE1: case OP.TUPLE2: case OP.TUPLE3: {
        const n = op - OP.TUPLE1 + 1;
        this.opName = `TUPLE${n}`;
        const items = this.popN(n);
        this.stack.push(new PickleTuple(items));
        return;
      }
      case OP.LIST: {
        this.opName = 'LIST';
        const list = this.popMark();
        this.stack.push(list);
        return;
      }
      case OP.DICT: {
        this.opName = 'DICT';
        const dict = new PickleDict();
        this.setItems(dict, this.popMark());
        this.stack.push(dict);
        return;
      }
      case OP.APPEND: {
        this.opName = 'APPEND';
        const item = this.pop();
        this.listOnTop().push(item);
        return;
      }
      case OP.APPENDS: {
        this.opName = 'APPENDS';
        const items = this.popMark();
        const list = this.listOnTop();
        for (const item of items) list.push(item);
        return;
      }
      case OP.SETITEM: {
        this.opName = 'SETITEM';
        const [key, value] = this.popN(2);
        this.setItems(this.dictOnTop(), [key!, value!]);
        return;
      }
      case OP.SETITEMS: {
        this.opName = 'SETITEMS';
        const items = this.popMark();
        this.setItems(this.dictOnTop(), items);
        return;
      }
      case OP.ADDITEMS: {
        this.opName = 'ADDITEMS';
        const items = this.popMark();
        const set = this.peek();
        if (!(set instanceof PickleSet) || set.frozen) throw new PickleProblem(`ADDITEMS needs a set below the MARK, found ${pickleTypeName(set)}`);
        this.addAll(set, items);
        return;
      }
      case OP.FROZENSET: {
        this.opName = 'FROZENSET';
        const set = new PickleSet(true);
        this.addAll(set, this.popMark());
        this.stack.push(set);
        return;
      }
      case OP.BINPUT: this.opName = 'BINPUT'; this.memo.set(this.u8(), this.peek()); return;
      case OP.LONG_BINPUT: this.opName = 'LONG_BINPUT'; this.memo.set(this.u32(), this.peek()); return;
      case OP.MEMOIZE: this.opName = 'MEMOIZE'; this.memo.set(this.memo.size, this.peek()); return;
      case OP.BINGET: this.opName = 'BINGET'; this.stack.push(this.memoGet(this.u8())); return;
      case OP.LONG_BINGET: this.opName = 'LONG_BINGET'; this.stack.push(this.memoGet(this.u32())); return;
      case OP.GLOBAL: {
        this.opName = 'GLOBAL';
        const module = this.line();
        const name = this.line();
        this.stack.push(this.findGlobal(module, name));
        return;
      }
      case OP.STACK_GLOBAL: {
        this.opName = 'STACK_GLOBAL';
        const [module, name] = this.popN(2);
        if (typeof module !== 'string' || typeof name !== 'string') {
          throw new PickleProblem(`STACK_GLOBAL needs a module and a name as strings, found ${pickleTypeName(module)} and ${pickleTypeName(name)}`);
        }
        this.stack.push(this.findGlobal(module, name));
        return;
      }
      case OP.REDUCE: {
        this.opName = 'REDUCE';
        const [callable, args] = this.popN(2);
        this.stack.push(this.invoke(callable!, args!, false));
        return;
      }
      case OP.NEWOBJ: {
        this.opName = 'NEWOBJ';
        const [cls, args] = this.popN(2);
        this.stack.push(this.invoke(cls!, args!, true));
        return;
      }
      case OP.BUILD: {
        this.opName = 'BUILD';
        const state = this.pop();
        this.build(this.peek(), state);
        return;
      }
      case OP.BINPERSID:
        this.opName = 'BINPERSID';
        this.stack.push(this.persistentLoad(this.pop()));
        return;
      case OP.PERSID:
        this.opName = 'PERSID';
        this.stack.push(this.persistentLoad(this.line()));
        return;
    }
    const known = UNSUPPORTED[op];
    if (known) {
      throw new PickleProblem(`opcode ${known[0]} (protocol ${known[1]}) is not supported; only the binary opcodes PyTorch checkpoints use are read`);
    }
    throw new PickleProblem(`0x${op.toString(16).padStart(2, '0')} is not a pickle opcode; the data is corrupt or not a pickle`);
  }

  /** The position of `n` bytes that must remain, moving past them. */
  private need(n: number): number {
    const remaining = this.bytes.length - this.pos;
    if (n > remaining) {
      this.ranOut = true;
      throw new PickleProblem(`${this.opName} needs ${n} bytes but only ${remaining} remain; the pickle is truncated or lies about a length`);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  private u8(): number {
    return this.bytes[this.need(1)]!;
  }

  private u32(): number {
    return this.view.getUint32(this.need(4), true);
  }

  private length64(): number {
    const n = this.view.getBigUint64(this.need(8), true);
    const remaining = this.bytes.length - this.pos;
    if (n > BigInt(remaining)) {
      this.ranOut = true;
      throw new PickleProblem(`${this.opName} claims ${n} bytes but only ${remaining} remain; the pickle is truncated or lies about a length`);
    }
    return Number(n);
  }

  private raw(n: number): Uint8Array {
    const at = this.need(n);
    return this.bytes.subarray(at, at + n);
  }

  private text(n: number): string {
    const bytes = this.raw(n);
    try {
      return utf8.decode(bytes);
    } catch {
      throw new PickleProblem(`${this.opName} holds a string that is not valid UTF-8`);
    }
  }

  /** A newline-terminated ASCII argument (GLOBAL, PERSID). */
  private line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) {
      this.ranOut = true;
      throw new PickleProblem(`${this.opName} has an argument with no terminating newline; the pickle is truncated`);
    }
    const bytes = this.bytes.subarray(this.pos, end);
    this.pos = end + 1;
    if (bytes.some((b) => b >= 0x80)) throw new PickleProblem(`${this.opName} has an argument that is not ASCII`);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  }

  /** A little-endian two's-complement integer: a number when safe, a bigint otherwise. */
  private long(n: number): number | bigint {
    if (n > MAX_LONG_BYTES) throw new PickleProblem(`${this.opName} holds a ${n}-byte integer, beyond the ${MAX_LONG_BYTES}-byte limit`);
    const bytes = this.raw(n);
    if (n === 0) return 0;
    let hex = '';
    for (let i = n - 1; i >= 0; i--) hex += bytes[i]!.toString(16).padStart(2, '0');
    let value = BigInt(`0x${hex}`);
    if (bytes[n - 1]! & 0x80) value -= 1n << BigInt(8 * n);
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  }

  private pop(): PickleValue {
    if (this.stack.length === 0) throw new PickleProblem(`${this.opName} needs a value but the stack is empty`);
    return this.stack.pop()!;
  }

  private peek(): PickleValue {
    if (this.stack.length === 0) throw new PickleProblem(`${this.opName} needs a value but the stack is empty`);
    return this.stack[this.stack.length - 1]!;
  }

  private popN(n: number): PickleValue[] {
    if (this.stack.length < n) {
      throw new PickleProblem(`${this.opName} needs ${n} values but the stack holds ${this.stack.length}`);
    }
    return this.stack.splice(this.stack.length - n, n);
  }

  /** The values pushed since the last MARK, removing them and the MARK. */
  private popMark(): PickleValue[] {
    const items = this.stack;
    const below = this.metastack.pop();
    if (!below) throw new PickleProblem(`${this.opName} found no MARK on the stack`);
    this.stack = below;
    return items;
  }

  /** A list, or a placeholder (a list subclass Python would append to), which keeps the items. */
  private listOnTop(): PickleValue[] {
    const list = this.peek();
    if (list instanceof Placeholder) return list.items;
    if (!Array.isArray(list)) throw new PickleProblem(`${this.opName} needs a list, found ${pickleTypeName(list)}`);
    return list;
  }

  /** A dict, or a placeholder (a dict subclass such as defaultdict), which keeps the pairs in order. */
  private dictOnTop(): PickleDict | Placeholder {
    const dict = this.peek();
    if (!(dict instanceof PickleDict) && !(dict instanceof Placeholder)) throw new PickleProblem(`${this.opName} needs a dict, found ${pickleTypeName(dict)}`);
    return dict;
  }

  private setItems(dict: PickleDict | Placeholder, items: readonly PickleValue[]): void {
    if (items.length % 2 !== 0) throw new PickleProblem(`${this.opName} has an odd number of values (${items.length}) for key-value pairs`);
    if (dict instanceof Placeholder) {
      for (const item of items) dict.pairs.push(item);
      return;
    }
    for (let i = 0; i < items.length; i += 2) {
      if (!dict.set(items[i]!, items[i + 1]!)) throw new PickleProblem(`${this.opName} uses a ${pickleTypeName(items[i])} as a dict key that is unhashable or too long`);
    }
  }

  private addAll(set: PickleSet, items: readonly PickleValue[]): void {
    for (const item of items) {
      if (!set.add(item)) throw new PickleProblem(`${this.opName} adds a ${pickleTypeName(item)} to a set that is unhashable or too long`);
    }
  }

  private memoGet(index: number): PickleValue {
    const value = this.memo.get(index);
    if (value === undefined) throw new PickleProblem(`${this.opName} asks for memo entry ${index}, which was never stored`);
    return value;
  }

  private findGlobal(module: string, name: string): PickleGlobal {
    if (this.protocol >= 3) return this.options.findGlobal(module, name);
    const renamed = module === '__builtin__' ? PYTHON2_NAMES.get(name) : undefined;
    if (renamed) return this.options.findGlobal(...renamed);
    return this.options.findGlobal(PYTHON2_MODULES.get(module) ?? module, name);
  }

  private invoke(target: PickleValue, args: PickleValue, asNew: boolean): PickleValue {
    if (!(target instanceof PickleGlobal) || !target.call || (asNew && !target.isClass)) {
      throw new PickleProblem(`${this.opName} needs ${asNew ? 'a class' : 'something callable'}, found ${pickleTypeName(target)}`);
    }
    if (!(args instanceof PickleTuple)) {
      throw new PickleProblem(`${this.opName} needs a tuple of arguments for '${clip(target.qualifiedName)}', found ${pickleTypeName(args)}`);
    }
    return target.call(args.items);
  }

  /**
   * BUILD: Python sets an object's state. Dicts keep it as attributes (an OrderedDict's), a
   * placeholder keeps it as it came; nothing else may have state.
   */
  private build(target: PickleValue, state: PickleValue): void {
    if (target instanceof Placeholder) {
      target.states.push(state);
      return;
    }
    // State may come as (instance dict, slot dict); either part may be None.
    const parts = state instanceof PickleTuple && state.items.length === 2 ? state.items : [state];
    if (!(target instanceof PickleDict)) {
      throw new PickleProblem(`BUILD cannot set state on ${pickleTypeName(target)}; only dicts may carry attributes`);
    }
    for (const part of parts) {
      if (part === null) continue;
      if (!(part instanceof PickleDict)) throw new PickleProblem(`BUILD needs a dict of attributes, found ${pickleTypeName(part)}`);
      target.attributes ??= new PickleDict();
      for (const [key, value] of part.entries()) target.attributes.set(key, value);
    }
  }

  private persistentLoad(pid: PickleValue): PickleValue {
    if (!this.options.persistentLoad) throw new PickleProblem(`${this.opName} refers to external data, which this pickle may not do`);
    return this.options.persistentLoad(pid);
  }
}
