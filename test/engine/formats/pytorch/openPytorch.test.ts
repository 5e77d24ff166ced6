import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Checkpoint } from '../../../../src/engine/formats/checkpoint';
import { openPytorch } from '../../../../src/engine/formats/pytorch/openPytorch';
import { fixture, tempDir } from '../../../helpers/paths';
import { type ExpectedTensor, rejects, withCheckpoint, write } from './pytorchFiles';
import { op, pickle } from '../../../helpers/pickleAssembler';
import { stateDictPickle, storageRef, tensorV2, zipBytes } from './handmade';


const expected = JSON.parse(readFileSync(fixture('pytorch', 'expected.json'), 'utf8')) as Record<string, { tensors: ExpectedTensor[] }>;

const WIDTH: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1, C64: 8, C128: 16 };

function expectedNumber(value: number | string): number {
  if (typeof value === 'number') return value;
  return value === 'nan' ? NaN : value === 'inf' ? Infinity : value === '-inf' ? -Infinity : Number(value);
}



/** Checks every tensor of a fixture against what torch wrote in expected.json. */
async function checkAgainstTorch(name: string, checkpoint: Checkpoint): Promise<void> {
  const tensors = expected[name]!.tensors;
  assert.deepEqual(checkpoint.tensors.map((t) => t.name), tensors.map((t) => t.name));
  for (const want of tensors) {
    const info = checkpoint.info(want.name);
    assert.equal(info.dtype, want.dtype, want.name);
    assert.deepEqual(info.shape, want.shape, want.name);
    assert.equal(info.byteSize, want.shape.reduce((a, b) => a * b, 1) * WIDTH[want.dtype]!, want.name);

    // Every element, bit for bit, in the tensor's own type.
    const data = (await checkpoint.read(want.name)).data;
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    assert.equal(createHash('sha256').update(bytes).digest('hex'), want.sha256, `${name}: ${want.name}`);

    if (want.values && want.dtype === 'I64') {
      assert.deepEqual([...(data as BigInt64Array)], want.values.map((v) => BigInt(v)), want.name);
    } else if (want.values && (want.dtype === 'C64' || want.dtype === 'C128')) {
      assert.deepEqual([...(data as Float32Array)], want.values.map(expectedNumber), want.name);
    } else if (want.values) {
      const floats = await checkpoint.readFloat32(want.name);
      assert.deepEqual([...floats], want.values.map((v) => Math.fround(expectedNumber(v))), want.name);
    } else {
      const floats = await checkpoint.readFloat32(want.name);
      assert.deepEqual([...floats.subarray(0, want.first!.length)], want.first, want.name);
      let sum = 0;
      for (const v of floats) sum += v;
      assert.ok(Math.abs(sum - want.sum!) < 1e-9 * floats.length, `${want.name}: sum ${sum} vs ${want.sum}`);
    }
  }
}

for (const name of Object.keys(expected)) {
  test(`${name}: every tensor matches what torch saved`, async () => {
    await withCheckpoint(fixture('pytorch', name), async (checkpoint) => {
      assert.equal(checkpoint.format, 'pytorch');
      await checkAgainstTorch(name, checkpoint);
    });
  });
}

test('mlp.pt: the README demo state_dict, with its _metadata skipped', async () => {
  await withCheckpoint(fixture('pytorch', 'mlp.pt'), async (checkpoint) => {
    assert.deepEqual(checkpoint.tensors.map((t) => `${t.name} ${t.shape.join('x')}`), [
      '0.weight 32x784', '0.bias 32', '2.weight 32x32', '2.bias 32', '4.weight 10x32', '4.bias 10',
    ]);
    assert.equal(checkpoint.metadata.archive_version, '3');
    assert.deepEqual(checkpoint.notes, ['skipped the _metadata (per-module version numbers, not weights) of the state_dict']);
  });
});

test('views.pt: transposed, sliced, strided and broadcast views of one storage read as torch shows them', async () => {
  await withCheckpoint(fixture('pytorch', 'views.pt'), async (checkpoint) => {
    assert.deepEqual(checkpoint.notes, [
      "tensors 'base', 'transposed', 'sliced', 'strided', 'broadcast' share one storage (tied weights or views of one tensor)",
    ]);
    assert.deepEqual(checkpoint.info('scalar').shape, []);
    assert.deepEqual(checkpoint.info('empty').shape, [0, 3]);
    assert.equal((await checkpoint.readFloat32('empty')).length, 0);
    // Streaming a non-contiguous view yields the same row-major values in chunks.
    const chunks: number[] = [];
    await checkpoint.streamFloat32('transposed', 5, (chunk) => chunks.push(...chunk));
    assert.deepEqual(chunks, [...(await checkpoint.readFloat32('transposed'))]);
  });
});

test('tied.pt: tied weights share one storage and both read', async () => {
  await withCheckpoint(fixture('pytorch', 'tied.pt'), async (checkpoint) => {
    assert.ok(checkpoint.notes.includes("tensors 'embed.weight', 'out.weight' share one storage (tied weights or views of one tensor)"));
    assert.deepEqual(await checkpoint.readFloat32('out.weight'), await checkpoint.readFloat32('embed.weight'));
  });
});

test('wrapped checkpoints: the state_dict is found under the usual keys, and the notes say where', async () => {
  for (const [name, key] of [['wrapped_state_dict.pt', 'state_dict'], ['wrapped_model.pt', 'model']] as const) {
    await withCheckpoint(fixture('pytorch', name), async (checkpoint) => {
      assert.deepEqual(checkpoint.tensors.map((t) => t.name), ['weight', 'bias']);
      assert.deepEqual(checkpoint.notes, [
        `the weights were read from the state_dict under '${key}'`,
        `skipped the _metadata (per-module version numbers, not weights) of the state_dict under '${key}'`,
      ]);
    });
  }
  await withCheckpoint(fixture('pytorch', 'training.pt'), async (checkpoint) => {
    assert.equal(checkpoint.metadata.epoch, '3');
    assert.match(checkpoint.notes.join('\n'), /the weights were read from the state_dict under 'model_state_dict'/);
    assert.match(checkpoint.notes.join('\n'), /the entry 'optimizer_state_dict' next to 'model_state_dict' also holds tensors .* not read/);
  });
});

test('lightning.ckpt: the Lightning version, epoch and global step reach the metadata and a note', async () => {
  await withCheckpoint(fixture('pytorch', 'lightning.ckpt'), async (checkpoint) => {
    assert.equal(checkpoint.metadata['pytorch-lightning_version'], '1.9.0');
    assert.equal(checkpoint.metadata.epoch, '4');
    assert.equal(checkpoint.metadata.global_step, '500');
    assert.equal(checkpoint.notes[0], 'a PyTorch Lightning checkpoint (Lightning 1.9.0, epoch 4, global_step 500)');
    assert.match(checkpoint.notes.join('\n'), /the weights were read from the state_dict under 'state_dict'/);
    assert.match(checkpoint.notes.join('\n'), /'optimizer_states' next to 'state_dict' also holds tensors/);
  });
});

test('nested.pt: tensors in nested containers get dotted names, and a self-containing list does not hang the walk', async () => {
  await withCheckpoint(fixture('pytorch', 'nested.pt'), async (checkpoint) => {
    assert.equal(checkpoint.metadata.step, '5');
    assert.deepEqual(checkpoint.notes, ['no flat state_dict was found: the 4 tensors found in nested containers are named by their dotted paths']);
  });
});

test('bigendian.pt: a big-endian archive (byteorder member) with the newer "archive" prefix', async () => {
  await withCheckpoint(fixture('pytorch', 'bigendian.pt'), async (checkpoint) => {
    assert.equal(checkpoint.metadata.byteorder, 'big');
  });
});

test('legacy.pt: the pre-1.6 format, with a view at an offset into a storage it shares', async () => {
  await withCheckpoint(fixture('pytorch', 'legacy.pt'), async (checkpoint) => {
    assert.equal(checkpoint.metadata.serialization, 'legacy (before PyTorch 1.6)');
    assert.deepEqual(checkpoint.notes, [
      'skipped the _metadata (per-module version numbers, not weights) of the state_dict',
      "tensors '0.weight', '0.weight_rows' share one storage (tied weights or views of one tensor)",
    ]);
  });
});

/** legacy.pt's bytes, and where its pickles and storages start (recorded by the script that wrote it). */
function legacyBytes(): { bytes: Buffer; picklesAt: number[]; storagesAt: number } {
  const layout = expected['legacy.pt'] as unknown as { pickles_at: number[]; storages_at: number };
  return { bytes: readFileSync(fixture('pytorch', 'legacy.pt')), picklesAt: layout.pickles_at, storagesAt: layout.storages_at };
}

/**
 * A legacy file built here: legacy.pt's magic number, version and system information, then
 * `{'w': tensor}` over storage '1' of four floats (referenced as a view when `view` is given), the
 * storage list `keys` and the storage's elements.
 */
function legacyFile(options: { view?: number[]; keys?: string[] } = {}): Uint8Array {
  const { bytes, picklesAt } = legacyBytes();
  const view = options.view ? [op.mark, ...op.str('2'), ...options.view.flatMap((v) => op.int(v)), op.tuple] : [op.none];
  const ref = [op.mark, ...op.str('storage'), ...op.global('torch', 'FloatStorage'), ...op.str('1'), ...op.str('cpu'), ...op.int(4), ...view, op.tuple, op.binpersid];
  const object = stateDictPickle([['w', tensorV2(ref, 1, [3], [1])]]);
  const keys = pickle(op.proto(2), op.mark, ...(options.keys ?? ['1']).flatMap((k) => op.str(k)), op.list, op.stop);
  const count = Buffer.alloc(8);
  count.writeBigUInt64LE(4n);
  return Buffer.concat([bytes.subarray(0, picklesAt[3]), object, keys, count, floats([1, 2, 3, 4])]);
}

test('a hand-built legacy file reads; one with a storage view or an unreferenced storage is refused', async () => {
  await withCheckpoint(write('built.pt', legacyFile()), async (checkpoint) => {
    assert.deepEqual([...(await checkpoint.readFloat32('w'))], [2, 3, 4]);
  });
  await rejects(write('view.pt', legacyFile({ view: [0, 4] })), /^view\.pt: storage '1' is saved as a view into another storage \(as PyTorch before 1\.0 did\), which Merge Lens does not read/);
  await rejects(write('stray.pt', legacyFile({ keys: ['1', '99'] })), /^stray\.pt: the storage list names '99', which the pickled object never refers to$/);
  await rejects(write('twice.pt', legacyFile({ keys: ['1', '1'] })), /^twice\.pt: the storage list names '1' twice$/);
  await rejects(write('missing.pt', legacyFile({ keys: [] })), /^missing\.pt: tensor 'w' refers to storage '1', which the file's list of storages leaves out$/);
});

test('a legacy pickle larger than the first read is read whole', async () => {
  const { bytes, picklesAt } = legacyBytes();
  const big = 3 * 2 ** 20;
  const sysInfo = Buffer.concat([Buffer.from([0x80, 2, 0x58]), Buffer.from(Uint32Array.of(big).buffer), Buffer.alloc(big, 0x61), Buffer.from([0x2e])]);
  const file = write('big.pt', Buffer.concat([bytes.subarray(0, picklesAt[2]), sysInfo, bytes.subarray(picklesAt[3])]));
  await withCheckpoint(file, async (checkpoint) => {
    assert.deepEqual(checkpoint.tensors.map((t) => t.name), expected['legacy.pt']!.tensors.map((t) => t.name));
    const rows = expected['legacy.pt']!.tensors.find((t) => t.name === '0.weight_rows')!;
    assert.deepEqual([...(await checkpoint.readFloat32(rows.name))], rows.values!.map((v) => Math.fround(expectedNumber(v))));
  });
});

test('a truncated legacy file is refused in one line, wherever it is cut', async () => {
  const { bytes, picklesAt, storagesAt } = legacyBytes();
  const cuts: Array<readonly [number, RegExp]> = [
    [20, /^cut\.pt: the format version, byte \d+: .*truncated/],
    [picklesAt[4]! - 10, /^cut\.pt: the pickled object \(at byte \d+\), byte \d+: .*truncated/],
    [storagesAt - 3, /^cut\.pt: the storage list \(at byte \d+\), byte \d+: .*truncated/],
    [storagesAt + 4, new RegExp(`^cut\\.pt: the file ends at byte ${storagesAt + 4}, before the element count of storage '\\d+' at byte ${storagesAt}; it is truncated$`)],
    [bytes.length - 1, /^cut\.pt: storage '\d+' at byte \d+ claims \d+ elements of \d bytes, more than the \d+ bytes left in the file; the file is truncated or lies$/],
  ];
  for (const [length, pattern] of cuts) {
    await rejects(write('cut.pt', bytes.subarray(0, length)), pattern);
  }
});

test('a legacy storage whose element count lies is refused before anything is read', async () => {
  const { bytes, storagesAt } = legacyBytes();
  const lying = Buffer.from(bytes);
  lying.writeBigUInt64LE(2n ** 60n, storagesAt);
  await rejects(write('lying.pt', lying), new RegExp(`^lying\\.pt: storage '\\d+' at byte ${storagesAt} claims ${2n ** 60n} elements of \\d bytes, more than the \\d+ bytes left in the file; the file is truncated or lies$`));
  const wrong = Buffer.from(bytes);
  wrong.writeBigUInt64LE(wrong.readBigUInt64LE(storagesAt) - 1n, storagesAt);
  await rejects(write('wrong.pt', wrong), /^wrong\.pt: storage '\d+' at byte \d+ holds \d+ elements, but the pickled object says \d+$/);
});

test('hostile fixtures made by torch are refused with the reason and the way out', async () => {
  await rejects(fixture('pytorch', 'torchscript.pt'), /is a TorchScript archive .*torch\.save\(torch\.jit\.load\(path\)\.state_dict\(\), out\)/);
  await rejects(fixture('pytorch', 'whole_model.pt'), /refuses to load global 'torch\.nn\.modules\.container\.Sequential': the file pickles a whole model object.*torch\.save\(model\.state_dict\(\), path\)/);
  await rejects(fixture('pytorch', 'quantized.pt'), /refuses to load global 'torch\._utils\._rebuild_qtensor': quantized tensors are not supported/);
});

test('evil.pt asks to run os.system: refused by name, and nothing runs', async () => {
  const marker = '/tmp/merge-lens-pwned';
  rmSync(marker, { force: true });
  await rejects(fixture('pytorch', 'evil.pt'), /^evil\.pt: refuses to load global 'posix\.system': Merge Lens never executes code from a checkpoint; only tensors and plain containers are allowed$/);
  assert.equal(existsSync(marker), false);
});

// Archives built here, for what torch never writes.


function archive(pkl: Uint8Array, members: ReadonlyArray<readonly [string, Uint8Array | string]> = []): Uint8Array {
  return zipBytes([['archive/data.pkl', pkl], ...members, ['archive/version', '3\n']]);
}

function floats(values: readonly number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

test('float8 and unsigned tensors saved by newer PyTorch through _rebuild_tensor_v3', async () => {
  const v3 = (key: string, numel: number, dtype: string, offset: number, size: number[], stride: number[]) => [
    ...op.global('torch._utils', '_rebuild_tensor_v3'),
    op.mark, ...storageRef('UntypedStorage', key, numel), ...op.int(offset),
    op.mark, ...size.flatMap((d) => op.int(d)), op.tuple, op.mark, ...stride.flatMap((d) => op.int(d)), op.tuple,
    op.false, ...op.global('collections', 'OrderedDict'), op.emptyTuple, op.reduce, ...op.global('torch', dtype), op.tuple,
    op.reduce,
  ];
  const file = write('v3.pt', archive(
    stateDictPickle([
      ['e4m3', v3('0', 3, 'float8_e4m3fn', 0, [3], [1])],
      ['e5m2', v3('1', 3, 'float8_e5m2', 0, [3], [1])],
      ['u16', v3('2', 6, 'uint16', 1, [2], [1])],
      ['u64', v3('3', 8, 'uint64', 0, [1], [1])],
    ]),
    [
      // e4m3fn: 0x38 = 1, 0xc0 = -2, 0x7e = 448 (its largest); e5m2: 0x3c = 1, 0xbc = -1, 0x7c = +inf.
      ['archive/data/0', Uint8Array.from([0x38, 0xc0, 0x7e])],
      ['archive/data/1', Uint8Array.from([0x3c, 0xbc, 0x7c])],
      // uint16 [7, 65535, 2], read from element 1.
      ['archive/data/2', Uint8Array.from([7, 0, 0xff, 0xff, 2, 0])],
      ['archive/data/3', Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])],
    ],
  ));
  await withCheckpoint(file, async (checkpoint) => {
    assert.deepEqual(checkpoint.tensors.map((t) => `${t.name} ${t.dtype}`), ['e4m3 F8_E4M3', 'e5m2 F8_E5M2', 'u16 U16', 'u64 U64']);
    assert.deepEqual([...(await checkpoint.readFloat32('e4m3'))], [1, -2, 448]);
    assert.deepEqual([...(await checkpoint.readFloat32('e5m2'))], [1, -1, Infinity]);
    assert.deepEqual([...(await checkpoint.read('u16')).data], [65535, 2]);
    assert.deepEqual([...(await checkpoint.read('u64')).data], [2n ** 64n - 1n]);
  });
});

test('parameters and tensors with Python state (_rebuild_parameter_with_state, _rebuild_from_type_v2)', async () => {
  const hooks = [...op.global('collections', 'OrderedDict'), op.emptyTuple, op.reduce];
  const state = [op.emptyDict, ...op.str('note'), ...op.str('kept by torch, ignored here'), op.setitem];
  const base = (key: string) => tensorV2(storageRef('FloatStorage', key, 2), 0, [2], [1]);
  const withState = [...op.global('torch._utils', '_rebuild_parameter_with_state'), op.mark, ...base('0'), op.true, ...hooks, ...state, op.tuple, op.reduce];
  const fromType = (type: readonly [string, string], key: string) => [
    ...op.global('torch._utils', '_rebuild_from_type_v2'),
    op.mark, ...op.global('torch._utils', '_rebuild_tensor_v2'), ...op.global(...type),
    op.mark, ...storageRef('FloatStorage', key, 2), ...op.int(0), ...op.int1(2), op.tuple1, ...op.int1(1), op.tuple1, op.false, ...hooks, op.tuple,
    ...state, op.tuple, op.reduce,
  ];
  const file = write('state.pt', archive(
    stateDictPickle([
      ['param', withState],
      ['tensor', fromType(['torch', 'Tensor'], '1')],
      ['subclass', fromType(['torch.nn.parameter', 'Parameter'], '2')],
    ]),
    [['archive/data/0', floats([1, 2])], ['archive/data/1', floats([3, 4])], ['archive/data/2', floats([5, 6])]],
  ));
  await withCheckpoint(file, async (checkpoint) => {
    assert.deepEqual([...(await checkpoint.readFloat32('param'))], [1, 2]);
    assert.deepEqual([...(await checkpoint.readFloat32('tensor'))], [3, 4]);
    assert.deepEqual([...(await checkpoint.readFloat32('subclass'))], [5, 6]);
  });
});

test('a wrapper with several sets of weights reads the most likely one and says which others it left', async () => {
  const t = (key: string) => tensorV2(storageRef('FloatStorage', key, 1), 0, [1], [1]);
  const pkl = pickle(
    op.proto(2), op.emptyDict, op.mark,
    ...op.str('ema'), op.emptyDict, op.mark, ...op.str('w'), ...t('0'), op.setitems,
    ...op.str('model'), op.emptyDict, op.mark, ...op.str('w'), ...t('1'), op.setitems,
    ...op.str('lr'), ...op.float(0.5),
    op.setitems, op.stop,
  );
  const file = write('two.pt', archive(pkl, [['archive/data/0', floats([1])], ['archive/data/1', floats([2])]]));
  await withCheckpoint(file, async (checkpoint) => {
    assert.deepEqual([...(await checkpoint.readFloat32('w'))], [2]);
    assert.equal(checkpoint.metadata.lr, '0.5');
    assert.deepEqual(checkpoint.notes, [
      "the weights were read from the state_dict under 'model'",
      "the entry 'ema' next to 'model' also holds tensors (optimizer state, other weights); they were not read",
    ]);
  });
});

test('a single tensor, a state_dict containing itself, and non-tensor entries', async () => {
  const single = write('single.pt', archive(pickle(op.proto(2), ...tensorV2(storageRef('FloatStorage', '0', 2), 0, [2], [1]), op.stop), [['archive/data/0', floats([1, 2])]]));
  await withCheckpoint(single, async (checkpoint) => {
    assert.deepEqual(checkpoint.tensors.map((t) => t.name), ['tensor']);
    assert.deepEqual(checkpoint.notes, ["the file holds a single tensor, listed as 'tensor'"]);
  });

  const cyclic = pickle(
    op.proto(2), op.emptyDict, ...op.put(0), op.mark,
    ...op.str('w'), ...tensorV2(storageRef('FloatStorage', '0', 1), 0, [1], [1]),
    ...op.str('me'), ...op.get(0),
    ...op.str('step'), ...op.int1(7),
    op.setitems, op.stop,
  );
  await withCheckpoint(write('cyclic.pt', archive(cyclic, [['archive/data/0', floats([9])]])), async (checkpoint) => {
    assert.deepEqual(checkpoint.tensors.map((t) => t.name), ['w']);
    assert.deepEqual(checkpoint.notes, ["skipped 2 entries of the state_dict that are not a tensor: 'me', 'step'"]);
  });

  // No state_dict and no wrapper: the walk meets the dict again through 'me' and must stop there.
  const nestedCycle = pickle(
    op.proto(2), op.emptyDict, ...op.put(0), op.mark,
    ...op.str('me'), ...op.get(0),
    ...op.str('sub'), op.emptyList, ...tensorV2(storageRef('FloatStorage', '0', 1), 0, [1], [1]), op.append,
    op.setitems, op.stop,
  );
  await withCheckpoint(write('nested-cycle.pt', archive(nestedCycle, [['archive/data/0', floats([9])]])), async (checkpoint) => {
    assert.deepEqual(checkpoint.tensors.map((t) => t.name), ['sub.0']);
  });

  const empty = write('empty-dict.pt', archive(pickle(op.proto(2), op.emptyDict, op.stop)));
  await withCheckpoint(empty, async (checkpoint) => {
    assert.equal(checkpoint.tensors.length, 0);
    assert.deepEqual(checkpoint.notes, ['the file holds no tensors']);
  });
});

test('hostile archives get one clear error naming the problem', async () => {
  const w = (storage: number[], offset = 0, size = [4], stride = [1]) => stateDictPickle([['w', tensorV2(storage, offset, size, stride)]]);
  const fourFloats = storageRef('FloatStorage', '0', 4);

  await rejects(write('plain.pt', zipBytes([['notes.txt', 'hello']])), /^plain\.pt: is a zip archive without a data\.pkl member, so it is not a PyTorch checkpoint \(its members: 'notes\.txt'\)$/);
  await rejects(write('arrays.pt', zipBytes([['a.npy', 'x']])), /is a zip archive of \.npy arrays \(a NumPy \.npz file\)/);
  await rejects(write('nostorage.pt', archive(w(fourFloats))), /tensor 'w' refers to storage '0', but the archive has no member 'archive\/data\/0'/);
  await rejects(
    write('short.pt', archive(w(fourFloats), [['archive/data/0', floats([1, 2])]])),
    /^short\.pt: storage '0' holds 8 bytes, but the pickle says 4 elements of 4 bytes \(16\); the file is truncated or corrupt$/,
  );
  // Found by the fuzzer: a view of the storage's first half read a storage cut in half.
  await rejects(write('half.pt', archive(w(fourFloats, 0, [2], [1]), [['archive/data/0', floats([1, 2])]])), /storage '0' holds 8 bytes, but the pickle says 4 elements/);
  // Found by the fuzzer: 4 bytes expanded by a zero stride to 256 MiB, 2^31 elements threw a RangeError.
  const oneFloat = storageRef('FloatStorage', '0', 1);
  await rejects(
    write('expanded.pt', archive(w(oneFloat, 0, [2 ** 26], [0]), [['archive/data/0', floats([5])]])),
    /^expanded\.pt: tensor 'w' \(shape \[67108864\], strides \[0\]\) repeats 4 bytes of its storage as 268435456 bytes, more than its data holds \(4\); such an expanded view is read only up to 16777216 bytes$/,
  );
  await rejects(
    write('offset.pt', archive(w(fourFloats, 3, [2, 2], [2, 1]), [['archive/data/0', floats([1, 2, 3, 4])]])),
    /tensor 'w' \(shape \[2, 2\], F32\) needs bytes 12\.\.28 but its data holds only 16/,
  );
  const pkl = w(fourFloats);
  await rejects(write('truncated.pt', archive(pkl.subarray(0, pkl.length - 20))), /archive\/data\.pkl, byte \d+: .*(truncated|ends without a STOP)/);
  await rejects(write('order.pt', archive(w(fourFloats), [['archive/byteorder', 'middle']])), /member 'archive\/byteorder' says 'middle'; it should say 'little' or 'big'/);
  await rejects(write('notes.pt', 'just some text\n'), /^notes\.pt: is neither a zip archive \(the format torch\.save writes since PyTorch 1\.6\) nor a pickle/);
  await rejects(write('empty.pt', ''), /^empty\.pt: is empty$/);
  await rejects(write('bare.pt', pickle(op.proto(2), op.emptyDict, op.stop)), /is a bare pickle, not the zip archive torch\.save writes since PyTorch 1\.6/);
  await rejects(write('pid.pt', archive(pickle(op.proto(2), ...op.str('x'), op.binpersid, op.stop))), /has a persistent id that is not a storage reference/);
  await rejects(write('escape.pt', archive(w(storageRef('FloatStorage', '../../etc/passwd', 4)))), /a storage reference has the key '\.\.\/\.\.\/etc\/passwd', which is not a plain member name/);
  await rejects(write('notype.pt', archive(w([
    op.mark, ...op.str('storage'), ...op.global('torch', 'float32'), ...op.str('0'), ...op.str('cpu'), ...op.int(4), op.tuple, op.binpersid,
  ]))), /a storage reference names global 'torch\.float32' as its type, which is not a torch storage class/);
  await rejects(write('stride.pt', archive(w(fourFloats, 0, [2, 2], [1]))), /_rebuild_tensor_v2 has 1 strides for 2 dimensions/);
  await rejects(write('negative.pt', archive(w(fourFloats, -1))), /_rebuild_tensor_v2 expects the storage offset as a non-negative integer, found int -1/);
  await rejects(write('quantized-storage.pt', archive(w(storageRef('QInt8Storage', '0', 4)))), /refuses to load global 'torch\.QInt8Storage': quantized tensors are not supported/);

  // Nesting deeper than any checkpoint: 200 lists, one inside the next, around a tensor.
  const deep = pickle(op.proto(2), ...Array(200).fill(op.emptyList), ...tensorV2(fourFloats, 0, [4], [1]), ...Array(200).fill(op.append), op.stop);
  await rejects(write('deep.pt', archive(deep, [['archive/data/0', floats([1, 2, 3, 4])]])), /nests containers more than 100 levels deep/);

  const marker = join(tempDir(), 'pwned');
  const evil = stateDictPickle([['w', [...op.global('os', 'system'), ...op.str(`touch ${marker}`), op.tuple1, op.reduce]]]);
  await rejects(write('evil.pt', archive(evil)), /^evil\.pt: refuses to load global 'os\.system': Merge Lens never executes code from a checkpoint; only tensors and plain containers are allowed$/);
  assert.equal(existsSync(marker), false);
});

test('an expanded view (a zero stride) of a small storage reads as its element repeated', async () => {
  const pkl = stateDictPickle([['w', tensorV2(storageRef('FloatStorage', '0', 2), 1, [3, 1000], [0, 0])]]);
  const checkpoint = await openPytorch(write('expand_small.pt', archive(pkl, [['archive/data/0', floats([4, 5])]])));
  try {
    const { data } = await checkpoint.read('w');
    assert.equal(data.length, 3000);
    assert.ok((data as Float32Array).every((v) => v === 5));
  } finally {
    await checkpoint.close();
  }
});
