import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { compareCheckpoints } from '../../../src/engine/compare/compareCheckpoints';
import type { CompareChoices } from '../../../src/engine/compare/resolveRequest';
import { writeSafetensors } from '../../../src/engine/export/writeSafetensors';
import { FormatError } from '../../../src/engine/io/formatError';
import { fixture, tempDir } from '../../helpers/paths';

const A = fixture('compare', 'a.pt');
const EVAL = fixture('compare', 'eval.npz');

function options(overrides: Partial<CompareChoices>): CompareChoices {
  return { a: A, b: fixture('compare', 'b.pt'), data: EVAL, methods: ['naive'], alphas: 3, activation: 'relu', backend: 'auto', seed: 0, ...overrides };
}

async function rejectsWith(overrides: Partial<CompareChoices>, pattern: RegExp): Promise<void> {
  await assert.rejects(compareCheckpoints(options(overrides)), (error: unknown) => {
    assert.ok(error instanceof FormatError, String(error));
    assert.match(error.message, pattern);
    return true;
  });
}

test('mismatched architectures name the tensor that differs', async () => {
  await rejectsWith({ b: fixture('compare', 'tanh_b.pt') }, /tensor '0\.weight' is \[32, 784\].*'0\.weight' in A is \[64, 784\]/);
  await rejectsWith({ b: fixture('pytorch', 'lightning.ckpt') }, /linear layers but .* has 3/);
});

test('evaluation data that does not fit the first layer, and labels beyond the outputs', async () => {
  await rejectsWith({ data: fixture('datasets', 'cifar', 'test_batch.bin') }, /evaluation inputs are 3×32×32 \(3072 values\) but the network's first layer takes 784/);
  const dir = tempDir();
  const data = join(dir, 'wide-labels.safetensors');
  const count = 4;
  await writeSafetensors(data, [
    { name: 'x', dtype: 'F32', shape: [count, 784], data: new Float32Array(count * 784) },
    { name: 'y', dtype: 'I64', shape: [count], data: BigInt64Array.of(0n, 3n, 12n, 1n) },
  ]);
  await rejectsWith({ data }, /labels go up to 12 but the network has 10 outputs/);
});

test('NaN weights are refused with the tensor named; nothing is written', async () => {
  const dir = tempDir();
  const b = join(dir, 'nan.safetensors');
  const weight = new Float32Array(10 * 784);
  weight[5] = NaN;
  await writeSafetensors(b, [
    { name: 'fc.weight', dtype: 'F32', shape: [10, 784], data: weight },
    { name: 'fc.bias', dtype: 'F32', shape: [10], data: new Float32Array(10) },
  ]);
  await rejectsWith({ a: b, b }, /tensor 'fc\.weight' holds 1 NaN or infinite value/);
  assert.deepEqual(readdirSync(dir), ['nan.safetensors']);
});

test('a checkpoint that is not an MLP says what it found', async () => {
  await rejectsWith({ b: fixture('pytorch', 'dtypes.pt') }, /not a plain multi-layer perceptron|no 2-D weight|do not form a chain/);
});
