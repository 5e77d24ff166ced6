import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchingCosts } from '../../../src/engine/metrics/matchingCosts';
import { identityPermutations } from '../../../src/engine/model/applyPermutation';
import { mlpNetwork } from '../../../src/engine/model/mlpNetwork';
import { networkChannelSpaces } from '../../../src/engine/model/networkSpaces';
import type { Params } from '../../../src/engine/model/params';
import { derivePermutationSpec } from '../../../src/engine/model/permutationSpec';
import { mlpArchitecture, randomParams } from '../model/mlpTestModels';

const architecture = mlpArchitecture([2, 2, 1], 'relu');
const spec = derivePermutationSpec(networkChannelSpaces(mlpNetwork(architecture)));
const t = (shape: number[], values: number[]) => ({ shape, data: Float32Array.from(values) });
const A: Params = new Map([['fc1.weight', t([2, 2], [1, 0, 0, 1])], ['fc1.bias', t([2], [0, 0])], ['fc2.weight', t([1, 2], [1, 2])], ['fc2.bias', t([1], [0])]]);
// A with its two hidden units swapped.
const B: Params = new Map([['fc1.weight', t([2, 2], [0, 1, 1, 0])], ['fc1.bias', t([2], [0, 0])], ['fc2.weight', t([1, 2], [2, 1])], ['fc2.bias', t([1], [0])]]);

test('identical models cost nothing', () => {
  const big = mlpArchitecture([6, 8, 7, 3], 'relu');
  const bigSpec = derivePermutationSpec(networkChannelSpaces(mlpNetwork(big)));
  const params = randomParams(big, 3);
  const costs = matchingCosts(params, params, bigSpec, identityPermutations(bigSpec));
  assert.deepEqual(costs.map((c) => c.layer), ['fc1', 'fc2']);
  for (const layer of costs) {
    assert.equal(layer.costBefore, 0);
    assert.equal(layer.costAfter, 0);
    assert.ok(layer.unitCosts.every((c) => c === 0));
    assert.equal(layer.correlationBefore, null);
    assert.equal(layer.correlationAfter, null);
  }
});

test('hand-computed weight distances before and after the swap', () => {
  const before = matchingCosts(A, B, spec, identityPermutations(spec))[0]!;
  // ‖[[1, −1], [−1, 1]]‖ / ‖I‖ = 2 / √2.
  assert.ok(Math.abs(before.costBefore - Math.SQRT2) < 1e-12);
  assert.equal(before.costAfter, before.costBefore);
  // Unit 0: A [row 1 0, bias 0, next column 1] vs B [0 1, 0, 2]: √3 / √2. Unit 1: A [0 1, 0, 2] vs B [1 0, 0, 1]: √3 / √5.
  assert.ok(Math.abs(before.unitCosts[0]! - Math.sqrt(3 / 2)) < 1e-12);
  assert.ok(Math.abs(before.unitCosts[1]! - Math.sqrt(3 / 5)) < 1e-12);
  assert.deepEqual(before.permutation, [0, 1]);

  const after = matchingCosts(A, B, spec, [Int32Array.of(1, 0)])[0]!;
  assert.ok(Math.abs(after.costBefore - Math.SQRT2) < 1e-12);
  assert.equal(after.costAfter, 0);
  assert.deepEqual(after.unitCosts, [0, 0]);
  assert.deepEqual(after.permutation, [1, 0]);
});

test('mean correlation of matched units before and after', () => {
  // A's units: a ramp and an alternation; B's: the same, swapped, the ramp doubled.
  const r = -1 / Math.sqrt(5);
  const correlations = Float64Array.of(r, 1, 1, r);
  const [layer] = matchingCosts(A, B, spec, [Int32Array.of(1, 0)], [correlations]);
  // Ramp against alternation: −1 / √5 for both units; matched, each is perfectly correlated.
  assert.ok(Math.abs(layer!.correlationBefore! + 1 / Math.sqrt(5)) < 1e-12);
  assert.ok(Math.abs(layer!.correlationAfter! - 1) < 1e-12);
});

test('a unit with all-zero weights in A reports the absolute distance', () => {
  const zeroA: Params = new Map([...A, ['fc1.weight', t([2, 2], [0, 0, 0, 1])], ['fc2.weight', t([1, 2], [0, 2])]]);
  const [layer] = matchingCosts(zeroA, zeroA, spec, identityPermutations(spec));
  assert.deepEqual(layer!.unitCosts, [0, 0]);
  const [moved] = matchingCosts(zeroA, B, spec, identityPermutations(spec));
  // Unit 0: A is all zero, B's slices are [0 1, 0, 2]: distance √5.
  assert.ok(Math.abs(moved!.unitCosts[0]! - Math.sqrt(5)) < 1e-12);
});
