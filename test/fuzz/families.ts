import { readFileSync } from 'node:fs';
import { fixture } from '../helpers/paths';
import {
  byteMutators, deepJson, deflatedZeros, ESCAPING_PATHS, gunzip, gzip, gzippedBomb, NESTING_DEPTHS, ODD_JSON, pickFile, randomSlot,
  rawMarker, SPECIAL_INTEGERS, stringifyWith, withInteger, type Draft, type Mutator,
} from './mutate';
import { npyOf, parseNpy, parseSafetensors, readZip, safetensorsOf, writeNpy, writeSafetensors } from './formats';
import {
  concat, FORBIDDEN_CALLS, call, legacyFile, nestedCalls, nestedDicts, nestedLists, nestedTuples, onlyForbidden, POP, stateDictPickle, str,
  type SyntheticTensor,
} from './pickleBytes';
import type { Random } from './random';
import { tokenMutators, tokenSeeds } from './tokenFamily';
import { transformerMutators, transformerSeeds } from './transformerFamily';
import { writeZip, type ZipMember } from './zipWriter';

/**
 * How a case is read: through the checkpoint readers, the dataset readers, the bare unpickler, or
 * as a comparison reads a transformer (its network inferred and read, then one forward pass).
 */
export type ReadMode = 'checkpoint' | 'dataset' | 'pickle' | 'transformer';

/** A valid case: its files by name, and the one the reader is given. */
export interface Seed {
  readonly name: string;
  readonly files: ReadonlyMap<string, Uint8Array>;
  readonly target: string;
  /** Where the pickles of a legacy torch.save file start (the fixture's layout). */
  readonly picklesAt?: readonly number[];
  /** How often the seed is drawn relative to the family's others (1 when no seed says). */
  readonly weight?: number;
}

export interface Family {
  readonly name: string;
  readonly mode: ReadMode;
  seeds(): Seed[];
  readonly mutators: readonly Mutator[];
  /**
   * Whether a file cut to `length` bytes may still be a valid file of the family: only CIFAR-10
   * batches, which declare no count, at a record boundary. Every other truncation must be refused.
   */
  truncationMayBeValid?(file: string, length: number): boolean;
}

const read = (...parts: string[]): Uint8Array => new Uint8Array(readFileSync(fixture(...parts)));
const bytesOf = (values: ArrayLike<number>, Type: Float32ArrayConstructor | Int32ArrayConstructor | BigInt64ArrayConstructor | Uint8ArrayConstructor): Uint8Array => {
  const typed = Type === BigInt64Array ? BigInt64Array.from(Array.from(values, BigInt)) : (Type as Float32ArrayConstructor).from(values);
  return new Uint8Array(typed.buffer);
};
/** JSON files are seeded without trailing white space, so that every truncation breaks them. */
const trimmedJson = (bytes: Uint8Array): Uint8Array => new TextEncoder().encode(new TextDecoder().decode(bytes).trimEnd());

function seed(name: string, target: string, files: Record<string, Uint8Array>, extra: Partial<Seed> = {}): Seed {
  return { name, target, files: new Map(Object.entries(files)), ...extra };
}

// ---------------------------------------------------------------- safetensors

/** Format-aware mutators of the safetensors files among a case's (`files` picks them). */
function safetensorsMutators(files: RegExp): Mutator[] {
  const parsed = (draft: Draft, rng: Random) => {
    const file = pickFile(draft, rng, files);
    return { file, parts: parseSafetensors(draft.files.get(file)!) };
  };
  return [
    {
      name: 'header-length',
      weight: 2,
      apply(draft, rng) {
        const file = pickFile(draft, rng, files);
        const bytes = draft.files.get(file)!;
        const declared = bytes.length >= 8 ? new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true) : 0n;
        const value = rng.chance(0.5) ? rng.pick(SPECIAL_INTEGERS) : BigInt.asUintN(64, declared + BigInt(rng.between(-9, 9)));
        draft.files.set(file, withInteger(bytes, 0, 8, value));
        return `set ${file}'s header length to ${value}`;
      },
    },
    {
      name: 'header-field',
      weight: 4,
      apply(draft, rng) {
        const { file, parts } = parsed(draft, rng);
        if (!parts) return 'no header to tamper with';
        const names = Object.keys(parts.header);
        const name = rng.pick(names.length ? names : ['x']);
        const entry = parts.header[name];
        const value = rng.pick(ODD_JSON);
        let what: string;
        if (typeof entry === 'object' && entry !== null && !Array.isArray(entry) && rng.chance(0.85)) {
          const field = rng.pick(['dtype', 'shape', 'data_offsets', 'dtype', 'shape', 'data_offsets', 'extra']);
          if (rng.chance(0.1)) delete (entry as Record<string, unknown>)[field];
          else (entry as Record<string, unknown>)[field] = value;
          what = `${name}.${field}`;
        } else {
          parts.header[name] = value;
          what = name;
        }
        draft.files.set(file, writeSafetensors(JSON.stringify(parts.header), parts.data));
        return `set ${what} in ${file}'s header to ${JSON.stringify(value)?.slice(0, 40)}`;
      },
    },
    {
      name: 'huge-shape',
      weight: 2,
      apply(draft, rng) {
        const { file, parts } = parsed(draft, rng);
        if (!parts) return 'no header to tamper with';
        const names = Object.keys(parts.header).filter((n) => n !== '__metadata__');
        if (!names.length) return 'no tensor to tamper with';
        const entry = parts.header[rng.pick(names)] as Record<string, unknown>;
        const shape = rng.pick([[2 ** 31, 2 ** 31], [2 ** 20, 2 ** 20, 2 ** 20], [2 ** 53 - 1], [2 ** 26, 2 ** 26, 0], new Array(100).fill(2), [1e9]]);
        entry.shape = shape;
        // Half the time the offsets agree with the shape, so that only the file's size can refuse it.
        if (rng.chance(0.5) && Array.isArray(entry.data_offsets)) {
          const begin = entry.data_offsets[0] as number;
          entry.data_offsets = [begin, begin + shape.reduce((a: number, b: number) => a * b, 1) * 4];
          entry.dtype = 'F32';
        }
        draft.files.set(file, writeSafetensors(JSON.stringify(parts.header), parts.data));
        return `declare shape [${shape.slice(0, 4).join(', ')}${shape.length > 4 ? ', …' : ''}] in ${file}`;
      },
    },
    {
      name: 'deep-nesting',
      weight: 2,
      apply(draft, rng) {
        const { file, parts } = parsed(draft, rng);
        if (!parts) return 'no header to tamper with';
        const depth = rng.pick(NESTING_DEPTHS);
        const slot = randomSlot(parts.header, rng);
        (slot.parent as Record<string | number, unknown>)[slot.key] = rawMarker();
        draft.files.set(file, writeSafetensors(stringifyWith(parts.header, deepJson(depth, rng)), parts.data));
        return `nest ${depth} levels at ${String(slot.key)} in ${file}'s header`;
      },
    },
    {
      name: 'names',
      weight: 2,
      apply(draft, rng) {
        const { file, parts } = parsed(draft, rng);
        if (!parts) return 'no header to tamper with';
        const names = Object.keys(parts.header).filter((n) => n !== '__metadata__');
        if (!names.length) return 'no tensor to rename';
        const old = rng.pick(names);
        const name = rng.pick(['', '__metadata__', 'n'.repeat(20000), 'a\nb', '\u001b[31mred', '\u0000', '\ud800', names[0]!, '__proto__', 'constructor']);
        const rebuilt: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(parts.header)) rebuilt[k === old ? name : k] = v;
        draft.files.set(file, writeSafetensors(JSON.stringify(rebuilt), parts.data));
        return `rename tensor ${old} to ${JSON.stringify(name).slice(0, 30)} in ${file}`;
      },
    },
    {
      name: 'metadata',
      weight: 1,
      apply(draft, rng) {
        const { file, parts } = parsed(draft, rng);
        if (!parts) return 'no header to tamper with';
        const value = rng.pick([{ k: 1 }, { k: null }, { k: ['a'] }, { ['k'.repeat(10000)]: 'v' }, { k: 'v'.repeat(100000) }, 'x', [], null, Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, 'v']))]);
        parts.header.__metadata__ = value;
        draft.files.set(file, writeSafetensors(JSON.stringify(parts.header), parts.data));
        return `set __metadata__ of ${file} to ${JSON.stringify(value).slice(0, 40)}`;
      },
    },
    {
      name: 'many-tensors',
      weight: 1,
      apply(draft, rng) {
        const { file, parts } = parsed(draft, rng);
        if (!parts) return 'no header to tamper with';
        const n = rng.pick([1000, 20000]);
        const end = parts.data.length;
        for (let i = 0; i < n; i++) parts.header[`empty.${i}`] = { dtype: 'F32', shape: [0], data_offsets: [end, end] };
        draft.files.set(file, writeSafetensors(JSON.stringify(parts.header), parts.data));
        return `add ${n} empty tensors to ${file}`;
      },
    },
  ];
}

function safetensorsSeeds(): Seed[] {
  const f32 = bytesOf([1, -2, 3.5, 0, 1e-8, 7], Float32Array);
  return [
    seed('all_dtypes', 'model.safetensors', { 'model.safetensors': read('safetensors', 'all_dtypes.safetensors') }),
    seed('header_128', 'model.safetensors', { 'model.safetensors': read('safetensors', 'header_128.safetensors') }),
    seed('shuffled_keys', 'model.safetensors', { 'model.safetensors': read('safetensors', 'shuffled_keys.safetensors') }),
    seed('generated', 'model.safetensors', {
      'model.safetensors': safetensorsOf(
        [
          { name: 'fc.weight', dtype: 'F32', shape: [2, 3], data: f32 },
          { name: 'fc.bias', dtype: 'I64', shape: [2], data: bytesOf([1, -5], BigInt64Array) },
          { name: 'empty', dtype: 'F16', shape: [0, 3], data: new Uint8Array(0) },
        ],
        { format: 'pt', note: 'fuzz seed' },
      ),
    }),
  ];
}

// ---------------------------------------------------------------- JSON indexes and manifests

/** Mutators of a JSON file (a sharded index, a model.json): odd values, escaping paths, nesting. */
function jsonMutators(files: RegExp, pathSlots: (root: Record<string, unknown>, rng: Random) => { parent: Record<string, unknown> | unknown[]; key: string | number } | undefined): Mutator[] {
  const parsed = (draft: Draft, rng: Random) => {
    const file = pickFile(draft, rng, files);
    try {
      const value = JSON.parse(new TextDecoder().decode(draft.files.get(file)!)) as unknown;
      return { file, root: typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined };
    } catch {
      return { file, root: undefined };
    }
  };
  const write = (draft: Draft, file: string, textOf: string) => draft.files.set(file, new TextEncoder().encode(textOf));
  return [
    {
      name: 'json-field',
      weight: 4,
      apply(draft, rng) {
        const { file, root } = parsed(draft, rng);
        if (!root) return 'no JSON to tamper with';
        const slot = randomSlot(root, rng);
        const value = rng.pick(ODD_JSON);
        if (rng.chance(0.1) && !Array.isArray(slot.parent)) delete slot.parent[slot.key as string];
        else (slot.parent as Record<string | number, unknown>)[slot.key] = value;
        write(draft, file, JSON.stringify(root));
        return `set ${String(slot.key)} in ${file} to ${JSON.stringify(value)?.slice(0, 40)}`;
      },
    },
    {
      name: 'escaping-path',
      weight: 4,
      apply(draft, rng) {
        const { file, root } = parsed(draft, rng);
        if (!root) return 'no JSON to tamper with';
        const slot = pathSlots(root, rng);
        if (!slot) return 'no path to tamper with';
        const path = rng.pick(ESCAPING_PATHS);
        (slot.parent as Record<string | number, unknown>)[slot.key] = path;
        write(draft, file, JSON.stringify(root));
        return `point ${String(slot.key)} of ${file} at ${JSON.stringify(path).slice(0, 40)}`;
      },
    },
    {
      name: 'json-nesting',
      weight: 2,
      apply(draft, rng) {
        const { file, root } = parsed(draft, rng);
        if (!root) return 'no JSON to tamper with';
        const depth = rng.pick(NESTING_DEPTHS);
        const slot = randomSlot(root, rng);
        (slot.parent as Record<string | number, unknown>)[slot.key] = rawMarker();
        write(draft, file, stringifyWith(root, deepJson(depth, rng)));
        return `nest ${depth} levels at ${String(slot.key)} in ${file}`;
      },
    },
    {
      name: 'json-repeat',
      weight: 1,
      apply(draft, rng) {
        const { file, root } = parsed(draft, rng);
        if (!root) return 'no JSON to tamper with';
        const slot = randomSlot(root, rng);
        const n = rng.pick([1000, 20000, 100000]);
        const item = (slot.parent as Record<string | number, unknown>)[slot.key];
        // An array's own items are repeated (a manifest listing one weight file 20,000 times), anything else is.
        const items = Array.isArray(item) && item.length > 0 ? item : [item ?? 1];
        (slot.parent as Record<string | number, unknown>)[slot.key] = Array.from({ length: n }, (_, i) => items[i % items.length]);
        write(draft, file, JSON.stringify(root));
        return `repeat ${String(slot.key)} of ${file} ${n} times`;
      },
    },
  ];
}

function shardedSeeds(): Seed[] {
  return [
    seed('two_shards', 'model.safetensors.index.json', {
      'model.safetensors.index.json': trimmedJson(read('safetensors', 'model.safetensors.index.json')),
      'model-00001-of-00002.safetensors': read('safetensors', 'model-00001-of-00002.safetensors'),
      'model-00002-of-00002.safetensors': read('safetensors', 'model-00002-of-00002.safetensors'),
    }),
  ];
}

function weightMapSlot(root: Record<string, unknown>, rng: Random) {
  const map = root.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) return undefined;
  const keys = Object.keys(map);
  return keys.length ? { parent: map as Record<string, unknown>, key: rng.pick(keys) } : undefined;
}

function manifestPathSlot(root: Record<string, unknown>, rng: Random) {
  const manifest = root.weightsManifest;
  if (!Array.isArray(manifest) || manifest.length === 0) return undefined;
  const group = rng.pick(manifest) as Record<string, unknown>;
  const paths = group?.paths;
  if (!Array.isArray(paths) || paths.length === 0) return undefined;
  return { parent: paths, key: rng.below(paths.length) };
}

function tfjsSeeds(): Seed[] {
  // A second model with quantized weights across two shards (a weight straddles them).
  const q = { paths: ['g-shard1of2.bin', 'g-shard2of2.bin'], weights: [
    { name: 'q8', shape: [2, 2], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.5, min: -1 } },
    { name: 'h', shape: [3], dtype: 'float32', quantization: { dtype: 'float16' } },
    { name: 'i', shape: [2], dtype: 'int32' },
  ] };
  const bytes = concat([Uint8Array.of(0, 1, 2, 255), new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0]).buffer), bytesOf([7, -1], Int32Array)]);
  return [
    seed('layers_model', 'model.json', {
      'model.json': new TextEncoder().encode(JSON.stringify(JSON.parse(new TextDecoder().decode(read('tfjs', 'model.json'))))),
      'group1-shard1of1.bin': read('tfjs', 'group1-shard1of1.bin'),
    }),
    seed('quantized', 'model.json', {
      'model.json': new TextEncoder().encode(JSON.stringify({ format: 'graph-model', weightsManifest: [q] })),
      'g-shard1of2.bin': bytes.slice(0, 7),
      'g-shard2of2.bin': bytes.slice(7),
    }),
  ];
}

// ---------------------------------------------------------------- NumPy

const PY_ODD: readonly string[] = [
  "'<f9'", "'|O'", "'V8'", "'<U10'", "'>c32'", "'<f4' * 99", "''", "None", "'x'" + "x".repeat(5000), "[('a', '<f4')]", "'<M8[s]'",
  '(2**40, 2**40)', '(-1,)', '(1e9,)', '(4294967296, 4294967296)', '(9007199254740993,)', '()', '(0, 9007199254740991)',
  'True', 'Maybe', '1', '{}', "{'a': 1}", "'\\x00'", "b'<f4'", "'<f4\\n'", '(1,)*99',
];

/** Format-aware mutators of .npy bytes: the header dict's values, its length, nesting. */
function npyByteMutations(bytes: Uint8Array, rng: Random): { bytes: Uint8Array; what: string } {
  const parts = parseNpy(bytes);
  if (!parts) return { bytes, what: 'no header to tamper with' };
  const choice = rng.below(5);
  if (choice === 0) {
    const key = rng.pick(['descr', 'fortran_order', 'shape']);
    const value = rng.pick(PY_ODD);
    const re = new RegExp(`'${key}':\\s*(\\([^)]*\\)|'[^']*'|\\w+)`);
    const headerText = parts.headerText.replace(re, `'${key}': ${value}`);
    return { bytes: writeNpy(headerText, parts.data, parts.major), what: `set ${key} to ${value.slice(0, 30)}` };
  }
  if (choice === 1) {
    const depth = rng.pick(NESTING_DEPTHS);
    const nest = rng.chance(0.5) ? '('.repeat(depth) + ')'.repeat(depth) : '['.repeat(depth) + ']'.repeat(depth);
    const headerText = parts.headerText.replace(/'shape':\s*\([^)]*\)/, `'shape': ${nest}`);
    return { bytes: writeNpy(headerText, parts.data, rng.chance(0.5) ? parts.major : 2), what: `nest ${depth} levels in the shape` };
  }
  if (choice === 2) {
    const value = rng.pick(SPECIAL_INTEGERS);
    return { bytes: withInteger(bytes, 8, parts.major === 1 ? 2 : 4, value), what: `set the header length to ${value}` };
  }
  if (choice === 3) {
    const version = rng.pick([0, 1, 2, 3, 4, 255]);
    return { bytes: withInteger(bytes, 6, 1, BigInt(version)), what: `set the major version to ${version}` };
  }
  const garbage = rng.pick(['{', "{'descr': '<f4', 'shape': (1,), 'fortran_order': False, 'shape': (2,)}", "{'descr': '<f4', 'fortran_order': False}", '[]', "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}", '\u0000'.repeat(10), "{'descr': '<f4', 'fortran_order': False, 'shape': (" + '1,'.repeat(5000) + ')}']);
  return { bytes: writeNpy(garbage, parts.data, parts.major), what: `replace the header with ${garbage.slice(0, 30)}` };
}

function npyMutators(files: RegExp): Mutator[] {
  return [{
    name: 'npy-header',
    weight: 5,
    apply(draft, rng) {
      const file = pickFile(draft, rng, files);
      const { bytes, what } = npyByteMutations(draft.files.get(file)!, rng);
      draft.files.set(file, bytes);
      return `${what} in ${file}`;
    },
  }];
}

function npySeeds(): Seed[] {
  return ['dtype-lf4', 'dtype-bf8', 'dtype-li8', 'dtype-lb1', 'dtype-lc8', 'fortran-f4', 'fortran-bi2', 'v2', 'v3', 'scalar', 'empty', 'dtype-bu4'].map((name) =>
    seed(name, 'array.npy', { 'array.npy': read('numpy', `${name}.npy`) }),
  );
}

// ---------------------------------------------------------------- zip archives

const ZIP_NAMES: readonly string[] = ['', '../x.npy', '/abs/data.pkl', 'a\u0000b', 'x'.repeat(5000), 'archive/data.pkl', 'archive/data/0', 'arr_0.npy', '\u001b[2J.npy'];

/**
 * Mutators of a zip archive's members (`inner` mutates one member's bytes) and of the archive
 * itself: lying sizes, bombs, odd names, missing and doubled members, tampered header fields.
 */
function zipMutators(files: RegExp, inner: (name: string, bytes: Uint8Array, rng: Random) => { bytes: Uint8Array; what: string; mustRefuse?: string }): Mutator[] {
  const members = (draft: Draft, rng: Random) => {
    const file = pickFile(draft, rng, files);
    return { file, list: readZip(draft.files.get(file)!) };
  };
  return [
    {
      name: 'member',
      weight: 6,
      apply(draft, rng) {
        const { file, list } = members(draft, rng);
        if (!list?.length) return 'no members to mutate';
        const i = rng.below(list.length);
        const result = inner(list[i]!.name, list[i]!.data, rng);
        list[i] = { ...list[i]!, data: result.bytes };
        draft.files.set(file, writeZip(list));
        if (result.mustRefuse) draft.mustRefuse = result.mustRefuse;
        return `${result.what} in member ${list[i]!.name} of ${file}`;
      },
    },
    {
      name: 'zip-bomb',
      weight: 2,
      apply(draft, rng) {
        const { file, list } = members(draft, rng);
        if (!list?.length) return 'no members to mutate';
        const i = rng.below(list.length);
        const megabytes = rng.pick([1, 8]);
        const declared = rng.pick([list[i]!.data.length, 0, 100, megabytes * 2 ** 20 - 1]);
        // The raw stream is inserted as is: a member whose deflated bytes inflate far past its declared size.
        const bomb = zipWithRawMember(list, i, deflatedZeros(megabytes), declared);
        draft.files.set(file, bomb);
        return `replace member ${list[i]!.name} of ${file} by ${megabytes} MiB of deflated zeros declaring ${declared} bytes`;
      },
    },
    {
      name: 'zip-sizes',
      weight: 3,
      apply(draft, rng) {
        const file = pickFile(draft, rng, files);
        const bytes = draft.files.get(file)!;
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        const headers: { at: number; fields: number[] }[] = [];
        for (let at = 0; at + 4 <= bytes.length; at++) {
          const sig = view.getUint32(at, true);
          if (sig === 0x04034b50) headers.push({ at, fields: [8, 14, 18, 22, 26, 28] });
          else if (sig === 0x02014b50) headers.push({ at, fields: [10, 20, 24, 28, 30, 32, 42] });
          else if (sig === 0x06054b50) headers.push({ at, fields: [8, 10, 12, 16, 20] });
        }
        if (!headers.length) return 'no zip headers to tamper with';
        const header = rng.pick(headers);
        const field = rng.pick(header.fields);
        const width = [26, 28, 30, 32, 8, 10].includes(field) && !(header.fields.length === 5 && field >= 12) ? 2 : 4;
        const value = rng.pick(SPECIAL_INTEGERS);
        draft.files.set(file, withInteger(bytes, header.at + field, width, value));
        return `write ${value} into the ${width}-byte field at ${header.at}+${field} of ${file}`;
      },
    },
    {
      name: 'zip-members',
      weight: 2,
      apply(draft, rng) {
        const { file, list } = members(draft, rng);
        if (!list?.length) return 'no members to mutate';
        const i = rng.below(list.length);
        const how = rng.below(4);
        if (how === 0) list.splice(i, 1);
        else if (how === 1) list.push({ ...list[i]! });
        else if (how === 2) list[i] = { ...list[i]!, name: rng.pick(ZIP_NAMES) };
        else list[i] = { ...list[i]!, declaredSize: Number(rng.pick(SPECIAL_INTEGERS) & 0xffffffffn) };
        draft.files.set(file, writeZip(list));
        return `${['drop', 'double', 'rename', 'lie about the size of'][how]} member ${list[i]?.name ?? i} of ${file}`;
      },
    },
  ];
}

/** A zip of `members` where member `index` holds `raw` deflate bytes as they are, declaring `declared` bytes. */
function zipWithRawMember(members: ZipMember[], index: number, raw: Uint8Array, declared: number): Uint8Array {
  // writeZip deflates what it is given; to store a raw stream, write it as stored and flip the method.
  const list = members.map((m, i) => (i === index ? { name: m.name, data: raw, declaredSize: declared } : m));
  const bytes = writeZip(list);
  const view = new DataView(bytes.buffer);
  for (let at = 0; at + 4 <= bytes.length; at++) {
    const sig = view.getUint32(at, true);
    const nameAt = sig === 0x04034b50 ? 30 : sig === 0x02014b50 ? 46 : -1;
    if (nameAt < 0) continue;
    const nameLength = view.getUint16(at + (sig === 0x04034b50 ? 26 : 28), true);
    const name = new TextDecoder().decode(bytes.subarray(at + nameAt, at + nameAt + nameLength));
    if (name !== members[index]!.name) continue;
    view.setUint16(at + (sig === 0x04034b50 ? 8 : 10), 8, true);
    // The CRC of the declared bytes is unknowable here; a bomb is refused before it matters.
  }
  return bytes;
}

function npzSeeds(): Seed[] {
  return ['savez', 'savez_compressed', 'with-extra'].map((name) => seed(name, 'arrays.npz', { 'arrays.npz': read('numpy', `${name}.npz`) }));
}

// ---------------------------------------------------------------- pickles

/** Mutations of pickle bytes: forbidden calls, deep nesting, lying lengths. */
function pickleMutation(bytes: Uint8Array, rng: Random): { bytes: Uint8Array; what: string; mustRefuse?: string } {
  const choice = rng.below(6);
  if (choice === 0) {
    const calls = Array.from({ length: rng.between(1, 3) }, () => rng.pick(FORBIDDEN_CALLS));
    const names = calls.map(([m, n]) => `${m}.${n}`).join(', ');
    return { bytes: onlyForbidden(calls), what: `replace the pickle by calls of ${names}`, mustRefuse: `a pickle made only of ${names}` };
  }
  if (choice === 1) {
    // A forbidden call whose result is dropped, before the real object: it must run nothing.
    const [m, n, a] = rng.pick(FORBIDDEN_CALLS);
    const at = bytes[0] === 0x80 ? 2 : 0;
    return { bytes: concat([bytes.subarray(0, at), call(m, n, a), POP, bytes.subarray(at)]), what: `call ${m}.${n} before the object` };
  }
  if (choice === 2) {
    const depth = rng.pick([50, 99, 100, 101, 1000, 20000, 100000]);
    const kind = rng.below(4);
    const made = [nestedLists, nestedTuples, nestedDicts, (d: number) => nestedCalls(d, 'torch._utils', '_rebuild_from_type_v2')][kind]!(depth);
    return { bytes: made, what: `replace the pickle by ${['lists', 'tuples', 'dicts', '_rebuild_from_type_v2 calls'][kind]} nested ${depth} deep` };
  }
  if (choice === 3) {
    // An opcode with a lying length or index, inserted among the real ones.
    const piece = rng.pick([
      Uint8Array.of(0x58, 0xff, 0xff, 0xff, 0x7f), Uint8Array.of(0x42, 0xff, 0xff, 0xff, 0xff), Uint8Array.of(0x8e, 0, 0, 0, 0, 0, 0, 0x20, 0),
      Uint8Array.of(0x8b, 0xff, 0xff, 0xff, 0x7f), Uint8Array.of(0x95, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), Uint8Array.of(0x6a, 0xff, 0xff, 0xff, 0xff),
      Uint8Array.of(0x72, 0xff, 0xff, 0xff, 0xff), Uint8Array.of(0x68, 0xfe), Uint8Array.of(0x31), Uint8Array.of(0x30, 0x30, 0x30), Uint8Array.of(0x2e),
      Uint8Array.of(0x8d, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), Uint8Array.of(0x93), Uint8Array.of(0x52), Uint8Array.of(0x81), Uint8Array.of(0x62),
      Uint8Array.of(0x51), Uint8Array.of(0x75), Uint8Array.of(0x90), Uint8Array.of(0x65), Uint8Array.of(0x73), concat([str('x'.repeat(3000)), Uint8Array.of(0x93)]),
    ]);
    const at = rng.between(Math.min(2, bytes.length), bytes.length);
    return { bytes: concat([bytes.subarray(0, at), piece, bytes.subarray(at)]), what: `insert opcode 0x${piece[0]!.toString(16)} at ${at}` };
  }
  if (choice === 4) {
    // Tensor rebuilds with odd arguments: replace a string the pickle holds (a storage key, a dtype's name).
    const textOf = Buffer.from(bytes).toString('latin1');
    const names = ['FloatStorage', 'LongStorage', 'HalfStorage', 'cpu', '_rebuild_tensor_v2', 'OrderedDict', 'storage', 'torch', 'collections', '_rebuild_parameter'];
    const found = names.filter((n) => textOf.includes(n));
    if (!found.length) return { bytes, what: 'no name to replace' };
    const name = rng.pick(found);
    const replacement = rng.pick(['DoubleStorage', 'BoolStorage', 'QInt8Storage', 'cuda:0', '_rebuild_sparse_tensor', 'system', 'os', 'builtins', 'eval', 'UntypedStorage', 'ByteStorage', 'x', 'BFloat16Storage', 'ComplexFloatStorage']);
    const replaced = textOf.replace(name, replacement);
    // BINUNICODE/SHORT_BINUNICODE lengths are left as they are: the reader must catch the mismatch.
    return { bytes: new Uint8Array(Buffer.from(replaced, 'latin1')), what: `replace '${name}' by '${replacement}'` };
  }
  const value = rng.pick(SPECIAL_INTEGERS);
  const positions: number[] = [];
  for (let i = 0; i < bytes.length; i++) if ([0x4a, 0x4b, 0x4d, 0x8a, 0x71, 0x72, 0x68, 0x6a].includes(bytes[i]!)) positions.push(i);
  if (!positions.length) return { bytes, what: 'no integer to change' };
  const at = rng.pick(positions) + 1;
  return { bytes: withInteger(bytes, at, rng.pick([1, 2, 4]), value), what: `write ${value} after the opcode at ${at - 1}` };
}

function pickleMutators(files: RegExp): Mutator[] {
  return [{
    name: 'pickle',
    weight: 6,
    apply(draft, rng) {
      const file = pickFile(draft, rng, files);
      const result = pickleMutation(draft.files.get(file)!, rng);
      draft.files.set(file, result.bytes);
      if (result.mustRefuse) draft.mustRefuse = result.mustRefuse;
      return `${result.what} in ${file}`;
    },
  }];
}

/** data.pkl gets the pickle mutations; a storage or a one-word member is cut or lengthened. */
function pytorchMember(name: string, bytes: Uint8Array, rng: Random): { bytes: Uint8Array; what: string; mustRefuse?: string } {
  if (name.endsWith('/data.pkl')) return pickleMutation(bytes, rng);
  const how = rng.below(3);
  if (how === 0) return { bytes: bytes.subarray(0, rng.below(bytes.length + 1)), what: 'cut' };
  if (how === 1) return { bytes: concat([bytes, rng.bytes(rng.between(1, 80))]), what: 'lengthen' };
  return { bytes: new TextEncoder().encode(rng.pick(['big', 'little', 'middle', '', 'x'.repeat(64), '\u001b[2J', '3', '99999999999999999999'])), what: 'replace' };
}

const ODD_SIZES: readonly bigint[] = [0n, 1n, 2n, 3n, 4n, 7n, 1n << 20n, 1n << 28n, 1n << 31n, 1n << 53n, 1n << 63n, -1n, -(1n << 63n)];

/**
 * A whole new archive of one to three tensors whose storage sizes, offsets, shapes and strides
 * are drawn from odd values (zero and huge strides, offsets past the storage, negative sizes),
 * over storage members of a few bytes.
 */
function oddTensors(rng: Random): SyntheticTensor[] {
  const small = (): bigint => (rng.chance(0.6) ? BigInt(rng.below(5)) : rng.pick(ODD_SIZES));
  return Array.from({ length: rng.between(1, 3) }, (_, i) => {
      const rank = rng.below(4);
      return {
        name: `t${i}`,
        storageType: rng.pick(['FloatStorage', 'FloatStorage', 'HalfStorage', 'LongStorage', 'BoolStorage', 'ByteStorage', 'BFloat16Storage']),
        key: String(rng.below(2)),
        numel: small(),
        offset: rng.chance(0.7) ? 0n : small(),
        size: Array.from({ length: rank }, small),
        stride: Array.from({ length: rank }, () => (rng.chance(0.3) ? 0n : small())),
      };
  });
}

function describeTensors(tensors: readonly SyntheticTensor[]): string {
  return tensors.map((t) => `${t.storageType}[${t.numel}] @${t.offset} size (${t.size.join(',')}) stride (${t.stride.join(',')})`).join('; ');
}

const syntheticTensors: Mutator = {
  name: 'synthetic-tensors',
  weight: 3,
  alone: true,
  apply(draft, rng) {
    const tensors = oddTensors(rng);
    const members = [
      { name: 'archive/data.pkl', data: stateDictPickle(tensors) },
      { name: 'archive/data/0', data: rng.bytes(rng.pick([0, 4, 16, 64])) },
      { name: 'archive/data/1', data: rng.bytes(rng.pick([0, 8, 32])) },
      { name: 'archive/version', data: new TextEncoder().encode('3\n') },
    ];
    draft.files.set(draft.target, writeZip(members));
    return `replace ${draft.target} by tensors ${describeTensors(tensors)}`;
  },
};

/** The same odd tensors in a legacy file, each storage's count agreeing with its pickled size or not. */
const syntheticLegacy: Mutator = {
  name: 'synthetic-legacy',
  weight: 3,
  alone: true,
  apply(draft, rng) {
    const tensors = oddTensors(rng);
    const keys = [...new Set(tensors.map((t) => t.key))];
    const storages = keys.map((key) => {
      const t = tensors.find((x) => x.key === key)!;
      const count = rng.chance(0.8) ? t.numel : rng.pick(ODD_SIZES);
      const width = { FloatStorage: 4, HalfStorage: 2, LongStorage: 8, BoolStorage: 1, ByteStorage: 1, BFloat16Storage: 2 }[t.storageType] ?? 1;
      const length = count >= 0n && count * BigInt(width) <= 4096n ? Number(count) * width : rng.pick([0, 8, 64]);
      return { key, count, bytes: rng.bytes(length) };
    });
    draft.files.set(draft.target, legacyFile(tensors, storages));
    return `replace ${draft.target} by a legacy file of tensors ${describeTensors(tensors)}; counts ${storages.map((s) => s.count).join(', ')}`;
  },
};

function pytorchSeeds(): Seed[] {
  return ['parameters', 'deflated', 'tied', 'views', 'bigendian', 'nested', 'wrapped_state_dict', 'dtypes'].map((name) => seed(name, 'model.pt', { 'model.pt': read('pytorch', `${name}.pt`) }))
    .concat([seed('lightning', 'model.ckpt', { 'model.ckpt': read('pytorch', 'lightning.ckpt') })]);
}

function bareSeeds(): Seed[] {
  const fromZip = ['parameters', 'tied', 'dtypes'].map((name) => {
    const member = readZip(read('pytorch', `${name}.pt`))!.find((m) => m.name.endsWith('/data.pkl'))!;
    return seed(`${name}_data_pkl`, 'data.pkl', { 'data.pkl': member.data });
  });
  const plain = [2, 3, 4, 5].map((p) => seed(`plain_protocol${p}`, 'data.pkl', { 'data.pkl': read('pytorch', `plain_protocol${p}.pkl`) }));
  return [...fromZip, ...plain];
}

/** A legacy file's own mutators: one of its five pickles changed, the rest and the storages kept. */
const legacyPickleMutator: Mutator = {
  name: 'legacy-pickle',
  weight: 6,
  apply(draft, rng) {
    const bytes = draft.files.get(draft.target)!;
    const at = LEGACY_PICKLES_AT;
    const which = rng.pick([3, 3, 3, 4, 2, 0, 1, 5]);
    if (which === 5) {
      // The storages' element counts.
      const value = rng.pick(SPECIAL_INTEGERS);
      return setLegacy(draft, withInteger(bytes, LEGACY_STORAGES_AT, 8, value), `set the first storage's element count to ${value}`);
    }
    const start = at[which]!;
    const end = at[which + 1] ?? LEGACY_STORAGES_AT;
    const result = pickleMutation(bytes.subarray(start, end), rng);
    if (result.mustRefuse && which === 3) draft.mustRefuse = result.mustRefuse;
    return setLegacy(draft, concat([bytes.subarray(0, start), result.bytes, bytes.subarray(end)]), `${result.what} (pickle ${which})`);
  },
};

function setLegacy(draft: Draft, bytes: Uint8Array, what: string): string {
  draft.files.set(draft.target, bytes);
  return what;
}

/** Where legacy.pt's five pickles and its storages start (test/fixtures/pytorch/expected.json). */
let LEGACY_PICKLES_AT: readonly number[] = [];
let LEGACY_STORAGES_AT = 0;

function legacySeeds(): Seed[] {
  const expected = JSON.parse(readFileSync(fixture('pytorch', 'expected.json'), 'utf8')) as Record<string, { pickles_at: number[]; storages_at: number }>;
  LEGACY_PICKLES_AT = expected['legacy.pt']!.pickles_at;
  LEGACY_STORAGES_AT = expected['legacy.pt']!.storages_at;
  return [seed('legacy', 'model.pt', { 'model.pt': read('pytorch', 'legacy.pt') })];
}

// ---------------------------------------------------------------- datasets

/** The dtypes a synthetic dataset draws from: safetensors name, NumPy descr (none for BF16), width. */
const DATASET_DTYPES: readonly (readonly [string, string | undefined, number])[] = [
  ['F32', '<f4', 4], ['F64', '<f8', 8], ['F16', '<f2', 2], ['BF16', undefined, 2], ['U8', '|u1', 1], ['I8', '|i1', 1],
  ['I16', '<i2', 2], ['U16', '<u2', 2], ['I32', '<i4', 4], ['U32', '<u4', 4], ['I64', '<i8', 8], ['U64', '<u8', 8], ['BOOL', '|b1', 1], ['C64', '<c8', 8],
];
const LABEL_VALUES: readonly number[] = [0, 1, 2, 3, 9, 0, 1, 2, -1, 0.5, NaN, Infinity, 2 ** 31, 999_999, 1_000_000, 255, 2 ** 53];
const PAIR_KEYS: readonly (readonly [string, string])[] = [['x', 'y'], ['inputs', 'labels'], ['images', 'labels'], ['data', 'targets'], ['x_test', 'y_test'], ['x_train', 'y_train'], ['features', 'labels']];

/** `values` written as `dtype` (little-endian), or random bytes where a value has no such form. */
function encodeValues(dtype: string, values: readonly number[], rng: Random): Uint8Array {
  const view = (Type: { new (n: number): ArrayLike<number> & { buffer: ArrayBufferLike } }, map: (v: number) => number) => {
    const out = new Type(values.length) as unknown as { [i: number]: number; buffer: ArrayBufferLike };
    values.forEach((v, i) => (out[i] = map(v)));
    return new Uint8Array(out.buffer);
  };
  const int = (v: number) => (Number.isFinite(v) ? Math.trunc(v) : 0);
  switch (dtype) {
    case 'F32': return view(Float32Array, (v) => v);
    case 'F64': return view(Float64Array, (v) => v);
    case 'U8': case 'BOOL': return view(Uint8Array, int);
    case 'I8': return view(Int8Array, int);
    case 'I16': return view(Int16Array, int);
    case 'U16': return view(Uint16Array, int);
    case 'I32': return view(Int32Array, int);
    case 'U32': return view(Uint32Array, int);
    case 'I64': return new Uint8Array(BigInt64Array.from(values, (v) => BigInt(int(v))).buffer);
    case 'U64': return new Uint8Array(BigUint64Array.from(values, (v) => BigInt.asUintN(64, BigInt(int(v)))).buffer);
    default: return rng.bytes(values.length * (DATASET_DTYPES.find((d) => d[0] === dtype)![2]));
  }
}

/**
 * A whole new dataset file of an inputs/labels pair whose dtypes, shapes and label values are
 * drawn from odd ones (NaN, negative, fractional and huge labels, one-hot and ragged shapes,
 * empty sets, complex inputs), written as safetensors or as an .npz of .npy members.
 */
function syntheticDataset(kind: 'safetensors' | 'npz'): Mutator {
  return {
    name: 'synthetic-dataset',
    weight: 4,
    alone: true,
    apply(draft, rng) {
      const dtypes = DATASET_DTYPES.filter((d) => kind === 'safetensors' || d[1] !== undefined);
      const n = rng.pick([0, 1, 2, 3, 5]);
      const [inputKey, labelKey] = rng.pick(PAIR_KEYS);
      const inputShape = [n, ...Array.from({ length: rng.below(4) }, () => rng.pick([0, 1, 2, 3]))];
      if (rng.chance(0.1)) inputShape.splice(1, inputShape.length - 1, 4, 4, 3);
      const k = rng.pick([1, 2, 3, 10]);
      const labelShape = rng.pick([[n], [n], [n], [n, 1], [n, k], [n + 1], [], [n, 2, 2]]);
      const inputType = rng.pick(dtypes);
      const labelType = rng.pick(dtypes);
      const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
      const labelValues = Array.from({ length: count(labelShape) }, () =>
        labelShape.length === 2 && k > 1 ? (rng.chance(0.9) ? rng.below(2) : rng.pick(LABEL_VALUES)) : rng.chance(0.8) ? rng.below(4) : rng.pick(LABEL_VALUES),
      );
      const tensors = [
        { name: inputKey, dtype: inputType[0], shape: inputShape, data: rng.bytes(count(inputShape) * inputType[2]) },
        { name: labelKey, dtype: labelType[0], shape: labelShape, data: encodeValues(labelType[0], labelValues, rng) },
      ];
      const bytes = kind === 'safetensors'
        ? safetensorsOf(tensors)
        : writeZip(tensors.map((t) => ({ name: `${t.name}.npy`, data: npyOf(DATASET_DTYPES.find((d) => d[0] === t.dtype)![1]!, t.shape, t.data), deflate: rng.chance(0.3) })));
      draft.files.set(draft.target, bytes);
      return `replace ${draft.target} by ${inputKey} ${inputType[0]} [${inputShape}] and ${labelKey} ${labelType[0]} [${labelShape}] = ${labelValues.slice(0, 6).join(',')}`;
    },
  };
}

function datasetSafetensorsSeeds(): Seed[] {
  return [
    seed('xy_f32_i64', 'data.safetensors', {
      'data.safetensors': safetensorsOf([
        { name: 'x', dtype: 'F32', shape: [4, 3], data: bytesOf([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], Float32Array) },
        { name: 'y', dtype: 'I64', shape: [4], data: bytesOf([0, 2, 1, 2], BigInt64Array) },
      ]),
    }),
    seed('images_u8_onehot', 'data.safetensors', {
      'data.safetensors': safetensorsOf([
        { name: 'images', dtype: 'U8', shape: [3, 1, 2, 2], data: Uint8Array.from({ length: 12 }, (_, i) => i * 20) },
        { name: 'labels', dtype: 'F32', shape: [3, 2], data: bytesOf([1, 0, 0, 1, 1, 0], Float32Array) },
      ]),
    }),
  ];
}

function datasetNpzSeeds(): Seed[] {
  return ['images_xy', 'onehot', 'splits'].map((name) => seed(name, 'data.npz', { 'data.npz': read('datasets', `${name}.npz`) }));
}

function datasetNpySeeds(): Seed[] {
  return [
    seed('pair_fixture', 'x_test.npy', { 'x_test.npy': read('datasets', 'pair', 'x_test.npy'), 'y_test.npy': read('datasets', 'pair', 'y_test.npy') }),
    seed('pair_small', 'y_train.npy', {
      'x_train.npy': npyOf('<f4', [3, 2], bytesOf([1, 2, 3, 4, 5, 6], Float32Array)),
      'y_train.npy': npyOf('<i8', [3], bytesOf([1, 0, 1], BigInt64Array)),
    }),
  ];
}

function idxFile(type: number, dims: readonly number[], data: Uint8Array): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(header.buffer);
  header.set([0, 0, type, dims.length]);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  return concat([header, data]);
}

function idxSeeds(): Seed[] {
  const images = idxFile(0x08, [5, 4, 4], Uint8Array.from({ length: 80 }, (_, i) => (i * 37) & 0xff));
  const labels = idxFile(0x08, [5], Uint8Array.of(0, 3, 1, 3, 2));
  return [
    seed('small_pair', 't10k-images-idx3-ubyte', { 't10k-images-idx3-ubyte': images, 't10k-labels-idx1-ubyte': labels }),
    seed('small_pair_labels', 't10k-labels-idx1-ubyte', { 't10k-images-idx3-ubyte': images, 't10k-labels-idx1-ubyte': labels }),
    seed('small_gz_pair', 'train-images-idx3-ubyte.gz', { 'train-images-idx3-ubyte.gz': gzip(images), 'train-labels-idx1-ubyte.gz': gzip(labels) }),
  ];
}

/** IDX type bytes and their widths; values are written big-endian as IDX stores them. */
const IDX_TYPES: readonly (readonly [number, number, string])[] = [[0x08, 1, 'u8'], [0x09, 1, 'i8'], [0x0b, 2, 'i16'], [0x0c, 4, 'i32'], [0x0d, 4, 'f32'], [0x0e, 8, 'f64']];

function idxValues(type: readonly [number, number, string], values: readonly number[]): Uint8Array {
  const out = new Uint8Array(values.length * type[1]);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => {
    const at = i * type[1];
    const whole = Number.isFinite(v) ? Math.trunc(v) : 0;
    if (type[2] === 'u8') view.setUint8(at, whole & 0xff);
    else if (type[2] === 'i8') view.setInt8(at, whole);
    else if (type[2] === 'i16') view.setInt16(at, whole);
    else if (type[2] === 'i32') view.setInt32(at, whole);
    else if (type[2] === 'f32') view.setFloat32(at, v);
    else view.setFloat64(at, v);
  });
  return out;
}

/** A new IDX pair of odd element types, ranks, counts and label values, plain or gzipped as the seed was. */
const syntheticIdx: Mutator = {
  name: 'synthetic-idx',
  weight: 3,
  alone: true,
  apply(draft, rng) {
    const n = rng.pick([0, 1, 2, 5]);
    const imageDims = [rng.chance(0.9) ? n : n + 1, ...Array.from({ length: rng.pick([0, 1, 2, 2, 3]) }, () => rng.pick([0, 1, 2, 3]))];
    const labelDims = rng.pick([[n], [n], [n, 1], [n, 3], []]);
    const imageType = rng.pick(IDX_TYPES);
    const labelType = rng.pick(IDX_TYPES);
    const count = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
    const labels = Array.from({ length: count(labelDims) }, () => (rng.chance(0.8) ? rng.below(4) : rng.pick(LABEL_VALUES)));
    const images = idxFile(imageType[0], imageDims, rng.bytes(count(imageDims) * imageType[1]));
    const labelFile = idxFile(labelType[0], labelDims, idxValues(labelType, labels));
    for (const name of draft.files.keys()) {
      const plain = name.includes('images') ? images : labelFile;
      draft.files.set(name, name.endsWith('.gz') ? gzip(plain) : plain);
    }
    return `replace the pair by ${imageType[2]} images [${imageDims}] and ${labelType[2]} labels [${labelDims}] = ${labels.slice(0, 6).join(',')}`;
  },
};

const idxMutators: Mutator[] = [
  syntheticIdx,
  {
    name: 'idx-header',
    weight: 4,
    apply(draft, rng) {
      const file = pickFile(draft, rng);
      const zipped = file.endsWith('.gz');
      let bytes = draft.files.get(file)!;
      if (zipped) {
        try {
          bytes = gunzip(bytes);
        } catch {
          return 'no header to tamper with';
        }
      }
      const how = rng.below(3);
      let what: string;
      if (how === 0) {
        const at = 4 + 4 * rng.below(Math.max(1, bytes[3] ?? 1));
        const value = rng.pick(SPECIAL_INTEGERS);
        bytes = withInteger(bytes, at, 4, value, true);
        what = `set the dimension at ${at} to ${value}`;
      } else if (how === 1) {
        const value = rng.pick([0, 1, 2, 3, 8, 9, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0xff]);
        bytes = withInteger(bytes, rng.pick([2, 3]), 1, BigInt(value));
        what = `set a magic byte to ${value}`;
      } else {
        bytes = withInteger(bytes, 0, 2, rng.pick(SPECIAL_INTEGERS));
        what = 'break the leading zero bytes';
      }
      draft.files.set(file, zipped ? gzip(bytes) : bytes);
      return `${what} in ${file}`;
    },
  },
  {
    name: 'gzip-bomb',
    weight: 1,
    apply(draft, rng) {
      const file = pickFile(draft, rng, /\.gz$/);
      if (!file.endsWith('.gz')) return 'no gzipped file';
      const head = gunzip(draft.files.get(file)!).subarray(0, 16);
      const megabytes = rng.pick([4, 32]);
      let bomb = gzippedBomb(head, megabytes);
      if (rng.chance(0.5)) bomb = withInteger(bomb, bomb.length - 4, 4, rng.pick(SPECIAL_INTEGERS));
      draft.files.set(file, bomb);
      return `replace ${file} by its header and ${megabytes} MiB of gzipped zeros`;
    },
  },
];

function cifarSeeds(): Seed[] {
  const batch = read('datasets', 'cifar', 'test_batch.bin');
  return [
    seed('two_records', 'test_batch.bin', { 'test_batch.bin': batch.slice(0, 2 * 3073) }),
    seed('one_record', 'data_batch_1.bin', { 'data_batch_1.bin': batch.slice(0, 3073) }),
  ];
}

// ---------------------------------------------------------------- the families

const ALL = /./;

export const FAMILIES: readonly Family[] = [
  { name: 'safetensors', mode: 'checkpoint', seeds: safetensorsSeeds, mutators: [...byteMutators(), ...safetensorsMutators(ALL)] },
  {
    name: 'sharded-safetensors',
    mode: 'checkpoint',
    seeds: shardedSeeds,
    mutators: [...byteMutators(), ...safetensorsMutators(/\.safetensors$/), ...jsonMutators(/\.json$/, weightMapSlot)],
  },
  { name: 'pytorch-zip', mode: 'checkpoint', seeds: pytorchSeeds, mutators: [...byteMutators(), ...zipMutators(ALL, pytorchMember), syntheticTensors] },
  { name: 'pickle', mode: 'pickle', seeds: bareSeeds, mutators: [...byteMutators(), ...pickleMutators(ALL)] },
  { name: 'legacy-torch', mode: 'checkpoint', seeds: legacySeeds, mutators: [...byteMutators(), legacyPickleMutator, syntheticLegacy] },
  { name: 'npy', mode: 'checkpoint', seeds: npySeeds, mutators: [...byteMutators(), ...npyMutators(ALL)] },
  { name: 'npz', mode: 'checkpoint', seeds: npzSeeds, mutators: [...byteMutators(), ...zipMutators(ALL, (_, bytes, rng) => npyByteMutations(bytes, rng))] },
  { name: 'tfjs', mode: 'checkpoint', seeds: tfjsSeeds, mutators: [...byteMutators(), ...jsonMutators(/\.json$/, manifestPathSlot)] },
  { name: 'dataset-npz', mode: 'dataset', seeds: datasetNpzSeeds, mutators: [...byteMutators(), ...zipMutators(ALL, (_, bytes, rng) => npyByteMutations(bytes, rng)), syntheticDataset('npz')] },
  { name: 'dataset-npy', mode: 'dataset', seeds: datasetNpySeeds, mutators: [...byteMutators(), ...npyMutators(ALL)] },
  { name: 'dataset-safetensors', mode: 'dataset', seeds: datasetSafetensorsSeeds, mutators: [...byteMutators(), ...safetensorsMutators(ALL), syntheticDataset('safetensors')] },
  { name: 'dataset-idx', mode: 'dataset', seeds: idxSeeds, mutators: [...byteMutators(), ...idxMutators] },
  {
    name: 'dataset-cifar10',
    mode: 'dataset',
    seeds: cifarSeeds,
    mutators: byteMutators(),
    truncationMayBeValid: (_, length) => length > 0 && length % 3073 === 0,
  },
  { name: 'dataset-tokens', mode: 'dataset', seeds: tokenSeeds, mutators: [...byteMutators(), ...tokenMutators] },
  { name: 'transformer', mode: 'transformer', seeds: transformerSeeds, mutators: transformerMutators },
];

export function familyNamed(name: string): Family {
  const family = FAMILIES.find((f) => f.name === name);
  if (!family) throw new Error(`no fuzz family '${name}'; the families: ${FAMILIES.map((f) => f.name).join(', ')}`);
  return family;
}
