import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, copyFileSync, ftruncateSync, mkdtempSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { openKeyedDataset, openNpyDataset } from '../../../src/engine/datasets/tensorDatasets';
import type { Dataset } from '../../../src/engine/datasets/dataset';
import { FormatError } from '../../../src/engine/io/formatError';
import { fixture, tempDir } from '../../helpers/paths';
import { buildZip } from '../../helpers/buildZip';
import { assertMatchesExpected } from './expectedValues';

const scratch = tempDir();

function freshDir(): string {
  return mkdtempSync(join(scratch, 'case-'));
}

function bytesOf(array: ArrayBufferView): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

/** The .npy header as NumPy writes it (version 1.0, padded to 64 bytes). */
function npyHeader(descr: string, shape: readonly number[]): Uint8Array {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
  dict += ' '.repeat(63 - ((10 + dict.length) % 64)) + '\n';
  const prefix = Buffer.from([0x93, ...Buffer.from('NUMPY'), 1, 0, dict.length & 0xff, dict.length >> 8]);
  return Buffer.concat([prefix, Buffer.from(dict, 'latin1')]);
}

function npy(descr: string, shape: readonly number[], data: ArrayBufferView): Uint8Array {
  return Buffer.concat([npyHeader(descr, shape), bytesOf(data)]);
}

function npz(arrays: Record<string, Uint8Array>): Uint8Array {
  return buildZip(Object.entries(arrays).map(([name, data]) => ({ name: `${name}.npy`, data }))).bytes;
}

/** A safetensors file written by hand: 8-byte little-endian header length, JSON header, data. */
function safetensors(tensors: Record<string, { dtype: string; shape: number[]; data: ArrayBufferView }>): Uint8Array {
  const header: Record<string, unknown> = {};
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const bytes = bytesOf(t.data);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    parts.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([prefix, Buffer.from(json), ...parts]);
}

function write(name: string, bytes: Uint8Array, dir = freshDir()): string {
  const file = join(dir, name);
  writeFileSync(file, bytes);
  return file;
}

async function rejects(promise: Promise<Dataset>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof FormatError, `expected a FormatError, got ${String(error)}`);
    assert.match(error.message, pattern);
    return true;
  });
}

test('npz with uint8 x and int64 y: scaled by 1/255, labels as NumPy has them', async () => {
  const d = await openKeyedDataset(fixture('datasets', 'images_xy.npz'), 'npz');
  assertMatchesExpected(d, 'images_xy.npz');
  assert.equal(d.format, 'npz');
  assert.ok(d.notes.includes("inputs from 'x', labels from 'y'"));
  assert.ok(d.notes.some((n) => /uint8: scaled to \[0, 1\]/.test(n)));
});

test('compressed npz with test and train splits: the test split is used, and the note says so', async () => {
  const d = await openKeyedDataset(fixture('datasets', 'splits.npz'), 'npz');
  assertMatchesExpected(d, 'splits.npz');
  assert.ok(d.notes.includes("inputs from 'x_test', labels from 'y_test'"));
  assert.ok(d.notes.some((n) => /'x_train'\/'y_train'/.test(n)));
  assert.ok(d.notes.some((n) => /float32: kept as they are/.test(n)));
});

test('one-hot float labels become indices, numClasses is their width', async () => {
  const d = await openKeyedDataset(fixture('datasets', 'onehot.npz'), 'npz');
  assertMatchesExpected(d, 'onehot.npz');
  assert.ok(d.notes.some((n) => /one-hot rows \[20, 5\]/.test(n)));
});

test('a pair of .npy files, opened from either half; float64 inputs become float32', async () => {
  assertMatchesExpected(await openNpyDataset(fixture('datasets', 'pair', 'x_test.npy')), 'pair/x_test.npy');
  const fromLabels = await openNpyDataset(fixture('datasets', 'pair', 'y_test.npy'));
  assertMatchesExpected(fromLabels, 'pair/x_test.npy');
  assert.ok(fromLabels.notes.includes('inputs from x_test.npy, labels from y_test.npy (paired by name)'));
});

test('images.npy pairs with labels.npy, and names match whatever their case', async () => {
  const dir = freshDir();
  copyFileSync(fixture('datasets', 'pair', 'x_test.npy'), join(dir, 'Images.npy'));
  copyFileSync(fixture('datasets', 'pair', 'y_test.npy'), join(dir, 'LABELS.npy'));
  assertMatchesExpected(await openNpyDataset(join(dir, 'Images.npy')), 'pair/x_test.npy');
});

test('safetensors with images/labels: float32 inputs kept, int64 labels read', async () => {
  const file = write('set.safetensors', safetensors({
    images: { dtype: 'F32', shape: [3, 2], data: Float32Array.of(0.5, -1, 2, 3.25, 1e-3, 7) },
    labels: { dtype: 'I64', shape: [3], data: BigInt64Array.of(2n, 0n, 5n) },
    'model.unrelated': { dtype: 'F32', shape: [1], data: Float32Array.of(1) },
  }));
  const d = await openKeyedDataset(file, 'safetensors');
  assert.equal(d.format, 'safetensors');
  assert.deepEqual(d.inputShape, [2]);
  assert.deepEqual(Array.from(d.inputs), [0.5, -1, 2, 3.25, Math.fround(1e-3), 7]);
  assert.deepEqual(Array.from(d.labels), [2, 0, 5]);
  assert.equal(d.numClasses, 6);
});

test('safetensors with data/targets: uint8 inputs scaled, int32 labels; other names and cases pair too', async () => {
  const file = write('set.safetensors', safetensors({
    Data: { dtype: 'U8', shape: [2, 2], data: Uint8Array.of(0, 255, 51, 102) },
    TARGETS: { dtype: 'I32', shape: [2], data: Int32Array.of(1, 0) },
  }));
  const d = await openKeyedDataset(file, 'safetensors');
  assert.deepEqual(Array.from(d.inputs), [0, 1, 0.2, 0.4].map(Math.fround));
  assert.deepEqual(Array.from(d.labels), [1, 0]);
  assert.ok(d.notes.includes("inputs from 'Data', labels from 'TARGETS'"));
});

test('keys with a split as prefix or suffix, and uint16/bool/float16 types', async () => {
  const file = write('k.npz', npz({
    train_features: npy('<f4', [1, 1], Float32Array.of(9)),
    train_labels: npy('<i8', [1], BigInt64Array.of(0n)),
    'features.test': npy('<u2', [2, 1], Uint16Array.of(300, 7)),
    'labels.test': npy('<f2', [2], Uint16Array.of(0x4000, 0x3c00)), // 2.0 and 1.0 as float16
  }));
  const d = await openKeyedDataset(file, 'npz');
  assert.ok(d.notes.includes("inputs from 'features.test', labels from 'labels.test'"));
  assert.deepEqual(Array.from(d.inputs), [300, 7]);
  assert.ok(d.notes.some((n) => /uint16: converted to float32 unscaled/.test(n)));
  assert.deepEqual(Array.from(d.labels), [2, 1]);
});

test('rank-1 inputs are one value per example; channels-last images get a note', async () => {
  let d = await openKeyedDataset(write('r.npz', npz({ x: npy('<f4', [2], Float32Array.of(1, 2)), y: npy('|u1', [2], Uint8Array.of(0, 1)) })), 'npz');
  assert.deepEqual(d.inputShape, [1]);
  assert.ok(d.notes.some((n) => /single value, input shape \[1\]/.test(n)));
  d = await openKeyedDataset(write('c.npz', npz({ x: npy('|u1', [1, 8, 8, 3], new Uint8Array(192)), y: npy('<i4', [1, 1], Int32Array.of(3)) })), 'npz');
  assert.deepEqual(d.inputShape, [8, 8, 3]);
  assert.ok(d.notes.some((n) => /looks channels-last; kept as stored/.test(n)));
  assert.ok(d.notes.some((n) => /shape \[1, 1\]: read as one index per example/.test(n)));
  assert.deepEqual(Array.from(d.labels), [3]);
});

test('hostile: inputs and labels of different lengths', async () => {
  const file = write('m.npz', npz({ x: npy('<f4', [3, 2], new Float32Array(6)), y: npy('<i8', [2], BigInt64Array.of(0n, 1n)) }));
  await rejects(openKeyedDataset(file, 'npz'), /^m\.npz: 3 inputs but 2 labels/);
  const big = write('big.npz', npz({ x: npy('|u1', [3000, 1], new Uint8Array(3000)), y: npy('<i8', [2999], new BigInt64Array(2999)) }));
  await rejects(openKeyedDataset(big, 'npz'), /3 000 inputs but 2 999 labels/);
});

test('hostile: negative, fractional and absurd labels; broken one-hot rows; labels of rank 3', async () => {
  const x = npy('<f4', [3, 1], new Float32Array(3));
  const cases: Array<[Uint8Array, RegExp]> = [
    [npy('<i8', [3], BigInt64Array.of(0n, -1n, 2n)), /labels 'y': the label of example 1 is -1, negative/],
    [npy('<f8', [3], Float64Array.of(0, 1, 1.5)), /example 2 is 1.5, not a whole number/],
    [npy('<f4', [3], Float32Array.of(0, NaN, 1)), /example 1 is NaN, not a whole number/],
    [npy('<i8', [3], BigInt64Array.of(0n, 1n << 40n, 1n)), /example 1 is 1099511627776, not a plausible class index/],
    [npy('<u8', [3], BigUint64Array.of(0n, 1n, 1n << 63n)), /example 2 is 9223372036854775808, not a plausible/],
    [npy('<f4', [3, 3], Float32Array.of(1, 0, 0, 0, 1, 1, 0, 0, 1)), /row 1 is not one-hot \(column 2 holds 1\)/],
    [npy('<f4', [3, 2], Float32Array.of(1, 0, 0, 0, 0, 1)), /row 1 is all zeros, not one-hot/],
    [npy('<f4', [3, 2], Float32Array.of(1, 0, 0.5, 0.5, 0, 1)), /row 1 is not one-hot \(column 0 holds 0.5\)/],
    [npy('<i4', [3, 1, 1], new Int32Array(3)), /have shape \[3, 1, 1\]; expected \[n\] class indices or \[n, k\] one-hot rows/],
    [npy('<i4', [], Int32Array.of(1)), /labels 'y' are a single value/],
  ];
  for (const [y, pattern] of cases) await rejects(openKeyedDataset(write('l.npz', npz({ x, y })), 'npz'), pattern);
});

test('hostile: scalar, empty, valueless and complex inputs', async () => {
  const y1 = npy('<i8', [1], BigInt64Array.of(0n));
  await rejects(openKeyedDataset(write('s.npz', npz({ x: npy('<f4', [], Float32Array.of(1)), y: y1 })), 'npz'), /inputs 'x' are a single value \(rank 0\)/);
  await rejects(openKeyedDataset(write('e.npz', npz({ x: npy('<f4', [0, 4], new Float32Array(0)), y: npy('<i8', [0], new BigInt64Array(0)) })), 'npz'), /inputs 'x' hold no examples \(shape \[0, 4\]\)/);
  await rejects(openKeyedDataset(write('v.npz', npz({ x: npy('<f4', [1, 0], new Float32Array(0)), y: y1 })), 'npz'), /each example holds no values/);
  await rejects(openKeyedDataset(write('z.npz', npz({ x: npy('<c8', [1, 1], new Float32Array(2)), y: y1 })), 'npz'), /inputs 'x' are complex64; real values are expected/);
});

test('hostile: an npz without a recognisable pair lists its keys and the names expected', async () => {
  const file = write('w.npz', npz({ weights: npy('<f4', [1], Float32Array.of(1)), xavier: npy('<f4', [1], Float32Array.of(1)), y_hat: npy('<f4', [1], Float32Array.of(1)) }));
  await rejects(openKeyedDataset(file, 'npz'), /^w\.npz: has no inputs\/labels pair of arrays: it holds 'weights', 'xavier', 'y_hat'; expected x\/y, inputs\/labels, images\/labels, data\/targets, data\/labels, features\/labels/);
});

test('hostile: a lone .npy without its partner, or with a name that says nothing', async () => {
  await rejects(openNpyDataset(write('x_val.npy', npy('<f4', [1, 1], Float32Array.of(1)))), /^x_val\.npy: is taken for the inputs, but no labels file lies beside it \(tried 'y_val\.npy'\)/);
  await rejects(openNpyDataset(write('data.npy', npy('<f4', [1, 1], Float32Array.of(1)))), /tried 'targets\.npy', 'labels\.npy'/);
  await rejects(openNpyDataset(write('labels.npy', npy('<i8', [1], BigInt64Array.of(0n)))), /is taken for the labels, but no inputs file lies beside it \(tried 'inputs\.npy', 'images\.npy', 'data\.npy', 'features\.npy'\)/);
  await rejects(openNpyDataset(write('weights.npy', npy('<f4', [1], Float32Array.of(1)))), /says neither inputs nor labels/);
});

test('hostile: inputs too large for memory are refused from the header, before any read', async () => {
  // 70 000 × 20 000 uint8 (1.4 GB, a sparse file) would be 5.2 GiB as float32.
  const dir = freshDir();
  const file = join(dir, 'x.npy');
  const fd = openSync(file, 'w');
  try {
    const header = npyHeader('|u1', [70_000, 20_000]);
    writeSync(fd, header);
    ftruncateSync(fd, header.length + 70_000 * 20_000);
  } finally {
    closeSync(fd);
  }
  write('y.npy', npy('<i8', [70_000], new BigInt64Array(70_000)), dir);
  await rejects(openNpyDataset(file), /^x\.npy: inputs \(x\.npy\) \(70 000 examples of 20 000 values\) would take 5\.22 GiB as float32, more than the 4\.00 GiB/);
});
