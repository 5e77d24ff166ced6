import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../../../../src/engine/io/formatError';
import { unpickle, type UnpickleOptions } from '../../../../src/engine/formats/pytorch/pickle';
import { locateTensors } from '../../../../src/engine/formats/pytorch/locateTensors';
import { PickleDict, PickleGlobal, PickleSet, PickleTuple, Placeholder, type PickleValue } from '../../../../src/engine/formats/pytorch/pickleValues';
import { PickleSlice, torchGlobals } from '../../../../src/engine/formats/pytorch/torchGlobals';
import { fixture, tempDir } from '../../../helpers/paths';
import { op, pickle } from '../../../helpers/pickleAssembler';

const FILE = '/checkpoints/model.pt';

function options(extra: Partial<UnpickleOptions> = {}): UnpickleOptions {
  return { file: FILE, what: 'archive/data.pkl', findGlobal: torchGlobals(FILE), ...extra };
}

function load(bytes: Uint8Array, extra: Partial<UnpickleOptions> = {}): PickleValue {
  return unpickle(bytes, options(extra));
}

function refuses(bytes: Uint8Array, pattern: RegExp, extra: Partial<UnpickleOptions> = {}): void {
  assert.throws(() => load(bytes, extra), (error: unknown) => {
    assert.ok(error instanceof FormatError, `expected a FormatError, got ${String(error)}`);
    assert.match(error.message, /^model\.pt: /);
    assert.match(error.message, pattern);
    return true;
  });
}

function dict(value: PickleValue): PickleDict {
  assert.ok(value instanceof PickleDict, `expected a dict, got ${String(value)}`);
  return value;
}

// The same values make_fixtures.py pickles under protocols 2 to 5, spelled out here.
for (const protocol of [2, 3, 4, 5]) {
  test(`plain data pickled by Python with protocol ${protocol}`, () => {
    const root = dict(load(new Uint8Array(readFileSync(fixture('pytorch', `plain_protocol${protocol}.pkl`)))));
    assert.deepEqual(root.keys(), [
      'int', 'int2', 'int4', 'long', 'big', 'negbig', 'float', 'str', 'bytes', 'empty_bytes', 'list', 'tuple', 'tuple0',
      'tuple1', 'tuple4', 'set', 'frozenset', 'none', 'true', 'false', 'keys', 'shared', 'ordered',
    ]);
    assert.equal(root.get('int'), 1);
    assert.equal(root.get('int2'), 300);
    assert.equal(root.get('int4'), -70000);
    assert.equal(root.get('long'), 2 ** 40);
    assert.equal(root.get('big'), 2n ** 70n);
    assert.equal(root.get('negbig'), -(2n ** 64n));
    assert.equal(root.get('float'), 0.1);
    assert.equal(root.get('str'), 'h\u00e9llo \u2713');
    assert.deepEqual(root.get('bytes'), Uint8Array.from([0x00, 0xff, 0x80]));
    assert.deepEqual(root.get('empty_bytes'), new Uint8Array(0));
    assert.deepEqual(root.get('list'), [1, 2, 3]);
    const tuple = root.get('tuple');
    assert.ok(tuple instanceof PickleTuple);
    assert.deepEqual(tuple.items, [1, 'a']);
    assert.deepEqual((root.get('tuple0') as PickleTuple).items, []);
    assert.deepEqual((root.get('tuple1') as PickleTuple).items, [1]);
    assert.deepEqual((root.get('tuple4') as PickleTuple).items, [1, 2, 3, 4]);
    const set = root.get('set');
    assert.ok(set instanceof PickleSet && !set.frozen);
    assert.deepEqual([...set.items].sort(), [1, 2]);
    const frozen = root.get('frozenset');
    assert.ok(frozen instanceof PickleSet && frozen.frozen);
    assert.deepEqual(frozen.items, [3]);
    assert.equal(root.get('none'), null);
    assert.equal(root.get('true'), true);
    assert.equal(root.get('false'), false);

    const keys = dict(root.get('keys')!);
    assert.equal(keys.get(1), 'int key');
    assert.equal(keys.get(new PickleTuple([1, 2])), 'tuple key');
    assert.equal(keys.get(null), 'none key');
    assert.ok(keys.keys()[1] instanceof PickleTuple);

    // The memo gives back the same object, as Python does.
    const shared = root.get('shared') as PickleValue[];
    assert.deepEqual(shared[0], [0]);
    assert.equal(shared[0], shared[1]);

    const ordered = dict(root.get('ordered')!);
    assert.equal(ordered.typeName, 'OrderedDict');
    assert.deepEqual([...ordered.entries()], [['b', 1], ['a', 2]]);
  });
}

test('LONG1 and LONG4 are two\'s complement, numbers when safe and bigints beyond', () => {
  const long1 = (bytes: number[]) => load(pickle(op.proto(2), 0x8a, bytes.length, ...bytes, op.stop));
  assert.equal(long1([]), 0);
  assert.equal(long1([0xff]), -1);
  assert.equal(long1([0x00, 0x80]), -32768);
  assert.equal(long1([0xff, 0x7f]), 32767);
  assert.equal(long1([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0]), 2 ** 53 - 1);
  assert.equal(long1([0, 0, 0, 0, 0, 0, 0x20, 0]), 2n ** 53n);
  assert.equal(long1([1, 0, 0, 0, 0, 0, 0xe0, 0xff]), Number.MIN_SAFE_INTEGER);
  assert.equal(long1([0, 0, 0, 0, 0, 0, 0, 0x80]), -(2n ** 63n));
  assert.equal(load(pickle(op.proto(2), 0x8b, 2, 0, 0, 0, 0x34, 0x12, op.stop)), 0x1234);
  refuses(pickle(op.proto(2), 0x8b, 0xff, 0xff, 0xff, 0xff, op.stop), /LONG4 has a negative length -1/);
});

test('BINFLOAT is a big-endian double; strings of every width', () => {
  assert.equal(load(pickle(op.proto(2), ...op.float(-2.5e-300), op.stop)), -2.5e-300);
  assert.equal(load(pickle(op.proto(4), 0x8c, 2, 0x68, 0x69, op.stop)), 'hi');
  assert.equal(load(pickle(op.proto(4), 0x8d, 3, 0, 0, 0, 0, 0, 0, 0, 0x61, 0x62, 0x63, op.stop)), 'abc');
  assert.equal(load(pickle(op.proto(2), 0x55, 2, 0x6f, 0x6b, op.stop)), 'ok');
  assert.equal(load(pickle(op.proto(2), 0x54, 1, 0, 0, 0, 0x7a, op.stop)), 'z');
  assert.deepEqual(load(pickle(op.proto(3), 0x42, 2, 0, 0, 0, 7, 8, op.stop)), Uint8Array.from([7, 8]));
  assert.deepEqual(load(pickle(op.proto(4), 0x8e, 1, 0, 0, 0, 0, 0, 0, 0, 9, op.stop)), Uint8Array.from([9]));
  assert.deepEqual(load(pickle(op.proto(5), 0x96, 2, 0, 0, 0, 0, 0, 0, 0, 1, 2, op.stop)), Uint8Array.from([1, 2]));
  refuses(pickle(op.proto(2), 0x58, 2, 0, 0, 0, 0xc3, 0x28, op.stop), /BINUNICODE holds a string that is not valid UTF-8/);
});

test('stack manipulation: MARK, POP, POP_MARK, DUP, LIST, DICT, SETITEM, APPEND', () => {
  const list = load(pickle(op.proto(2), op.mark, ...op.int1(1), ...op.int1(2), op.list, op.dup, op.pop, ...op.int1(3), op.append, op.stop));
  assert.deepEqual(list, [1, 2, 3]);
  const popped = load(pickle(op.proto(2), ...op.int1(7), op.mark, ...op.int1(1), ...op.int1(2), op.popMark, op.stop));
  assert.equal(popped, 7);
  const d = dict(load(pickle(op.proto(2), op.mark, ...op.str('a'), ...op.int1(1), op.dict, ...op.str('b'), op.none, op.setitem, ...op.str('a'), ...op.int1(5), op.setitem, op.stop)));
  // A repeated key replaces the value where the key first appeared, as in Python.
  assert.deepEqual([...d.entries()], [['a', 5], ['b', null]]);
  const tuple = load(pickle(op.proto(2), op.mark, ...op.int1(1), ...op.int1(2), ...op.int1(3), op.tuple, op.stop));
  assert.ok(tuple instanceof PickleTuple);
  assert.deepEqual(tuple.items, [1, 2, 3]);
});

test('LONG_BINPUT, LONG_BINGET and a list that contains itself', () => {
  const value = load(pickle(op.proto(2), op.emptyList, ...op.longPut(70000), ...op.longGet(70000), op.append, op.stop));
  assert.ok(Array.isArray(value));
  assert.equal(value.length, 1);
  assert.equal(value[0], value);
});

test('BUILD sets an OrderedDict\'s attributes, as for a state_dict\'s _metadata', () => {
  const value = dict(load(pickle(
    op.proto(2), ...op.global('collections', 'OrderedDict'), op.emptyTuple, op.reduce,
    op.emptyDict, ...op.str('_metadata'), op.emptyDict, op.setitem, op.build, op.stop,
  )));
  assert.equal(value.size, 0);
  assert.ok(value.attributes?.get('_metadata') instanceof PickleDict);
  refuses(pickle(op.proto(2), op.emptyList, op.emptyDict, op.build, op.stop), /BUILD cannot set state on list/);
});

test('allow-listed constructors: torch.Size, torch.device, builtins, _codecs.encode, NEWOBJ', () => {
  const size = load(pickle(op.proto(2), ...op.global('torch', 'Size'), op.mark, ...op.int1(2), ...op.int1(3), op.tuple, op.tuple1, op.reduce, op.stop));
  assert.ok(size instanceof PickleTuple);
  assert.deepEqual(size.items, [2, 3]);
  assert.equal(load(pickle(op.proto(2), ...op.global('torch', 'device'), ...op.str('cuda'), ...op.int1(1), op.tuple2, op.reduce, op.stop)), 'cuda:1');
  assert.equal(load(pickle(op.proto(2), ...op.global('torch', 'device'), ...op.str('cpu'), op.tuple1, op.reduce, op.stop)), 'cpu');
  const slice = load(pickle(op.proto(2), ...op.global('__builtin__', 'slice'), ...op.int1(1), ...op.int1(9), ...op.int1(2), op.tuple3, op.reduce, op.stop));
  assert.ok(slice instanceof PickleSlice);
  assert.deepEqual([slice.start, slice.stop, slice.step], [1, 9, 2]);
  const encoded = load(pickle(op.proto(2), ...op.global('_codecs', 'encode'), ...op.str('\u00ff\u0001'), ...op.str('latin1'), op.tuple2, op.reduce, op.stop));
  assert.deepEqual(encoded, Uint8Array.from([0xff, 0x01]));
  const ordered = load(pickle(op.proto(2), ...op.global('collections', 'OrderedDict'), op.emptyTuple, op.newobj, op.stop));
  assert.ok(ordered instanceof PickleDict);
  // The Python 2 module names are read as Python 3's only under protocol 2.
  refuses(pickle(op.proto(3), ...op.global('__builtin__', 'set'), op.emptyTuple, op.reduce, op.stop), /refuses to load global '__builtin__\.set'/);
  const dtype = load(pickle(op.proto(2), ...op.global('torch', 'float16'), op.stop));
  assert.ok(dtype instanceof PickleGlobal && dtype.qualifiedName === 'torch.float16');
});

test('a pickle that asks for os.system is refused and nothing runs', () => {
  const marker = join(tempDir(), 'pwned');
  const evil = pickle(op.proto(2), ...op.global('os', 'system'), ...op.str(`touch ${marker}`), op.tuple1, op.reduce, op.stop);
  refuses(evil, /refuses to load global 'os\.system': Merge Lens never executes code from a checkpoint; only tensors and plain containers are allowed/);
  const viaStack = pickle(op.proto(4), ...op.str('subprocess'), ...op.str('check_call'), 0x93, op.stop);
  refuses(viaStack, /refuses to load global 'subprocess\.check_call'/);
  const builtinsEval = pickle(op.proto(2), ...op.global('__builtin__', 'eval'), ...op.str('1'), op.tuple1, op.reduce, op.stop);
  refuses(builtinsEval, /refuses to load global 'builtins\.eval'/);
  assert.equal(existsSync(marker), false);
});

test('a pickled nn.Module is a placeholder, never imported, and refused with advice to save its state_dict where the weights should be', () => {
  for (const [module, name] of [['torch.nn.modules.linear', 'Linear'], ['__main__', 'Net']] as const) {
    const advice = new RegExp(`model\\.pt: refuses to load global '${module.replace(/\./g, '\\.')}\\.${name}': the file pickles a whole model object .*torch\\.save\\(model\\.state_dict\\(\\), path\\)`);
    const bare = load(pickle(op.proto(2), ...op.global(module, name), op.stop));
    assert.ok(bare instanceof PickleGlobal && bare.placeholder);
    assert.throws(() => locateTensors(FILE, bare), advice);
    // As torch.save writes a module: NEWOBJ with no arguments, then BUILD with its __dict__.
    const model = load(pickle(op.proto(2), ...op.global(module, name), op.emptyTuple, op.newobj, op.emptyDict, ...op.str('training'), op.true, op.setitem, op.build, op.stop));
    assert.ok(model instanceof Placeholder);
    assert.equal(model.global.qualifiedName, `${module}.${name}`);
    assert.deepEqual(model.args, []);
    assert.ok(model.states[0] instanceof PickleDict && model.states[0].get('training') === true);
    assert.throws(() => locateTensors(FILE, model), advice);
  }
});

test('REDUCE, NEWOBJ and BUILD only apply to what they can', () => {
  refuses(pickle(op.proto(2), ...op.str('x'), op.emptyTuple, op.reduce, op.stop), /REDUCE needs something callable, found str/);
  refuses(pickle(op.proto(2), ...op.global('torch', 'Tensor'), op.emptyTuple, op.reduce, op.stop), /REDUCE needs something callable, found global 'torch\.Tensor'/);
  refuses(pickle(op.proto(2), ...op.global('torch._utils', '_rebuild_tensor_v2'), op.emptyTuple, op.newobj, op.stop), /NEWOBJ needs a class/);
  refuses(pickle(op.proto(2), ...op.global('collections', 'OrderedDict'), op.emptyList, op.reduce, op.stop), /needs a tuple of arguments for 'collections\.OrderedDict', found list/);
  refuses(pickle(op.proto(2), ...op.global('torch._utils', '_rebuild_tensor_v2'), op.emptyTuple, op.reduce, op.stop), /_rebuild_tensor_v2 expects 6 to 7 arguments, found 0/);
});

test('malformed pickles get one clear error each', () => {
  refuses(pickle(op.proto(2), 0x69, op.stop), /opcode INST \(protocol 0\) is not supported/);
  refuses(pickle(op.proto(2), 0x49, ...Buffer.from('1\n'), op.stop), /opcode INT \(protocol 0\) is not supported/);
  refuses(pickle(op.proto(4), 0x92, op.stop), /opcode NEWOBJ_EX \(protocol 4\) is not supported/);
  refuses(pickle(op.proto(2), 0xff), /0xff is not a pickle opcode/);
  refuses(pickle(op.proto(9), op.stop), /pickle protocol 9 is not supported/);
  refuses(pickle(op.proto(2), op.none), /ends without a STOP opcode/);
  refuses(pickle(op.proto(2), op.stop), /STOP needs a value but the stack is empty/);
  refuses(pickle(op.proto(2), op.append, op.stop), /APPEND needs a value but the stack is empty/);
  refuses(pickle(op.proto(2), op.none, op.tuple2, op.stop), /TUPLE2 needs 2 values but the stack holds 1/);
  refuses(pickle(op.proto(2), op.emptyList, op.none, op.appends, op.stop), /APPENDS found no MARK/);
  refuses(pickle(op.proto(2), op.none, op.none, op.append, op.stop), /APPEND needs a list, found None/);
  refuses(pickle(op.proto(2), op.emptyDict, op.mark, op.none, op.setitems, op.stop), /SETITEMS has an odd number of values/);
  refuses(pickle(op.proto(2), op.emptyDict, op.emptyList, op.none, op.setitem, op.stop), /SETITEM uses a list as a dict key that is unhashable or too long/);
  refuses(pickle(op.proto(2), ...op.get(3), op.stop), /BINGET asks for memo entry 3, which was never stored/);
  refuses(pickle(op.proto(2), 0x58, 0xff, 0xff, 0xff, 0x7f, 0x61), /BINUNICODE needs 2147483647 bytes but only 1 remain/);
  refuses(pickle(op.proto(4), 0x95, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, op.stop), /FRAME claims 18446744073709551615 bytes but only 1 remain/);
  refuses(pickle(op.proto(4), 0x8e, 0, 0, 0, 0, 0, 0, 0, 0x10, op.stop), /BINBYTES8 claims \d+ bytes but only 1 remain/);
  refuses(pickle(op.proto(2), 0x4a, 1, 2), /BININT needs 4 bytes but only 2 remain/);
  refuses(pickle(op.proto(2), 0x63, ...Buffer.from('os')), /GLOBAL has an argument with no terminating newline/);
  refuses(pickle(op.proto(2), ...op.int1(1), ...op.int1(2), 0x93, op.stop), /STACK_GLOBAL needs a module and a name as strings, found int and int/);
  refuses(pickle(op.proto(2), op.none, op.binpersid, op.stop), /BINPERSID refers to external data, which this pickle may not do/);
  // Errors say where: the byte offset of the opcode.
  refuses(pickle(op.proto(2), op.none, 0x69), /archive\/data\.pkl, byte 3: /);
});

test('keys nested through the memo cannot make hashing explode', () => {
  // t0 = (1, 1); t(k+1) = (tk, tk): 60 levels would be 2^60 leaves without a bound.
  const parts: number[] = [...op.proto(2), op.emptyDict, ...op.int1(1), ...op.int1(1), op.tuple2, ...op.put(0), op.pop];
  for (let i = 1; i <= 60; i++) parts.push(...op.get(i - 1), ...op.get(i - 1), op.tuple2, ...op.put(i), op.pop);
  parts.push(...op.get(60));
  refuses(pickle(parts, op.none, op.setitem, op.stop), /SETITEM uses a tuple as a dict key that is unhashable or too long/);
  refuses(pickle(op.proto(2), op.emptyDict, ...op.str('k'.repeat(5000)), op.none, op.setitem, op.stop), /SETITEM uses a str as a dict key that is unhashable or too long/);
  // A long parameter name is still a fine key.
  assert.equal(dict(load(pickle(op.proto(2), op.emptyDict, ...op.str('k'.repeat(500)), op.none, op.setitem, op.stop))).size, 1);
});
