import { test } from 'node:test';
import assert from 'node:assert/strict';
import { covarianceCosts, covarianceMatching } from '../../../src/engine/alignment/covarianceMatching';
import { initBackend } from '../../../src/engine/backend/tfBackend';
import { mlpNetwork } from '../../../src/engine/model/mlpNetwork';
import { networkChannelSpaces } from '../../../src/engine/model/networkSpaces';
import type { Params } from '../../../src/engine/model/params';
import { derivePermutationSpec } from '../../../src/engine/model/permutationSpec';
import { mlpArchitecture } from '../model/mlpTestModels';

// One input, samples x = 1 and 3, so x̃ = [x, 1] has Σ = E[x̃x̃ᵀ] = [[5, 2], [2, 1]].
// A's units: x and 1; B's: 1 and 2x. cost(i, j) = E[(a_i·x̃ − b_j·x̃)²]:
//   (x − 1)² → (0 + 4)/2 = 2,  (x − 2x)² → (1 + 9)/2 = 5,  (1 − 1)² → 0,  (1 − 2x)² → (1 + 25)/2 = 13.
const INPUTS = Float32Array.of(1, 3);
const ROWS_A = Float32Array.of(1, 0, 0, 1);
const ROWS_B = Float32Array.of(0, 1, 2, 0);

test('covariance costs on a hand-computed 2-unit case', async () => {
  await initBackend();
  const cost = await covarianceCosts(ROWS_A, ROWS_B, 2, 2, Float32Array.of(5, 2, 2, 1));
  assert.deepEqual(Array.from(cost), [2, 5, 0, 13]);
});

test('covariance matching picks the cheaper assignment, layer by layer', async () => {
  await initBackend();
  const architecture = mlpArchitecture([1, 2, 1], 'relu');
  const spec = derivePermutationSpec(networkChannelSpaces(mlpNetwork(architecture)));
  const t = (shape: number[], values: number[]) => ({ shape, data: Float32Array.from(values) });
  const a: Params = new Map([['fc1.weight', t([2, 1], [1, 0])], ['fc1.bias', t([2], [0, 1])], ['fc2.weight', t([1, 2], [1, 1])], ['fc2.bias', t([1], [0])]]);
  const b: Params = new Map([['fc1.weight', t([2, 1], [0, 2])], ['fc1.bias', t([2], [1, 0])], ['fc2.weight', t([1, 2], [1, 1])], ['fc2.bias', t([1], [0])]]);
  const result = await covarianceMatching(mlpNetwork(architecture), a, b, spec, { inputs: INPUTS, count: 2 });
  // Identity costs 2 + 13 = 15; the swap 5 + 0 = 5.
  assert.deepEqual(Array.from(result.perms[0]!), [1, 0]);
  assert.equal(result.details['costTotal.fc1'], 5);
  assert.equal(result.details['costTotalIdentity.fc1'], 15);
});

test('covariance costs refuse mismatched sizes', async () => {
  await assert.rejects(covarianceCosts(ROWS_A, ROWS_B, 2, 3, Float32Array.of(1)), /two 2×3 matrices and a 3×3 Σ/);
});
