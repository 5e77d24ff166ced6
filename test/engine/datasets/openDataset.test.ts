import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeDataset, openDataset } from '../../../src/engine/datasets/openDataset';
import { FormatError } from '../../../src/engine/io/formatError';
import { fixture, tempDir } from '../../helpers/paths';
import { assertMatchesExpected } from './expectedValues';

test('every fixture opens through openDataset, by its name', async () => {
  const cases: Array<[string[], string, string]> = [
    [['images_xy.npz'], 'images_xy.npz', '24 examples, input 12×12, 10 classes (npz)'],
    [['splits.npz'], 'splits.npz', '20 examples, input 16, 4 classes (npz)'],
    [['onehot.npz'], 'onehot.npz', '20 examples, input 6, 5 classes (npz)'],
    [['pair', 'x_test.npy'], 'pair/x_test.npy', '25 examples, input 3×4×4, 7 classes (npy)'],
    [['idx', 't10k-images-idx3-ubyte'], 'idx/t10k', '20 examples, input 1×28×28, 10 classes (mnist-idx)'],
    [['idx', 'train-labels-idx1-ubyte.gz'], 'idx/train', '30 examples, input 1×28×28, 10 classes (mnist-idx)'],
    [['cifar', 'test_batch.bin'], 'cifar/test_batch.bin', '12 examples, input 3×32×32, 10 classes (cifar10)'],
  ];
  for (const [parts, key, line] of cases) {
    const d = await openDataset(fixture('datasets', ...parts));
    assertMatchesExpected(d, key);
    assert.equal(describeDataset(d), line);
  }
});

test('a file whose name says nothing is recognised by its first bytes', async () => {
  const dir = tempDir();
  copyFileSync(fixture('datasets', 'images_xy.npz'), join(dir, 'mnist-subset.data'));
  assertMatchesExpected(await openDataset(join(dir, 'mnist-subset.data')), 'images_xy.npz');

  const json = '{"x":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]},"y":{"dtype":"U8","shape":[1],"data_offsets":[4,5]}}';
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(join(dir, 'one.st'), Buffer.concat([prefix, Buffer.from(json), Buffer.from(Float32Array.of(0.25).buffer), Uint8Array.of(0)]));
  const d = await openDataset(join(dir, 'one.st'));
  assert.equal(describeDataset(d), '1 example, input 1, 1 class (safetensors)');
  assert.deepEqual(Array.from(d.inputs), [0.25]);
});

test('a safetensors file whose header length is 128 mod 256 (its first byte 0x80, like a pickle) opens as safetensors', async () => {
  const dir = tempDir();
  const json = '{"x":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]},"y":{"dtype":"U8","shape":[1],"data_offsets":[4,5]}}';
  for (const length of [128, 384]) {
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(length));
    const file = join(dir, `eval-${length}.data`);
    writeFileSync(file, Buffer.concat([prefix, Buffer.from(json.padEnd(length, ' ')), Buffer.from(Float32Array.of(0.5).buffer), Uint8Array.of(0)]));
    const d = await openDataset(file);
    assert.equal(describeDataset(d), '1 example, input 1, 1 class (safetensors)');
    assert.deepEqual(Array.from(d.inputs), [0.5]);
  }
});

test('hostile: an unknown format, a missing file', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'notes.txt'), 'hello, not a dataset');
  await assert.rejects(openDataset(join(dir, 'notes.txt')), (error: unknown) => {
    assert.ok(error instanceof FormatError);
    assert.match(error.message, /^notes\.txt: is not a dataset format Merge Lens reads \(NumPy \.npz\/\.npy, safetensors, MNIST IDX/);
    return true;
  });
  await assert.rejects(openDataset(join(dir, 'gone.bin')), (error: unknown) => error instanceof FormatError && /does not exist \(ENOENT\)/.test(error.message));
});
