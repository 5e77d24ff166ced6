import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSafetensors, type WritableTensor } from '../../../src/engine/export/writeSafetensors';
import { WriteError } from '../../../src/engine/export/writeError';
import { openSafetensors } from '../../../src/engine/formats/safetensors/openSafetensors';
import type { Params } from '../../../src/engine/model/params';
import { fixture, tempDir } from '../../helpers/paths';

function ramp(n: number, scale: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => (i - n / 2) * scale + Math.sin(i));
}

test('round trip: every value of every tensor, dtypes, shapes and metadata come back through openSafetensors', async () => {
  const dir = tempDir();
  const file = join(dir, 'model.safetensors');
  const tensors: WritableTensor[] = [
    { name: 'layers.1.weight', dtype: 'F32', shape: [10, 7], data: ramp(70, 0.01) },
    { name: 'layers.0.weight', dtype: 'F32', shape: [7, 3], data: ramp(21, -0.3) },
    { name: 'layers.0.bias', dtype: 'F32', shape: [7], data: Float32Array.of(NaN, Infinity, -0, 1e-45, 3.4e38, -1, 0.5) },
    { name: 'labels', dtype: 'I32', shape: [5], data: Int32Array.of(0, -1, 2147483647, -2147483648, 9) },
    { name: 'ids', dtype: 'I64', shape: [3], data: BigInt64Array.of(1n, -(2n ** 62n), 2n ** 53n + 1n) },
    { name: 'scalar', dtype: 'F32', shape: [], data: Float32Array.of(2.5) },
    { name: 'empty', dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
    { name: 'Ünïcode name', dtype: 'F32', shape: [1], data: Float32Array.of(7) },
  ];
  await writeSafetensors(file, tensors, { metadata: { format: 'pt', note: 'quotes " and \\ survive' } });

  const checkpoint = await openSafetensors(file);
  try {
    assert.deepEqual(checkpoint.metadata, { format: 'pt', note: 'quotes " and \\ survive' });
    assert.deepEqual(checkpoint.tensors.map((t) => t.name).sort(), tensors.map((t) => t.name).sort());
    for (const t of tensors) {
      const back = await checkpoint.read(t.name);
      assert.equal(back.dtype, t.dtype, t.name);
      assert.deepEqual(back.shape, t.shape, t.name);
      // Object.is per element: NaN, -0 and the extremes must come back bit for bit.
      assert.equal(back.data.length, t.data.length, t.name);
      for (let i = 0; i < t.data.length; i++) assert.ok(Object.is(back.data[i], t.data[i]), `${t.name}[${i}]`);
    }
  } finally {
    await checkpoint.close();
  }
});

test('layout: the header is padded with spaces to 8 bytes and tensors follow in the reference order (I64, F32, I32; then by name)', async () => {
  const file = join(tempDir(), 'order.safetensors');
  await writeSafetensors(file, [
    { name: 'b', dtype: 'I32', shape: [1], data: Int32Array.of(1) },
    { name: 'z', dtype: 'F32', shape: [1], data: Float32Array.of(1) },
    { name: 'a', dtype: 'F32', shape: [2], data: Float32Array.of(1, 2) },
    { name: 'c', dtype: 'I64', shape: [1], data: BigInt64Array.of(1n) },
  ]);
  const bytes = readFileSync(file);
  const n = Number(bytes.readBigUInt64LE(0));
  assert.equal(n % 8, 0);
  const text = bytes.subarray(8, 8 + n).toString('utf8');
  assert.match(text, /^\{.*\} *$/);
  assert.equal(
    text.trimEnd(),
    '{"c":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},' +
      '"z":{"dtype":"F32","shape":[1],"data_offsets":[16,20]},"b":{"dtype":"I32","shape":[1],"data_offsets":[20,24]}}',
  );
  assert.equal(bytes.length, 8 + n + 24);
});

test('byte for byte the same as the fixture shard written in the reference layout by make_fixtures.py', async () => {
  const shard = fixture('safetensors', 'model-00001-of-00002.safetensors');
  const source = await openSafetensors(shard);
  const params = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  try {
    // Given in reverse file order: the writer must sort them itself.
    for (const info of [...source.tensors].reverse()) params.set(info.name, { shape: info.shape, data: await source.readFloat32(info.name) });
  } finally {
    await source.close();
  }
  const file = join(tempDir(), 'shard.safetensors');
  await writeSafetensors(file, params as Params, { metadata: { format: 'pt' } });
  assert.deepEqual(readFileSync(file), readFileSync(shard));
});

test('an existing file is refused unless overwrite is asked for, and is then replaced', async () => {
  const dir = tempDir();
  const file = join(dir, 'out.safetensors');
  writeFileSync(file, 'precious');
  const tensors: WritableTensor[] = [{ name: 'w', dtype: 'F32', shape: [2], data: Float32Array.of(1, 2) }];
  await assert.rejects(writeSafetensors(file, tensors), (e: unknown) => e instanceof WriteError && /out\.safetensors: already exists/.test(e.message));
  assert.equal(readFileSync(file, 'utf8'), 'precious');
  await writeSafetensors(file, tensors, { overwrite: true });
  const checkpoint = await openSafetensors(file);
  try {
    assert.deepEqual([...(await checkpoint.readFloat32('w'))], [1, 2]);
  } finally {
    await checkpoint.close();
  }
  assert.deepEqual(readdirSync(dir), ['out.safetensors']);
});

test('a missing target folder is a WriteError and leaves nothing behind', async () => {
  const dir = tempDir();
  const file = join(dir, 'missing', 'out.safetensors');
  await assert.rejects(
    writeSafetensors(file, [{ name: 'w', dtype: 'F32', shape: [1], data: Float32Array.of(1) }]),
    (e: unknown) => e instanceof WriteError && /out\.safetensors: cannot be written: its folder does not exist/.test(e.message),
  );
  assert.deepEqual(readdirSync(dir), []);
});

test('a failure in the middle of the data removes the temporary file and keeps the old output intact', async () => {
  const dir = tempDir();
  const file = join(dir, 'out.safetensors');
  writeFileSync(file, 'old contents');
  const failing = new Float32Array(1000);
  let reads = 0;
  // The header is already on disk when the writer reaches this tensor's bytes: a mid-write failure.
  Object.defineProperty(failing, 'buffer', {
    get() {
      reads += 1;
      throw Object.assign(new Error('simulated I/O error'), { code: 'EIO' });
    },
  });
  await assert.rejects(
    writeSafetensors(
      file,
      [
        { name: 'a', dtype: 'F32', shape: [1000], data: ramp(1000, 1) },
        { name: 'b', dtype: 'F32', shape: [1000], data: failing },
      ],
      { overwrite: true },
    ),
    (e: unknown) => e instanceof WriteError && /out\.safetensors: could not be written: simulated I\/O error/.test(e.message),
  );
  assert.equal(reads, 1);
  assert.deepEqual(readdirSync(dir), ['out.safetensors']);
  assert.equal(readFileSync(file, 'utf8'), 'old contents');
});

test('inconsistent tensors are refused before any file is made', async () => {
  const dir = tempDir();
  const file = join(dir, 'bad.safetensors');
  const cases: [WritableTensor[], RegExp][] = [
    [[{ name: 'w', dtype: 'F32', shape: [2, 3], data: new Float32Array(5) }], /tensor 'w' has shape \[2, 3\] \(6 values\) but 5 values/],
    [[{ name: 'w', dtype: 'F32', shape: [-1], data: new Float32Array(1) }], /tensor 'w' has an invalid shape \[-1\]/],
    [[{ name: 'w', dtype: 'F32', shape: [1], data: new Float32Array(1) }, { name: 'w', dtype: 'I32', shape: [1], data: new Int32Array(1) }], /tensor 'w' is given twice/],
    [[{ name: '__metadata__', dtype: 'F32', shape: [1], data: new Float32Array(1) }], /cannot be named '__metadata__'/],
  ];
  for (const [tensors, message] of cases) {
    await assert.rejects(writeSafetensors(file, tensors), (e: unknown) => e instanceof WriteError && message.test(e.message));
  }
  assert.equal(existsSync(file), false);
  assert.deepEqual(readdirSync(dir), []);
});
