import { gunzipSync, gzipSync, deflateRawSync } from 'node:zlib';
import type { Random } from './random';
import { concat } from './pickleBytes';

/**
 * The files of one case, by name relative to its folder; a mutation step replaces some of them.
 * A step may also say that the case must be refused whatever else it holds.
 */
export interface Draft {
  readonly files: Map<string, Uint8Array>;
  /** The file the reader is given. */
  readonly target: string;
  /** Set by a truncation (the only step of its case): the file cut and its length before. */
  truncated?: { readonly file: string; readonly from: number; readonly to: number };
  /** Why no reader may accept this case (a pickle made only of forbidden calls). */
  mustRefuse?: string;
}

/** One kind of mutation: it changes the draft and says what it did, in a few words. */
export interface Mutator {
  readonly name: string;
  /** Relative frequency among the family's mutators. */
  readonly weight: number;
  /** A truncation or a wholesale replacement: the case has this step alone. */
  readonly alone?: boolean;
  apply(draft: Draft, rng: Random): string;
}

/** Integers that break arithmetic: zeros, signs, powers of two around 32 and 53 bits. */
export const SPECIAL_INTEGERS: readonly bigint[] = [
  0n, 1n, 2n, 7n, 8n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn,
  0x100000000n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n,
];

/** JSON values for a field that should hold something else. */
export const ODD_JSON: readonly unknown[] = [
  null, true, false, 0, -1, 1.5, -0.5, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 64, 1e308, -1e308, '', 'x'.repeat(5000),
  '\n\r\u001b[2J\u0007', '__proto__', [], {}, [0], [-1], [1.5], ['1'], [null], [2 ** 53, 2 ** 53],
  [1e9, 1e9, 1e9, 1e9], [2 ** 31, 2 ** 31], [2 ** 26, 2 ** 26, 0], [0, 2 ** 60], new Array(3000).fill(1),
  { a: 1 }, 'F32', 'float32', 'F8_E4M3', 'C128', 'C64', 'uint8', 'int64', 'bool', 'complex64', 'string',
];

/** Names an index or manifest may give for a file, each of which must stay inside the case's folder. */
export const ESCAPING_PATHS: readonly string[] = [
  '../sentinel.safetensors', '../../sentinel.bin', '..', '../', '/etc/passwd', '/dev/zero', '/proc/self/mem',
  'C:\\Windows\\win.ini', '..\\sentinel.safetensors', 'sub/../../sentinel.bin', './../sentinel.safetensors',
  '\u0000', 'sentinel.bin\u0000.txt', '~/sentinel.bin', 'file:///etc/passwd', '\\\\server\\share\\x', '.', '',
  '/', 'a/'.repeat(2000) + 'x', '%2e%2e/sentinel.bin', '\u202e../x',
];

/** A file of the draft other than those named, chosen at random; the target when there is no other. */
export function pickFile(draft: Draft, rng: Random, suffix?: RegExp): string {
  const names = [...draft.files.keys()].filter((n) => !suffix || suffix.test(n));
  return names.length === 0 ? draft.target : rng.pick(names);
}

function writeInteger(bytes: Uint8Array, at: number, width: number, value: bigint, bigEndian: boolean): void {
  for (let i = 0; i < width && at + i < bytes.length; i++) {
    const byte = Number((value >> BigInt(8 * i)) & 0xffn);
    bytes[bigEndian ? at + width - 1 - i : at + i] = byte;
  }
}

/** The byte-level mutators every family has: they know nothing of the format. */
export function byteMutators(files?: RegExp): Mutator[] {
  return [
    {
      name: 'flip',
      weight: 4,
      apply(draft, rng) {
        const file = pickFile(draft, rng, files);
        const bytes = draft.files.get(file)!.slice();
        const n = rng.pick([1, 1, 2, 4, 16]);
        for (let i = 0; i < n && bytes.length > 0; i++) {
          const at = rng.below(bytes.length);
          bytes[at] = rng.chance(0.5) ? bytes[at]! ^ (1 << rng.below(8)) : rng.below(256);
        }
        draft.files.set(file, bytes);
        return `flip ${n} bytes of ${file}`;
      },
    },
    {
      name: 'truncate',
      weight: 3,
      alone: true,
      apply(draft, rng) {
        const file = pickFile(draft, rng, files);
        const bytes = draft.files.get(file)!;
        if (bytes.length === 0) return `truncate ${file} (already empty)`;
        // Half the cuts land near the end, where a reader that does not check the length would not notice.
        const to = rng.chance(0.5) ? bytes.length - rng.between(1, Math.min(16, bytes.length)) : rng.below(bytes.length);
        draft.files.set(file, bytes.slice(0, to));
        draft.truncated = { file, from: bytes.length, to };
        return `truncate ${file} from ${bytes.length} to ${to} bytes`;
      },
    },
    {
      name: 'insert',
      weight: 2,
      apply(draft, rng) {
        const file = pickFile(draft, rng, files);
        const bytes = draft.files.get(file)!;
        const at = rng.below(bytes.length + 1);
        const piece = rng.chance(0.5) ? rng.bytes(rng.between(1, 16)) : bytes.slice(rng.below(bytes.length + 1)).slice(0, rng.between(1, 64));
        draft.files.set(file, concat([bytes.subarray(0, at), piece, bytes.subarray(at)]));
        return `insert ${piece.length} bytes into ${file} at ${at}`;
      },
    },
    {
      name: 'delete',
      weight: 1,
      apply(draft, rng) {
        const file = pickFile(draft, rng, files);
        const bytes = draft.files.get(file)!;
        const at = rng.below(bytes.length + 1);
        const n = rng.between(1, 32);
        draft.files.set(file, concat([bytes.subarray(0, at), bytes.subarray(at + n)]));
        return `delete ${n} bytes of ${file} at ${at}`;
      },
    },
    {
      name: 'integer',
      weight: 3,
      apply(draft, rng) {
        const file = pickFile(draft, rng, files);
        const bytes = draft.files.get(file)!.slice();
        // Headers sit at the start: favour the first 64 bytes.
        const at = rng.chance(0.6) ? rng.below(Math.min(64, bytes.length + 1)) : rng.below(bytes.length + 1);
        const width = rng.pick([1, 2, 4, 8]);
        const value = rng.pick(SPECIAL_INTEGERS);
        const bigEndian = rng.chance(0.3);
        writeInteger(bytes, at, width, value, bigEndian);
        draft.files.set(file, bytes);
        return `write ${value} as a ${width}-byte ${bigEndian ? 'big' : 'little'}-endian integer into ${file} at ${at}`;
      },
    },
  ];
}

/** Writes `value` as an unsigned integer of `width` bytes into a copy of `bytes`. */
export function withInteger(bytes: Uint8Array, at: number, width: number, value: bigint, bigEndian = false): Uint8Array {
  const copy = bytes.slice();
  writeInteger(copy, at, width, value, bigEndian);
  return copy;
}

/** JSON text nesting `depth` arrays or objects, built without recursion. */
export function deepJson(depth: number, rng: Random): string {
  if (rng.chance(0.5)) return '['.repeat(depth) + ']'.repeat(depth);
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

export const NESTING_DEPTHS: readonly number[] = [10, 63, 64, 65, 100, 1000, 10_000, 100_000];

const MARKER = '\u0001fuzz-raw\u0001';

/**
 * JSON text of `value`, with `raw` put where the value holds the string returned by `rawMarker`:
 * how a deeply nested piece gets into a header without JSON.stringify walking it.
 */
export function stringifyWith(value: unknown, raw?: string): string {
  const text = JSON.stringify(value);
  return raw === undefined ? text : text.replace(JSON.stringify(MARKER), () => raw);
}

export function rawMarker(): string {
  return MARKER;
}

/**
 * A random path into a JSON value: the container and key a tamper replaces. Walks at most a few
 * levels (the seeds are shallow).
 */
export function randomSlot(root: Record<string, unknown>, rng: Random): { parent: Record<string, unknown> | unknown[]; key: string | number } {
  let parent: Record<string, unknown> | unknown[] = root;
  for (let depth = 0; depth < 6; depth++) {
    const keys: (string | number)[] = Array.isArray(parent) ? parent.map((_, i) => i) : Object.keys(parent);
    if (keys.length === 0) return { parent, key: Array.isArray(parent) ? 0 : 'fuzz' };
    const key = rng.pick(keys);
    const child = (parent as Record<string | number, unknown>)[key];
    if (typeof child !== 'object' || child === null || rng.chance(0.3)) return { parent, key };
    parent = child as Record<string, unknown> | unknown[];
  }
  return { parent, key: Array.isArray(parent) ? 0 : 'fuzz' };
}

/** A gzip member of `bytes`, and back. */
export function gzip(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(gzipSync(bytes));
}

export function gunzip(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(gunzipSync(bytes));
}

const zeroStreams = new Map<number, Uint8Array>();

/** `megabytes` of zeros, raw-deflated (about a thousandth of their size), made once per size. */
export function deflatedZeros(megabytes: number): Uint8Array {
  let made = zeroStreams.get(megabytes);
  if (!made) {
    made = new Uint8Array(deflateRawSync(new Uint8Array(megabytes * 2 ** 20), { level: 9 }));
    zeroStreams.set(megabytes, made);
  }
  return made;
}

const gzipZeros = new Map<number, Uint8Array>();

/** `megabytes` of zeros after `head`, gzipped, made once per size and head. */
export function gzippedBomb(head: Uint8Array, megabytes: number): Uint8Array {
  const key = megabytes * 1e6 + head.length;
  let made = gzipZeros.get(key);
  if (!made) {
    const plain = new Uint8Array(head.length + megabytes * 2 ** 20);
    plain.set(head);
    made = new Uint8Array(gzipSync(plain, { level: 9 }));
    gzipZeros.set(key, made);
  }
  return made;
}
