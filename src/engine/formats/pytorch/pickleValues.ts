/**
 * The plain values a restricted unpickler produces. Nothing here can run code: the only objects
 * beyond containers are the ones an allow-listed global's TypeScript constructor makes.
 */

import { clip } from '../../io/formatError';

export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | PickleTuple
  | PickleDict
  | PickleSet
  | PickleGlobal
  | PickleObject;

/** A Python tuple, kept apart from lists (which are plain arrays). */
export class PickleTuple {
  constructor(readonly items: readonly PickleValue[]) {}
}

/**
 * What a GLOBAL resolves to once a policy allows it. `call` is the pure TypeScript stand-in for
 * calling it (REDUCE, and NEWOBJ when `isClass`); a global without one can only be passed around.
 * A global the policy does not know but lets through as a `placeholder` is never imported: calling
 * it only records the call (a Placeholder).
 */
export class PickleGlobal {
  readonly call?: (args: readonly PickleValue[]) => PickleValue;

  constructor(
    readonly module: string,
    readonly name: string,
    call?: (args: readonly PickleValue[]) => PickleValue,
    readonly isClass = false,
    readonly placeholder = false,
  ) {
    this.call = placeholder ? (args) => new Placeholder(this, args) : call;
  }

  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** An object an allow-listed constructor built (a tensor, a storage, a slice). */
export abstract class PickleObject {
  abstract readonly typeName: string;
}

let placeholders = 0;

/**
 * What calling a placeholder global made, kept as plain data and nothing more: the global, the
 * arguments it was called with, and whatever the pickle then gave the object (BUILD state,
 * SETITEMS pairs, APPENDS items). Python would have imported the global and run it; nothing here
 * runs. Each holds only values the pickle already pushed, so it is bounded by the pickle's size.
 */
export class Placeholder extends PickleObject {
  /** Its identity as a dict key or set item: Python would hash it with its class's code. */
  readonly id = placeholders++;
  readonly states: PickleValue[] = [];
  readonly items: PickleValue[] = [];
  readonly pairs: PickleValue[] = [];

  constructor(
    readonly global: PickleGlobal,
    readonly args: readonly PickleValue[],
  ) {
    super();
  }

  get typeName(): string {
    return `placeholder for '${clip(this.global.qualifiedName)}'`;
  }

  /**
   * Every value it holds, for walks over the unpickled structure. The arguments come as one list:
   * they are the items of the pickle's tuple, which the memo lets a million calls share, and a
   * walk that remembers what it has seen then visits them once, not once per call.
   */
  children(): PickleValue[] {
    return [this.args as PickleValue[], ...this.states, ...this.items, ...this.pairs];
  }
}

/**
 * The longest key hash, in characters. A memo reference makes reusing a long key (or a tuple
 * nested by doubling) nearly free in the pickle, so each use must cost little; real dict keys
 * (parameter names, small tuples) are far shorter.
 */
const MAX_KEY_HASH = 1024;

/**
 * A string that is equal for equal Python keys (so that a repeated key replaces the earlier value,
 * as in Python), or undefined when the value is unhashable (a list, a dict) or too long.
 */
export function hashKey(value: PickleValue): string | undefined {
  let room = MAX_KEY_HASH;
  const leaf = (h: string): string | undefined => ((room -= h.length) < 0 ? undefined : h);
  const hash = (v: PickleValue): string | undefined => {
    if (v === null) return leaf('N');
    switch (typeof v) {
      case 'boolean': return leaf(v ? 'n1' : 'n0');
      case 'number': return leaf(`n${v}`);
      case 'bigint': return v.toString(16).length >= room ? undefined : leaf(`n${v}`);
      case 'string': return v.length >= room ? undefined : leaf(`s${v}`);
    }
    if (v instanceof Uint8Array) {
      return v.length >= room ? undefined : leaf(`b${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('latin1')}`);
    }
    if (v instanceof PickleGlobal) return leaf(`g${v.qualifiedName}`);
    // Distinct placeholders stay distinct keys; equal ones pickled twice are rare (the memo shares them).
    if (v instanceof Placeholder) return leaf(`p${v.id}`);
    if (v instanceof PickleTuple || (v instanceof PickleSet && v.frozen)) {
      if (leaf('t()') === undefined || v.items.length > room) return undefined;
      const parts: string[] = [];
      for (const item of v.items) {
        const h = hash(item);
        if (h === undefined || leaf(`${h.length}:`) === undefined) return undefined;
        parts.push(`${h.length}:${h}`);
      }
      // A frozenset's order is not part of its identity.
      if (v instanceof PickleSet) parts.sort();
      return `${v instanceof PickleSet ? 'f' : 't'}(${parts.join('')})`;
    }
    return undefined;
  };
  return hash(value);
}

/**
 * A Python dict or OrderedDict: insertion order and non-string keys are kept. `attributes` holds
 * state that BUILD gave the object (an OrderedDict's `__dict__`, e.g. a state_dict's `_metadata`).
 */
export class PickleDict {
  /** String keys (nearly all of them) index by themselves: no hash string to build per lookup. */
  private readonly byString = new Map<string, number>();
  private readonly byHash = new Map<string, number>();
  private readonly keyList: PickleValue[] = [];
  private readonly valueList: PickleValue[] = [];
  attributes?: PickleDict;

  constructor(readonly typeName = 'dict') {}

  get size(): number {
    return this.keyList.length;
  }

  /** False (and nothing stored) when the key is unhashable. */
  set(key: PickleValue, value: PickleValue): boolean {
    const slot = this.slot(key);
    if (!slot) return false;
    const [index, h] = slot;
    const at = index.get(h);
    if (at === undefined) {
      index.set(h, this.keyList.length);
      this.keyList.push(key);
      this.valueList.push(value);
    } else {
      this.valueList[at] = value;
    }
    return true;
  }

  get(key: PickleValue): PickleValue | undefined {
    const slot = this.slot(key);
    const at = slot?.[0].get(slot[1]);
    return at === undefined ? undefined : this.valueList[at];
  }

  has(key: PickleValue): boolean {
    return this.get(key) !== undefined;
  }

  private slot(key: PickleValue): [Map<string, number>, string] | undefined {
    if (typeof key === 'string') return key.length < MAX_KEY_HASH ? [this.byString, key] : undefined;
    const h = hashKey(key);
    return h === undefined ? undefined : [this.byHash, h];
  }

  *entries(): IterableIterator<[PickleValue, PickleValue]> {
    for (let i = 0; i < this.keyList.length; i++) yield [this.keyList[i]!, this.valueList[i]!];
  }

  keys(): readonly PickleValue[] {
    return this.keyList;
  }

  values(): readonly PickleValue[] {
    return this.valueList;
  }
}

/** A Python set or frozenset, in insertion order, without duplicates. */
export class PickleSet {
  private readonly seen = new Set<string>();
  private readonly itemList: PickleValue[] = [];

  constructor(readonly frozen: boolean) {}

  get items(): readonly PickleValue[] {
    return this.itemList;
  }

  /** False (and nothing stored) when the item is unhashable. */
  add(item: PickleValue): boolean {
    const h = hashKey(item);
    if (h === undefined) return false;
    if (!this.seen.has(h)) {
      this.seen.add(h);
      this.itemList.push(item);
    }
    return true;
  }
}

/** A short name of a value's Python type, for error messages (never the value itself, which may be huge). */
export function pickleTypeName(value: PickleValue | undefined): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'None';
  switch (typeof value) {
    case 'boolean': return 'bool';
    case 'number': return Number.isInteger(value) ? 'int' : 'float';
    case 'bigint': return 'int';
    case 'string': return 'str';
  }
  if (value instanceof Uint8Array) return 'bytes';
  if (Array.isArray(value)) return 'list';
  if (value instanceof PickleTuple) return 'tuple';
  if (value instanceof PickleDict) return value.typeName;
  if (value instanceof PickleSet) return value.frozen ? 'frozenset' : 'set';
  if (value instanceof PickleGlobal) return `global '${clip(value.qualifiedName)}'`;
  return value.typeName;
}
