import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { compareCheckpoints } from '../../../src/engine/compare/compareCheckpoints';
import { estimateComparisonMemory, helpersWithinMemory, networkParameters } from '../../../src/engine/compare/comparisonMemory';
import { automaticMemoryMb, memoryLimitMb, MIN_MEMORY_MB } from '../../../src/engine/compare/memoryLimit';
import { InputError } from '../../../src/engine/io/inputError';
import { INPUT, type Network } from '../../../src/engine/model/network';
import { valueShapes } from '../../../src/engine/model/networkShapes';
import { fixture, tempDir } from '../../helpers/paths';
import { readFixtureNetwork } from '../../helpers/readFixtureNetwork';
import { writeSparseSafetensors } from '../../helpers/writeSafetensors';

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
    runtime,
    parameters: 4 * 23 * (2 + 2 + 3), // A, B, two π(B), and A, π(B), an interpolated network on the backend
    data: (4 * 4 + 4) * 10, // the inputs and a label per sample
    activations: 4 * 4 * (10 * 12),
    matrices: 12 * 3 ** 2 + 16 * 3 ** 2 + 8 * ((4 + 1) ** 2 + (3 + 1) ** 2), // one assignment; correlations and their moments; Σ of each layer's inputs
    helpers: 4 * 23 * 5 + 4 * 4 * (10 + 10) + 4 * 4 * (10 * 12) + runtime,
  };
  assert.deepEqual(estimate.parts, expected);
  assert.equal(estimate.bytes, runtime + 644 + 200 + 1920 + 580 + 2700 + runtime);
});

test('weights only: no data, activations, covariance or helpers', () => {
  const estimate = estimateComparisonMemory({ network: mlp, parameters: 23, alignments: 1, data: null, helpers: 0 });
  assert.deepEqual(estimate.parts, { runtime: 64 * MIB, parameters: 4 * 23 * 6, data: 0, activations: 0, matrices: 12 * 9, helpers: 0 });
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
  // 4·P·6 = 458.4 MiB of parameters, 12·4096² = 192 MiB for one assignment and 64 MiB of runtime: 714.4 MiB.
  assert.equal(estimate.bytes, 64 * MIB + 4 * parameters * 6 + 12 * 4096 ** 2);
  const size = { network: wide, parameters, alignments: 1, data: null, helpers: 0 };
  assert.throws(
    () => helpersWithinMemory(size, { mb: 256, raise: 'raise mergeLens.workerMemoryMb' }, 'a.safetensors with b.safetensors'),
    (error: unknown) =>
      error instanceof InputError &&
      error.message ===
        'comparing a.safetensors with b.safetensors needs about 715 MB (459 MB of it copies of the parameters) but the memory limit is 256 MB; raise mergeLens.workerMemoryMb',
  );
  assert.throws(() => helpersWithinMemory(size, { mb: 512, raise: null }, 'a with b'), /but the memory limit is 512 MB \(half this machine's memory\)$/);
  assert.equal(helpersWithinMemory(size, { mb: 715, raise: null }, 'a with b'), 0);
});

test('the automatic limit is half the machine, within 512 MB and 16 GB; a set one at least the minimum', () => {
  assert.equal(automaticMemoryMb(8 * 1024 * MIB), 4096);
  assert.equal(automaticMemoryMb(512 * MIB), 512);
  assert.equal(automaticMemoryMb(256 * 1024 * MIB), 16384);
  assert.equal(memoryLimitMb(0), automaticMemoryMb());
  assert.equal(memoryLimitMb(10), MIN_MEMORY_MB);
  assert.equal(memoryLimitMb(3000), 3000);
});

test('a comparison that fits but not with every compute helper gets as many helpers as fit', () => {
  const size = { network: mlp, parameters: 23, alignments: 2, data: { evaluation: 10, separateFit: 0, normalized: false, fitSamples: 10, evaluationUsed: 10 }, helpers: 5 };
  // Without helpers: 64 MiB + 644 + 160 + 1,920 + 580 bytes; each helper 64 MiB + 2,700 bytes (the first test's figures).
  // 200 MB holds two: (200 MiB − 64 MiB − 3,304) / (64 MiB + 2,700) = 2.12.
  assert.equal(helpersWithinMemory(size, { mb: 200, raise: null }, 'a with b'), 2);
  assert.equal(helpersWithinMemory(size, { mb: 1000, raise: null }, 'a with b'), 5);
  assert.throws(
    () => helpersWithinMemory(size, { mb: 64, raise: 'raise mergeLens.workerMemoryMb' }, 'a with b'),
    /^InputError: comparing a with b needs about 65 MB \(64 MB of it the runtime\) but the memory limit is 64 MB; use fewer samples, or raise mergeLens\.workerMemoryMb$/,
  );
});

test('a pair whose declared tensors fit their files but whose comparison would not fit is refused from the headers, naming the size', async () => {
  // Two 784-32768-32768-10 MLPs: 1.1 G parameters, 4.4 GB of zeros each in sparse files. Their
  // comparison needs about 41 GB, past the automatic limit on any machine (16 GB at most).
  const dir = tempDir();
  const sizes = [784, 32768, 32768, 10];
  const tensors = sizes.slice(1).map((out, l) => ({ name: `layers.${l}.weight`, dtype: 'F32', shape: [out, sizes[l]!], bytes: 4 * out * sizes[l]! }));
  const [a, b] = ['a', 'b'].map((name) => join(dir, `${name}.safetensors`));
  for (const file of [a, b]) writeSparseSafetensors(file!, tensors);
  await assert.rejects(compareCheckpoints({ a: a!, b: b!, data: null }), (error: unknown) => {
    assert.ok(error instanceof InputError, String(error));
    assert.match(error.message, /^comparing a\.safetensors with b\.safetensors needs about [\d,]+ MB \([\d,]+ MB of it [a-z -]+\) but the memory limit is [\d,]+ MB \(half this machine's memory\)$/);
    const needed = Number(/needs about ([\d,]+) MB/.exec(error.message)![1]!.replace(/,/g, ''));
    // 4·P·(2 + 2 alignments + 3) + 12·32768² + the runtime, P = 1,099,759,616.
    assert.equal(needed, Math.ceil((4 * 1_099_759_616 * 7 + 12 * 32768 ** 2 + 64 * MIB) / MIB));
    return true;
  });
});

test('a transformer: a label per position, and every attention\'s scores among the activations', async () => {
  const { network } = await readFixtureNetwork(fixture('transformers', 'gpt2', 'gpt2_a.pt'), 'relu');
  const [t] = network.input as [number];
  const size = { network, parameters: 1000, alignments: 1, data: { evaluation: 100, separateFit: 0, normalized: false, fitSamples: 10, evaluationUsed: 10 }, helpers: 0 };
  const estimate = estimateComparisonMemory(size);
  // T ids and T targets per sequence, 4 bytes each.
  assert.equal(estimate.parts.data, (4 * t + 4 * t) * 100);
  // Two attentions of 4 heads, each T×T scores per sequence, four sets of a batch of 10.
  const values = valueShapes(network).reduce((sum, shape) => sum + shape.reduce((x, y) => x * y, 1), t);
  assert.equal(estimate.parts.activations, 4 * 4 * 10 * (values + 2 * 4 * t * t));
});
