import { test } from 'node:test';
import assert from 'node:assert/strict';
import { datasetKind } from '../../../src/engine/datasets/datasetFiles';

test('datasetKind names the reader for every dataset file name, in any case, and nothing else', () => {
  const cases: [string, ReturnType<typeof datasetKind>][] = [
    ['eval.npz', 'npz'],
    ['data/X_TEST.NPY', 'npy'],
    ['digits.safetensors', 'safetensors'],
    ['t10k-images-idx3-ubyte', 'idx'],
    ['mnist/train-labels-idx1-ubyte.gz', 'idx'],
    ['C:\\cifar\\data_batch_3.bin', 'cifar10'],
    ['test_batch.bin', 'cifar10'],
    ['model.bin', undefined],
    ['readme.md', undefined],
    ['data_batch_x.bin', undefined],
  ];
  for (const [name, kind] of cases) assert.equal(datasetKind(name), kind, name);
});
