import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../../src/engine/backend/tfBackend';
import { dimS, layerDimension, participationRatio } from '../../../src/engine/metrics/dimS';
import { applyPermutation } from '../../../src/engine/model/applyPermutation';
import { mlpNetwork } from '../../../src/engine/model/mlpNetwork';
import { networkChannelSpaces } from '../../../src/engine/model/networkSpaces';
import type { Params } from '../../../src/engine/model/params';
import { derivePermutationSpec } from '../../../src/engine/model/permutationSpec';
import { mlpArchitecture, randomParams, seededRandom, shuffled } from '../model/mlpTestModels';

const close = (actual: number, expected: number, tolerance = 1e-5) =>
  assert.ok(Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)), `${actual} vs ${expected}`);

test('isotropic rows have Dim(S) = d (more units than dimensions: the d×d Gram)', async () => {
  await initBackend();
  const d = 5;
  // ±e_k for every axis: covariance ∝ I.
  const rows = Float32Array.from({ length: 2 * d * d }, (_, k) => {
    const row = Math.floor(k / d);
    return k % d === row % d ? (row < d ? 1 : -1) : 0;
  });
  close(await participationRatio(rows, 2 * d, d), d);
});

test('rank-one rows have Dim(S) = 1, and unequal variances give tr² / Σλ²', async () => {
  await initBackend();
  const v = [0.3, -1.2, 2, 0.5, 4, -0.7, 1.1];
  const scales = [1, -2, 3.5, 0.25];
  const rankOne = Float32Array.from(scales.flatMap((s) => v.map((x) => s * x + 1)));
  close(await participationRatio(rankOne, scales.length, v.length), 1);
  // ±e_0 and ±√2·e_1: variances 1/2 and 1, so Dim = 1.5² / (0.25 + 1) = 1.8.
  const twoAxes = Float32Array.of(1, 0, -1, 0, 0, Math.SQRT2, 0, -Math.SQRT2);
  close(await participationRatio(twoAxes, 4, 2), 1.8);
});

test('fewer units than dimensions: n one-hot rows span a regular simplex, Dim(S) = n − 1 (the n×n Gram)', async () => {
  await initBackend();
  const n = 4;
  const d = 10;
  const rows = Float32Array.from({ length: n * d }, (_, k) => (k % d === Math.floor(k / d) ? 1 : 0));
  close(await participationRatio(rows, n, d), n - 1);
});

test('identical rows give 0', async () => {
  await initBackend();
  assert.equal(await participationRatio(Float32Array.of(1, 2, 1, 2, 1, 2), 3, 2), 0);
});

test('the bias is one more coordinate of each unit', async () => {
  await initBackend();
  // Weights ±1 along one axis, biases ±1 on the other units: with the bias, two equal variances.
  const params: Params = new Map([
    ['fc.weight', { shape: [4, 1], data: Float32Array.of(1, -1, 0, 0) }],
    ['fc.bias', { shape: [4], data: Float32Array.of(0, 0, 1, -1) }],
  ]);
  close(await layerDimension(params, { name: 'fc', weight: 'fc.weight', bias: 'fc.bias' }), 2);
  close(await layerDimension(params, { name: 'fc', weight: 'fc.weight', bias: null }), 1);
});

test('Dim(S) is unchanged by permuting units and inputs, for A and B', async () => {
  await initBackend();
  const architecture = mlpArchitecture([9, 12, 7, 3], 'relu');
  const spec = derivePermutationSpec(networkChannelSpaces(mlpNetwork(architecture)));
  const a = randomParams(architecture, 61);
  const random = seededRandom(62);
  const b = applyPermutation(a, spec, spec.groups.map((g) => shuffled(g.size, random)));
  const dims = await dimS(a, b, architecture.layers);
  assert.deepEqual(dims.map((d) => d.layer), ['fc1', 'fc2', 'fc3']);
  for (const d of dims) {
    close(d.a, d.b);
    assert.ok(d.a > 1 && d.a < 12, `${d.layer}: ${d.a}`);
  }
});
