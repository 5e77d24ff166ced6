import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activationMatching } from '../../../src/engine/alignment/activationMatching';
import { covarianceMatching } from '../../../src/engine/alignment/covarianceMatching';
import { naiveAlignment } from '../../../src/engine/alignment/naive';
import { unitCorrelations } from '../../../src/engine/alignment/unitCorrelations';
import { weightMatching } from '../../../src/engine/alignment/weightMatching';
import { initBackend, tf } from '../../../src/engine/backend/tfBackend';
import { checkEquivalence } from '../../../src/engine/metrics/equivalence';
import { matchingCosts } from '../../../src/engine/metrics/matchingCosts';
import { applyPermutation } from '../../../src/engine/model/applyPermutation';
import { randomInputs } from '../model/mlpTestModels';
import { assertSameParams, shuffledPair } from './alignmentTestModels';

const SIZES = [12, 24, 20, 16, 5];
const COUNT = 300;

const methods = {
  weight: (p: ReturnType<typeof shuffledPair>) => weightMatching(p.a, p.b, p.spec, { seed: 3 }),
  activation: async (p: ReturnType<typeof shuffledPair>, x: Float32Array) =>
    activationMatching(p.spec, await unitCorrelations(p.network, p.a, p.b, p.spec, { inputs: x, count: COUNT })),
  covariance: (p: ReturnType<typeof shuffledPair>, x: Float32Array) => covarianceMatching(p.network, p.a, p.b, p.spec, { inputs: x, count: COUNT }),
};

for (const [name, align] of Object.entries(methods)) {
  test(`${name} matching recovers a known permutation exactly`, async () => {
    await initBackend();
    // tanh: no unit is dead on the fit data, so every unit's correlations are defined and distinct.
    const pair = shuffledPair(SIZES, 'tanh', 7);
    const inputs = randomInputs(COUNT, SIZES[0]!, 8);
    const tensorsBefore = tf.memory().numTensors;
    const result = await align(pair, inputs);
    assert.equal(tf.memory().numTensors, tensorsBefore, 'no tensors leak');
    assert.equal(result.perms.length, pair.expected.length);
    result.perms.forEach((perm, g) => assert.deepEqual(Array.from(perm), Array.from(pair.expected[g]!), `group ${g}`));
    // The shuffle is not the identity, so the naive baseline cannot pass by accident.
    assert.ok(pair.expected.some((perm) => perm.some((p, i) => p !== i)));
    assert.ok(naiveAlignment(pair.spec).perms.every((perm, g) => perm.some((p, i) => p !== pair.expected[g]![i])));

    const permuted = applyPermutation(pair.b, pair.spec, result.perms);
    assertSameParams(permuted, pair.a, 'π(B)');
    const costs = matchingCosts(pair.a, pair.b, pair.spec, result.perms);
    for (const layer of costs) {
      assert.equal(layer.costAfter, 0);
      assert.ok(layer.costBefore > 0.5, `${layer.layer} differs before alignment`);
      assert.ok(layer.unitCosts.every((c) => c === 0));
    }
    const equivalence = await checkEquivalence(pair.network, pair.b, permuted, inputs, COUNT);
    assert.ok(equivalence.equivalent);
    // B sums its inputs in its own order, so only rounding separates it from π(B) (= A).
    assert.ok(equivalence.error < 1e-5);
  });
}
