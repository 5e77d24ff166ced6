import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkComparisonMemory, estimateComparisonMemory, networkParameters } from '../../../src/engine/compare/comparisonMemory';
import { automaticMemoryMb, memoryLimitMb, MIN_MEMORY_MB } from '../../../src/engine/compare/memoryLimit';
import { InputError } from '../../../src/engine/io/inputError';
import { INPUT, type Network } from '../../../src/engine/model/network';

const MIB = 2 ** 20;

/** A 4-3-2 MLP: fc1 (4→3) with bias, ReLU, fc2 (3→2) with bias. */
const mlp: Network = {
  kind: 'mlp',
  input: [4],
  nodes: [
    { op: 'linear', id: 'fc1', input: INPUT, weight: 'fc1.weight', bias: 'fc1.bias', inFeatures: 4, outFeatures: 3 },
    { op: 'activation', id: 'fc1.relu', input: 0, fn: 'relu' },
    { op: 'linear', id: 'fc2', input: 1, weight: 'fc2.weight', bias: 'fc2.bias', inFeatures: 3, outFeatures: 2 },
  ],
};
const shapes: Record<string, number[]> = { 'fc1.weight': [3, 4], 'fc1.bias': [3], 'fc2.weight': [2, 3], 'fc2.bias': [2] };

test('the memory estimate of a 4-3-2 MLP, by hand', () => {
  const parameters = networkParameters(mlp, (name) => shapes[name]!);
  assert.equal(parameters, 12 + 3 + 6 + 2);
  const estimate = estimateComparisonMemory({
    network: mlp,
    parameters,
    alignments: 2,
    data: { evaluation: 10, separateFit: 0, normalized: false, fitSamples: 10, evaluationUsed: 10 },
    helpers: 1,
  });
  // P = 23, D = 4, V = 4 + 3 + 3 + 2 = 12 values per sample, a batch of 10 samples, one group of 3 units.
  const runtime = 64 * MIB;
  const expected = {
    parameters: 4 * 23 * (2 + 2 + 3), // A, B, two π(B), and A, π(B), an interpolated network on the backend
    data: 4 * 4 * 10,
    activations: 4 * 3 * (10 * 12),
    matrices: 8 * (3 * 3 ** 2 + (4 + 1) ** 2 + (3 + 1) ** 2),
    helpers: 4 * 23 * 5 + 4 * 4 * (10 + 10) + 4 * 3 * (10 * 12) + runtime,
  };
  assert.deepEqual(estimate.parts, expected);
  assert.equal(estimate.bytes, runtime + 644 + 160 + 1440 + 544 + 2220 + runtime);
});

test('weights only: no data, activations, covariance or helpers', () => {
  const estimate = estimateComparisonMemory({ network: mlp, parameters: 23, alignments: 1, data: null, helpers: 0 });
  assert.deepEqual(estimate.parts, { parameters: 4 * 23 * 6, data: 0, activations: 0, matrices: 8 * 27, helpers: 0 });
});

test('a comparison past the limit is refused in one line naming what it needs, the limit and what to do', () => {
  // Two 4096-wide hidden layers of a 784-4096-4096-10 MLP: 20.1 M parameters.
  const wide: Network = {
    kind: 'mlp',
    input: [784],
    nodes: [
      { op: 'linear', id: 'fc1', input: INPUT, weight: 'w1', bias: null, inFeatures: 784, outFeatures: 4096 },
      { op: 'activation', id: 'a1', input: 0, fn: 'relu' },
      { op: 'linear', id: 'fc2', input: 1, weight: 'w2', bias: null, inFeatures: 4096, outFeatures: 4096 },
      { op: 'activation', id: 'a2', input: 2, fn: 'relu' },
      { op: 'linear', id: 'fc3', input: 3, weight: 'w3', bias: null, inFeatures: 4096, outFeatures: 10 },
    ],
  };
  const parameters = 784 * 4096 + 4096 * 4096 + 4096 * 10;
  const estimate = estimateComparisonMemory({ network: wide, parameters, alignments: 1, data: null, helpers: 0 });
  // 4·P·6 = 458.4 MiB of parameters, 8·3·2·4096² = 768 MiB of matrices and 64 MiB of runtime: 1,290.4 MiB.
  assert.equal(estimate.bytes, 64 * MIB + 4 * parameters * 6 + 8 * 3 * 2 * 4096 ** 2);
  assert.throws(
    () => checkComparisonMemory(estimate, { mb: 256, raise: 'raise mergeLens.workerMemoryMb' }, 'a.safetensors with b.safetensors'),
    (error: unknown) =>
      error instanceof InputError &&
      error.message ===
        'comparing a.safetensors with b.safetensors needs about 1,291 MB (768 MB of it unit-by-unit matrices) but the memory limit is 256 MB; use fewer samples or threads, or raise mergeLens.workerMemoryMb',
  );
  assert.throws(() => checkComparisonMemory(estimate, { mb: 1024, raise: null }, 'a with b'), /limit is 1,024 MB; use fewer samples or threads$/);
  checkComparisonMemory(estimate, { mb: 1291, raise: null }, 'a with b');
});

test('the automatic limit is half the machine, within 512 MB and 16 GB; a set one at least the minimum', () => {
  assert.equal(automaticMemoryMb(8 * 1024 * MIB), 4096);
  assert.equal(automaticMemoryMb(512 * MIB), 512);
  assert.equal(automaticMemoryMb(256 * 1024 * MIB), 16384);
  assert.equal(memoryLimitMb(0), automaticMemoryMb());
  assert.equal(memoryLimitMb(10), MIN_MEMORY_MB);
  assert.equal(memoryLimitMb(3000), 3000);
});
