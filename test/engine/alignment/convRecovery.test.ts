// Every method on convolutional networks whose B is A with every group shuffled: the permutation
// that undoes the shuffle is known, and each method must find it exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activationMatching } from '../../../src/engine/alignment/activationMatching';
import { covarianceMatching } from '../../../src/engine/alignment/covarianceMatching';
import { unitCorrelations } from '../../../src/engine/alignment/unitCorrelations';
import { weightMatching } from '../../../src/engine/alignment/weightMatching';
import { readNetwork } from '../../../src/engine/architecture/loadNetwork';
import { initBackend, tf } from '../../../src/engine/backend/tfBackend';
import { openCheckpoint } from '../../../src/engine/formats/openCheckpoint';
import { checkEquivalence } from '../../../src/engine/metrics/equivalence';
import { matchingCosts } from '../../../src/engine/metrics/matchingCosts';
import { applyPermutation, invertPermutation } from '../../../src/engine/model/applyPermutation';
import { networkChannelSpaces } from '../../../src/engine/model/networkSpaces';
import { derivePermutationSpec } from '../../../src/engine/model/permutationSpec';
import { tempDir } from '../../helpers/paths';
import { RESNET_SHAPES, VGG_SHAPES, writeStateDict } from '../model/convTestModels';
import { randomInputs, seededRandom, shuffled } from '../model/mlpTestModels';
import { assertSameParams } from './alignmentTestModels';

const dir = tempDir();
const COUNT = 64;

for (const [name, shapes] of [['vgg', VGG_SHAPES], ['resnet', RESNET_SHAPES]] as const) {
  test(`${name}: weight, activation and covariance matching undo a known shuffle of every group`, async () => {
    await initBackend('wasm');
    const checkpoint = await openCheckpoint(await writeStateDict(dir, name, shapes, 11));
    const { network, params: a } = await readNetwork(checkpoint, { activation: 'relu', sample: { shape: [3, 8, 8], file: null } }).finally(() => checkpoint.close());
    const spec = derivePermutationSpec(networkChannelSpaces(network));
    const random = seededRandom(12);
    const shuffles = spec.groups.map((g) => shuffled(g.size, random));
    const b = applyPermutation(a, spec, shuffles);
    const expected = shuffles.map(invertPermutation);
    const fit = { inputs: randomInputs(COUNT, 3 * 8 * 8, 13), count: COUNT };
    const before = tf.memory().numTensors;
    const correlations = await unitCorrelations(network, a, b, spec, fit);
    const results = {
      weight: await weightMatching(a, b, spec, { seed: 1 }),
      activation: activationMatching(spec, correlations),
      covariance: await covarianceMatching(network, a, b, spec, fit),
    };
    assert.equal(tf.memory().numTensors, before, 'no tensors leak');
    for (const [method, result] of Object.entries(results)) {
      result.perms.forEach((perm, g) => assert.deepEqual(Array.from(perm), Array.from(expected[g]!), `${method}: group ${spec.groups[g]!.name}`));
      const permuted = applyPermutation(b, spec, result.perms);
      assertSameParams(permuted, a, `${method}: π(B)`);
      const costs = matchingCosts(a, b, spec, result.perms, correlations);
      for (const layer of costs) {
        assert.equal(layer.costAfter, 0, `${method} ${layer.layer}`);
        assert.ok(layer.unitCosts.every((c) => c === 0));
        // Matched units are the same units: correlation 1, but for a unit that is constant on the fit data (0).
        const live = layer.correlationAfter! * layer.permutation.length;
        assert.ok(Math.abs(live - Math.round(live)) < 1e-3 && live >= layer.permutation.length / 2, `${method} ${layer.layer} correlation ${layer.correlationAfter}`);
        assert.ok(layer.correlationAfter! >= layer.correlationBefore!);
      }
      assert.ok((await checkEquivalence(network, b, permuted, fit.inputs, COUNT)).equivalent);
    }
    assert.ok(expected.some((perm) => perm.some((p, i) => p !== i)), 'the shuffle moves units');
  });
}
