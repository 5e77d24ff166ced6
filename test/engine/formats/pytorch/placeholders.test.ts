import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { unpickle } from '../../../../src/engine/formats/pytorch/pickle';
import { PickleDict, PickleGlobal, PickleSet, Placeholder, type PickleValue } from '../../../../src/engine/formats/pytorch/pickleValues';
import { torchGlobals } from '../../../../src/engine/formats/pytorch/torchGlobals';
import { fixture, tempDir } from '../../../helpers/paths';
import { type ExpectedTensor, rejects, withCheckpoint, write } from './pytorchFiles';
import { op, pickle } from '../../../helpers/pickleAssembler';
import { storageRef, tensorV2, zipBytes } from './handmade';

/**
 * Globals outside the tensor allow-list: placeholders beside the weights (the hyperparameters of
 * training checkpoints), refusals where the weights are, and outright refusals for the globals a
 * pickle names only to run code.
 */


/** What torch wrote, by make_training_fixtures.py. */
const expected = JSON.parse(readFileSync(fixture('pytorch', 'expected_training.json'), 'utf8')) as Record<string, { tensors: ExpectedTensor[] }>;




const floats = (values: readonly number[]) => new Uint8Array(Float32Array.from(values).buffer);

/** An archive of `{'state_dict': {'w': tensor of [1, 2]}, <key>: <value>}`, the value's opcodes given. */
function beside(key: string, value: readonly number[]): Uint8Array {
  const pkl = pickle(
    op.proto(2), op.emptyDict, op.mark,
    ...op.str('state_dict'), op.emptyDict, ...op.str('w'), ...tensorV2(storageRef('FloatStorage', '0', 2), 0, [2], [1]), op.setitem,
    ...op.str(key), value,
    op.setitems, op.stop,
  );
  return zipBytes([['archive/data.pkl', pkl], ['archive/data/0', floats([1, 2])], ['archive/version', '3\n']]);
}

/** An archive whose state_dict is `{name: value, ...}`, the values' opcodes given, over storage '0' of [1, 2]. */
function stateDict(entries: ReadonlyArray<readonly [string, readonly number[]]>): Uint8Array {
  const pkl = pickle(op.proto(2), op.emptyDict, op.mark, ...entries.flatMap(([name, value]) => [op.str(name), value]), op.setitems, op.stop);
  return zipBytes([['archive/data.pkl', pkl], ['archive/data/0', floats([1, 2])], ['archive/version', '3\n']]);
}

const call = (module: string, name: string, ...args: ReadonlyArray<number | readonly number[]>) => [...op.global(module, name), op.mark, ...args.flat(), op.tuple, op.reduce];
const tensor = tensorV2(storageRef('FloatStorage', '0', 2), 0, [2], [1]);

for (const [name, { tensors }] of Object.entries(expected)) {
  test(`${name}: every tensor matches what torch saved`, async () => {
    await withCheckpoint(fixture('pytorch', name), async (checkpoint) => {
      assert.deepEqual(checkpoint.tensors.map((t) => t.name), tensors.map((t) => t.name));
      for (const want of tensors) {
        const info = checkpoint.info(want.name);
        assert.deepEqual([info.dtype, info.shape], [want.dtype, want.shape], want.name);
        const data = (await checkpoint.read(want.name)).data;
        const digest = createHash('sha256').update(Buffer.from(data.buffer, data.byteOffset, data.byteLength)).digest('hex');
        assert.equal(digest, want.sha256, `${name}: ${want.name}`);
      }
    });
  });
}

test('a Lightning checkpoint whose hyper_parameters hold an argparse.Namespace opens, and the notes say what was stood in for', async () => {
  await withCheckpoint(fixture('pytorch', 'lightning_a.ckpt'), async (checkpoint) => {
    assert.equal(checkpoint.metadata['pytorch-lightning_version'], '1.9.5');
    assert.deepEqual(checkpoint.notes, [
      'a PyTorch Lightning checkpoint (Lightning 1.9.5, epoch 19, global_step 3380)',
      "the weights were read from the state_dict under 'state_dict'",
      "'callbacks' holds pathlib.PosixPath: kept as an inert placeholder, never imported or run",
      "'hyper_parameters' holds argparse.Namespace, pathlib.PosixPath, numpy.core.multiarray.scalar, numpy.dtype, builtins.getattr, " +
        '__main__.Activation, numpy.core.multiarray._reconstruct, numpy.ndarray and 3 more: kept as inert placeholders, never imported or run',
    ]);
  });
  await withCheckpoint(fixture('pytorch', 'legacy_a.pt'), async (checkpoint) => {
    assert.equal(checkpoint.metadata.serialization, 'legacy (before PyTorch 1.6)');
    assert.deepEqual(checkpoint.notes, []);
  });
});

// The unpickled placeholders themselves: plain data, as Python's pickle would have passed it to the classes.

const FILE = '/runs/last.ckpt';
const load = (bytes: Uint8Array): PickleValue => unpickle(bytes, { file: FILE, what: 'archive/data.pkl', findGlobal: torchGlobals(FILE) });

test('a placeholder keeps its global, its arguments and the state, pairs and items the pickle gave it', () => {
  // argparse.Namespace as Python 3 pickles it: NEWOBJ with no arguments, then BUILD with its __dict__.
  const namespace = load(pickle(op.proto(2), ...op.global('argparse', 'Namespace'), op.emptyTuple, op.newobj, op.emptyDict, ...op.str('lr'), ...op.float(0.5), op.setitem, op.build, op.stop));
  assert.ok(namespace instanceof Placeholder);
  assert.equal(namespace.global.qualifiedName, 'argparse.Namespace');
  assert.deepEqual(namespace.args, []);
  assert.ok(namespace.states[0] instanceof PickleDict && namespace.states[0].get('lr') === 0.5);

  // A NumPy scalar: numpy.core.multiarray.scalar(numpy.dtype('i8', False, True) with its BUILD state, raw bytes).
  const dtype = [...op.global('numpy', 'dtype'), ...op.str('i8'), op.false, op.true, op.tuple3, op.reduce, op.mark, ...op.int1(3), ...op.str('<'), op.none, op.tuple, op.build];
  const scalar = load(pickle(op.proto(2), ...op.global('numpy.core.multiarray', 'scalar'), ...dtype, ...op.bytes([3, 0, 0, 0, 0, 0, 0, 0]), op.tuple2, op.reduce, op.stop));
  assert.ok(scalar instanceof Placeholder);
  const [made, raw] = scalar.args;
  assert.ok(made instanceof Placeholder && made.global.qualifiedName === 'numpy.dtype');
  assert.deepEqual(made.args, ['i8', false, true]);
  assert.equal(made.states.length, 1);
  assert.deepEqual(raw, Uint8Array.from([3, 0, 0, 0, 0, 0, 0, 0]));

  // A defaultdict gets SETITEMS, a list subclass APPENDS; an enum member (Python 3.11) is getattr(cls, name).
  const counts = load(pickle(op.proto(2), ...op.global('collections', 'defaultdict'), ...op.global('__builtin__', 'long'), op.tuple1, op.reduce, op.mark, ...op.str('train'), ...op.int(48000), op.setitems, op.stop));
  assert.ok(counts instanceof Placeholder);
  assert.ok(counts.args[0] instanceof PickleGlobal && counts.args[0].qualifiedName === 'builtins.int' && counts.args[0].placeholder);
  assert.deepEqual(counts.pairs, ['train', 48000]);
  const items = load(pickle(op.proto(2), ...op.global('mylib', 'Tags'), op.emptyTuple, op.newobj, op.mark, ...op.str('a'), ...op.str('b'), op.appends, op.stop));
  assert.ok(items instanceof Placeholder && items.items.join() === 'a,b');
  const member = load(pickle(op.proto(2), ...op.global('__builtin__', 'getattr'), ...op.global('__main__', 'Activation'), ...op.str('TANH'), op.tuple2, op.reduce, op.stop));
  assert.ok(member instanceof Placeholder && member.global.qualifiedName === 'builtins.getattr');

  // Placeholders are keys and set items by identity: two calls are two keys, one memoized object is one.
  const keyed = load(pickle(
    op.proto(2), op.emptyDict, op.mark,
    ...call('enum', 'Member'), ...op.put(0), ...op.int1(1), ...call('enum', 'Member'), ...op.int1(2), ...op.get(0), ...op.int1(3),
    op.setitems, op.stop,
  ));
  assert.ok(keyed instanceof PickleDict);
  assert.deepEqual(keyed.values(), [3, 2]);
  const set = load(pickle(op.proto(4), 0x8f, op.mark, ...call('enum', 'Member'), 0x94, ...op.get(0), 0x90, op.stop));
  assert.ok(set instanceof PickleSet && set.items.length === 1);
});

test('Python 2 names read as Python 3 does under protocol 2 only', () => {
  const long = load(pickle(op.proto(2), ...op.global('__builtin__', 'long'), op.stop));
  assert.ok(long instanceof PickleGlobal && long.qualifiedName === 'builtins.int');
  const range = load(pickle(op.proto(2), ...op.global('__builtin__', 'xrange'), op.stop));
  assert.ok(range instanceof PickleGlobal && range.qualifiedName === 'builtins.range');
  assert.throws(() => load(pickle(op.proto(2), ...op.global('__builtin__', 'intern'), op.stop)), /refuses to load global 'sys\.intern'/);
  assert.throws(() => load(pickle(op.proto(3), ...op.global('__builtin__', 'long'), op.stop)), /refuses to load global '__builtin__\.long'/);
});

test('globals a pickle names only to run code are refused outright, even beside good weights, and nothing runs', async () => {
  const marker = join(tempDir(), 'pwned');
  const payloads: Array<readonly [string, string, readonly number[]]> = [
    ['os', 'system', op.str(`touch ${marker}`)],
    ['posix', 'system', op.str(`touch ${marker}`)],
    ['nt', 'system', op.str(`touch ${marker}`)],
    ['subprocess', 'Popen', [op.mark, ...op.str('touch'), ...op.str(marker), op.list]],
    ['builtins', 'exec', op.str(`open(${JSON.stringify(marker)}, 'w')`)],
    ['builtins', 'eval', op.str('1')],
    ['builtins', 'open', op.str(marker)],
    ['builtins', '__import__', op.str('os')],
    ['builtins', 'setattr', op.str('x')],
    ['importlib', 'import_module', op.str('os')],
    ['runpy', 'run_path', op.str(marker)],
    ['sys', 'exit', op.int1(1)],
    ['types', 'FunctionType', op.str('x')],
    ['pickle', 'loads', op.bytes([0x80, 2, 0x4e, 0x2e])],
    ['shutil', 'rmtree', op.str(marker)],
    ['socket', 'create_connection', op.str('example.com')],
    ['ctypes', 'CDLL', op.str('libc.so.6')],
    ['torch.storage', '_load_from_bytes', op.bytes([0])],
    ['torch.serialization', 'load', op.str(marker)],
  ];
  for (const [module, name, arg] of payloads) {
    const q = `${module}.${name}`.replace(/\./g, '\\.');
    await rejects(write('evil.ckpt', beside('hyper_parameters', call(module, name, arg))), new RegExp(`^evil\\.ckpt: refuses to load global '${q}': Merge Lens never executes code from a checkpoint`));
  }
  assert.equal(existsSync(marker), false);
  // torch's machinery for tensors it cannot read keeps its advice wherever it is.
  await rejects(write('sparse.ckpt', beside('optimizer_states', call('torch._utils', '_rebuild_sparse_tensor', op.none))), /refuses to load global 'torch\._utils\._rebuild_sparse_tensor': sparse tensors are not supported; save them dense/);
  await rejects(write('qint.ckpt', beside('optimizer_states', call('torch', 'per_tensor_affine'))), /refuses to load global 'torch\.per_tensor_affine': quantized tensors are not supported/);
});

test('a placeholder beside the weights, or a plain one among them, is kept and noted; the weights read', async () => {
  const withArgs = write('args.ckpt', beside('args', [...op.global('argparse', 'Namespace'), op.emptyTuple, op.newobj, op.emptyDict, ...op.str('data'), ...call('pathlib', 'PosixPath', op.str('/data')), op.setitem, op.build]));
  await withCheckpoint(withArgs, async (checkpoint) => {
    assert.deepEqual([...(await checkpoint.readFloat32('w'))], [1, 2]);
    assert.deepEqual(checkpoint.notes, [
      "the weights were read from the state_dict under 'state_dict'",
      "'args' holds argparse.Namespace, pathlib.PosixPath: kept as inert placeholders, never imported or run",
    ]);
  });
  // A loss module with class weights among the hyperparameters (save_hyperparameters() keeps what __init__ took).
  const loss = [...op.global('torch.nn.modules.loss', 'CrossEntropyLoss'), op.emptyTuple, op.newobj, op.emptyDict, ...op.str('weight'), ...tensor, op.setitem, op.build];
  await withCheckpoint(write('loss.ckpt', beside('hyper_parameters', loss)), async (checkpoint) => {
    assert.deepEqual(checkpoint.tensors.map((t) => t.name), ['w']);
    assert.deepEqual(checkpoint.notes, [
      "the weights were read from the state_dict under 'state_dict'",
      "the entry 'hyper_parameters' next to 'state_dict' also holds tensors (optimizer state, other weights); they were not read",
      "'hyper_parameters' holds torch.nn.modules.loss.CrossEntropyLoss: kept as an inert placeholder, never imported or run",
    ]);
  });
  const flat = write('flat.pt', stateDict([['w', tensor], ['seed', call('numpy.core.multiarray', 'scalar', op.str('i8'))]]));
  await withCheckpoint(flat, async (checkpoint) => {
    assert.deepEqual(checkpoint.tensors.map((t) => t.name), ['w']);
    assert.deepEqual(checkpoint.notes, [
      "skipped 1 entry of the state_dict that is not a tensor: 'seed'",
      "'seed' holds numpy.core.multiarray.scalar: kept as an inert placeholder, never imported or run",
    ]);
  });
  // A nested checkpoint walked for its tensors passes over a placeholder without weights in it.
  const nested = write('nested.pt', stateDict([['encoder', [op.emptyList, ...tensor, op.append]], ['config', call('omegaconf.dictconfig', 'DictConfig', op.emptyDict)]]));
  await withCheckpoint(nested, async (checkpoint) => {
    assert.deepEqual(checkpoint.tensors.map((t) => t.name), ['encoder.0']);
    assert.match(checkpoint.notes.at(-1)!, /^'config' holds omegaconf\.dictconfig\.DictConfig: kept as an inert placeholder/);
  });
});

test('a placeholder where the weights are is refused, naming its global', async () => {
  const unknownFloat = call('numpy.core.multiarray', 'scalar', op.str('f4'));
  const cases: Array<readonly [string, Uint8Array, RegExp]> = [
    // A whole model object under 'model': NEWOBJ then BUILD with its parameters.
    ['model.pt', stateDict([['model', [
      ...op.global('__main__', 'Net'), op.emptyTuple, op.newobj, op.emptyDict, ...op.str('_parameters'), op.emptyDict, ...op.str('w'), ...tensor, op.setitem, op.setitem, op.build,
    ]]]), /^model\.pt: refuses to load global '__main__\.Net': the file pickles a whole model object rather than its weights.*torch\.save\(model\.state_dict\(\), path\)/],
    // An object holding a storage among the weights (a tensor type saved by its own class).
    ['holds.pt', stateDict([['w', tensor], ['q', call('mylib.quant', 'QTensor', storageRef('FloatStorage', '0', 2))]]), /^holds\.pt: refuses to load global 'mylib\.quant\.QTensor': Merge Lens never executes code/],
    // A tensor that torch saved some other way.
    ['torchish.pt', stateDict([['w', tensor], ['n', call('torch.nested', 'nested_tensor', op.emptyList)]]), /^torchish\.pt: refuses to load global 'torch\.nested\.nested_tensor'/],
    // Placeholders where a rebuild function needs a storage, a size, a dtype or a function.
    ['storage.pt', stateDict([['w', [...op.global('torch._utils', '_rebuild_tensor_v2'), op.mark, ...unknownFloat, ...op.int(0), op.mark, op.tuple, op.mark, op.tuple, op.false, op.none, op.tuple, op.reduce]]]), /^storage\.pt: refuses to load global 'numpy\.core\.multiarray\.scalar'/],
    ['size.pt', stateDict([['w', [...op.global('torch._utils', '_rebuild_tensor_v2'), op.mark, ...storageRef('FloatStorage', '0', 2), ...op.int(0), ...call('mylib', 'Shape'), op.mark, op.tuple, op.false, op.none, op.tuple, op.reduce]]]), /^size\.pt: refuses to load global 'mylib\.Shape'/],
    ['dtype.pt', stateDict([['w', [
      ...op.global('torch._utils', '_rebuild_tensor_v3'), op.mark, ...storageRef('UntypedStorage', '0', 8), ...op.int(0), op.mark, ...op.int(2), op.tuple, op.mark, ...op.int(1), op.tuple,
      op.false, op.none, ...op.global('numpy', 'float32'), op.tuple, op.reduce,
    ]]]), /^dtype\.pt: refuses to load global 'numpy\.float32'/],
    ['function.pt', stateDict([['w', [
      ...op.global('torch._utils', '_rebuild_from_type_v2'), op.mark, ...op.global('mylib', 'rebuild'), ...op.global('torch', 'Tensor'), op.emptyTuple, op.emptyDict, op.tuple, op.reduce,
    ]]]), /^function\.pt: refuses to load global 'mylib\.rebuild'/],
    ['storagetype.pt', stateDict([['w', tensorV2(storageRef('QUInt8Storage', '0', 2), 0, [2], [1])]]), /^storagetype\.pt: refuses to load global 'torch\.QUInt8Storage': quantized tensors are not supported/],
    // The file is nothing but an object.
    ['only.pt', zipBytes([['archive/data.pkl', pickle(op.proto(2), ...op.global('argparse', 'Namespace'), op.emptyTuple, op.newobj, op.stop)], ['archive/version', '3\n']]), /^only\.pt: refuses to load global 'argparse\.Namespace'/],
  ];
  for (const [name, bytes, pattern] of cases) await rejects(write(name, bytes), pattern);
});

test('placeholders nested 20,000 deep, sharing one another 2^10,000 ways or 50,000 sharing one long tuple stay bounded', async () => {
  // f(f(f(...f(1)...))): the global memoized once, then fetched for each level.
  const depth = 20_000;
  const chain = [...op.global('mylib', 'f'), ...op.longPut(0), op.pop, ...Array.from({ length: depth }, () => op.longGet(0)).flat(), ...op.int1(1), ...Array(depth).fill([op.tuple1, op.reduce]).flat()];
  await withCheckpoint(write('deep.ckpt', beside('hyper_parameters', chain)), async (checkpoint) => {
    assert.deepEqual(checkpoint.tensors.map((t) => t.name), ['w']);
    assert.match(checkpoint.notes.at(-1)!, /^'hyper_parameters' holds mylib\.f: kept as an inert placeholder/);
  });
  // x = f(x, x), 10,000 times: a walk that did not remember what it had seen would never end.
  const shared = [...op.global('mylib', 'f'), ...op.longPut(0), op.pop, ...op.int1(1), ...op.longPut(1), op.pop];
  for (let i = 0; i < 10_000; i++) shared.push(...op.longGet(0), ...op.longGet(1), ...op.longGet(1), op.tuple2, op.reduce, ...op.longPut(1), op.pop);
  shared.push(...op.longGet(1));
  await withCheckpoint(write('shared.ckpt', beside('hyper_parameters', shared)), async (checkpoint) => {
    assert.deepEqual(checkpoint.tensors.map((t) => t.name), ['w']);
  });
  // One tuple of 50,000 items, memoized, as the arguments of 50,000 calls: its items are visited once, not 2.5e9 times.
  const many = 50_000;
  const fanOut = [...op.global('mylib', 'f'), ...op.longPut(0), op.pop, op.mark, ...Array(many).fill(op.int1(7)).flat(), op.tuple, ...op.longPut(1), op.pop, op.mark];
  for (let i = 0; i < many; i++) fanOut.push(...op.longGet(0), ...op.longGet(1), op.reduce);
  fanOut.push(op.list);
  await withCheckpoint(write('fan-out.ckpt', beside('hyper_parameters', fanOut)), async (checkpoint) => {
    assert.match(checkpoint.notes.at(-1)!, /^'hyper_parameters' holds mylib\.f: kept as an inert placeholder/);
  });
  // Among the weights, the walk's depth bound applies through a placeholder's arguments too.
  const deepWeights = [...op.global('mylib', 'f'), ...op.longPut(0), op.pop, ...Array.from({ length: depth }, () => op.longGet(0)).flat(), ...tensor, ...Array(depth).fill([op.tuple1, op.reduce]).flat()];
  await rejects(write('deep-weights.pt', stateDict([['w', tensor], ['x', deepWeights]])), /^deep-weights\.pt: refuses to load global 'mylib\.f'/);
});
