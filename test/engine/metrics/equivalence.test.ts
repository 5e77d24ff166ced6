import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../../src/engine/backend/tfBackend';
import { checkEquivalence } from '../../../src/engine/metrics/equivalence';
import { applyPermutation } from '../../../src/engine/model/applyPermutation';
import { mlpNetwork } from '../../../src/engine/model/mlpNetwork';
import { networkChannelSpaces } from '../../../src/engine/model/networkSpaces';
import { derivePermutationSpec } from '../../../src/engine/model/permutationSpec';
import { mlpArchitecture, randomInputs, randomParams, seededRandom, shuffled } from '../model/mlpTestModels';

const architecture = mlpArchitecture([12, 32, 24, 5], 'gelu');
const paramsB = randomParams(architecture, 21);
const count = 40;
const inputs = randomInputs(count, 12, 22);
const network = mlpNetwork(architecture);
const spec = derivePermutationSpec(networkChannelSpaces(network));

test('a random permutation of the hidden units computes the same function', async () => {
  await initBackend('wasm');
  const random = seededRandom(23);
  const perms = spec.groups.map((group) => shuffled(group.size, random));
  assert.ok(perms.every((p) => p.some((v, i) => v !== i)), 'the permutations move units');
  const permuted = applyPermutation(paramsB, spec, perms);
  assert.notDeepEqual(permuted.get('fc1.weight'), paramsB.get('fc1.weight'));
  const result = await checkEquivalence(network, paramsB, permuted, inputs, count);
  assert.equal(result.equivalent, true);
  assert.ok(result.error < 1e-6, `error ${result.error}`);

  // One weight changed by 0.05 breaks it.
  const weight = permuted.get('fc2.weight')!;
  const data = weight.data.slice();
  data[17]! += 0.05;
  const broken = new Map(permuted).set('fc2.weight', { shape: weight.shape, data });
  const failed = await checkEquivalence(network, paramsB, broken, inputs, count);
  assert.equal(failed.equivalent, false);
  assert.ok(failed.error > 1e-4, `error ${failed.error}`);
});

test('B against itself is exact, and NaN output fails the check', async () => {
  await initBackend('wasm');
  assert.deepEqual(await checkEquivalence(network, paramsB, paramsB, inputs, count), { equivalent: true, error: 0 });
  const bias = paramsB.get('fc3.bias')!;
  const nan = new Map(paramsB).set('fc3.bias', { shape: bias.shape, data: bias.data.map((v, i) => (i === 0 ? NaN : v)) });
  const result = await checkEquivalence(network, paramsB, nan, inputs, count);
  assert.equal(result.equivalent, false);
  assert.ok(Number.isNaN(result.error));
});
