/**
 * Hand-assembled pickle pieces for the mutator: calls of forbidden globals, deep nesting, lying
 * lengths. Protocol 2 opcodes only, which every reader path accepts.
 */

import { op, pickle } from '../helpers/pickleAssembler';

/** Bytes joined into one array (a loop: the fuzzer joins hundreds of thousands of pieces). */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export const PROTO2 = pickle(op.proto(2));
export const STOP = pickle(op.stop);
export const POP = pickle(op.pop);

/** BINUNICODE: a string on the stack. */
export const str = (text: string): Uint8Array => pickle(op.str(text));

/** GLOBAL module\nname\n. */
export const global = (module: string, name: string): Uint8Array => pickle(op.global(module, name));

/** `module.name(*args)` with string arguments: GLOBAL, MARK, args, TUPLE, REDUCE. */
export function call(module: string, name: string, args: readonly string[]): Uint8Array {
  return concat([global(module, name), Uint8Array.of(0x28), ...args.map(str), Uint8Array.of(0x74, 0x52)]);
}

/** The callables an attacker reaches for; none may ever run. */
export const FORBIDDEN_CALLS: readonly (readonly [string, string, readonly string[]])[] = [
  ['os', 'system', ['touch /tmp/merge-lens-fuzz-pwned']],
  ['posix', 'system', ['id']],
  ['builtins', 'eval', ["__import__('os').system('id')"]],
  ['builtins', 'exec', ['import os']],
  ['__builtin__', 'eval', ['1+1']],
  ['subprocess', 'Popen', ['id']],
  ['subprocess', 'check_output', ['id']],
  ['builtins', 'getattr', ['x', 'y']],
  ['builtins', '__import__', ['os']],
  ['importlib', 'import_module', ['os']],
  ['shutil', 'rmtree', ['/']],
  ['builtins', 'open', ['/etc/passwd']],
  ['pickle', 'loads', ['x']],
  ['torch', 'load', ['x.pt']],
  ['numpy.core.multiarray', '_reconstruct', ['x']],
];

/** A pickle made only of forbidden calls: its value is the last call's result. */
export function onlyForbidden(calls: readonly (readonly [string, string, readonly string[]])[]): Uint8Array {
  const parts: Uint8Array[] = [PROTO2];
  calls.forEach(([m, n, a], i) => {
    parts.push(call(m, n, a));
    if (i < calls.length - 1) parts.push(POP);
  });
  parts.push(STOP);
  return concat(parts);
}

/** `depth` nested lists (EMPTY_LIST, then MARK … APPENDS closing each), as a whole pickle. */
export function nestedLists(depth: number): Uint8Array {
  const open = new Uint8Array(depth * 2);
  for (let i = 0; i < depth; i++) open.set([0x5d, 0x28], i * 2);
  const close = new Uint8Array(depth).fill(0x65);
  return concat([PROTO2, open, Uint8Array.of(0x4e), close, STOP]);
}

/** `depth` nested tuples through MARK … TUPLE. */
export function nestedTuples(depth: number): Uint8Array {
  return concat([PROTO2, new Uint8Array(depth).fill(0x28), Uint8Array.of(0x4e), new Uint8Array(depth).fill(0x74), STOP]);
}

/** `depth` nested one-key dicts. */
export function nestedDicts(depth: number): Uint8Array {
  const open: Uint8Array[] = [];
  for (let i = 0; i < depth; i++) open.push(Uint8Array.of(0x7d), str('k'));
  const close = new Uint8Array(depth);
  close.fill(0x73);
  return concat([PROTO2, ...open, Uint8Array.of(0x4e), close, STOP]);
}

/** A chain of forbidden calls each taking the previous one's result: os.system(os.system(…)). */
export function nestedCalls(depth: number, module: string, name: string): Uint8Array {
  const open: Uint8Array[] = [];
  for (let i = 0; i < depth; i++) open.push(global(module, name), Uint8Array.of(0x28));
  const close = new Uint8Array(depth * 2);
  for (let i = 0; i < depth; i++) close.set([0x74, 0x52], i * 2);
  return concat([PROTO2, ...open, str('x'), close, STOP]);
}

/** An integer of any size: LONG1 with its two's-complement little-endian bytes. */
export function int(value: bigint): Uint8Array {
  const bytes: number[] = [];
  let v = value;
  do {
    bytes.push(Number(BigInt.asUintN(8, v)));
    v >>= 8n;
  } while (!((v === 0n && (bytes[bytes.length - 1]! & 0x80) === 0) || (v === -1n && (bytes[bytes.length - 1]! & 0x80) !== 0)));
  return concat([Uint8Array.of(0x8a, bytes.length), Uint8Array.from(bytes)]);
}

function tuple(items: readonly Uint8Array[]): Uint8Array {
  return concat([Uint8Array.of(0x28), ...items, Uint8Array.of(0x74)]);
}

export interface SyntheticTensor {
  readonly name: string;
  readonly storageType: string;
  readonly key: string;
  readonly numel: bigint;
  readonly offset: bigint;
  readonly size: readonly bigint[];
  readonly stride: readonly bigint[];
}

/**
 * A state_dict pickle as torch.save writes it (`legacy`: as it wrote it before PyTorch 1.6), of tensors whose storage and view arguments are
 * given outright: `{name: _rebuild_tensor_v2(('storage', torch.<type>, key, 'cpu', numel), offset,
 * size, stride, False, OrderedDict())}`.
 */
export function stateDictPickle(tensors: readonly SyntheticTensor[], legacy = false): Uint8Array {
  const items = tensors.map((t) =>
    concat([
      str(t.name),
      global('torch._utils', '_rebuild_tensor_v2'),
      tuple([
        // The legacy format's storage references carry a sixth item, the view (None).
        tuple([str('storage'), global('torch', t.storageType), str(t.key), str('cpu'), int(t.numel), ...(legacy ? [Uint8Array.of(0x4e)] : [])]),
        Uint8Array.of(0x51),
        int(t.offset),
        tuple(t.size.map(int)),
        tuple(t.stride.map(int)),
        Uint8Array.of(0x89),
        global('collections', 'OrderedDict'),
        Uint8Array.of(0x29, 0x52),
      ]),
      Uint8Array.of(0x52),
    ]),
  );
  return concat([PROTO2, Uint8Array.of(0x7d, 0x28), ...items, Uint8Array.of(0x75), STOP]);
}

function u64(value: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, value), true);
  return out;
}

/**
 * A legacy torch.save file (before PyTorch 1.6): the magic number, version 1001, system
 * information, the state_dict, the storage keys, then each storage as a count and its bytes.
 */
export function legacyFile(tensors: readonly SyntheticTensor[], storages: readonly { key: string; count: bigint; bytes: Uint8Array }[]): Uint8Array {
  const pickleOf = (body: Uint8Array): Uint8Array => concat([PROTO2, body, STOP]);
  const version = new Uint8Array(5);
  version[0] = 0x4a;
  new DataView(version.buffer).setInt32(1, 1001, true);
  return concat([
    pickleOf(int(0x1950a86a20f9469cfc6cn)),
    pickleOf(version),
    pickleOf(concat([Uint8Array.of(0x7d, 0x28), str('protocol_version'), version, str('little_endian'), Uint8Array.of(0x88, 0x75)])),
    stateDictPickle(tensors, true),
    pickleOf(concat([Uint8Array.of(0x28), ...storages.map((s) => str(s.key)), Uint8Array.of(0x6c)])),
    ...storages.flatMap((s) => [u64(s.count), s.bytes]),
  ]);
}
