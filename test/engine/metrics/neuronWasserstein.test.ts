// Per-layer Wasserstein-2 distances between neurons, plain and covariance-weighted, against
// test/fixtures/compare/wasserstein.json, written by an independent NumPy/SciPy implementation
// (test/reference/make_wasserstein.py) from the permutations the PyTorch reference found
// (expected.json), for the two fixture MLP pairs; and on the fixture VGG and ResNet against
// test/fixtures/conv/conditions.json (test/reference/make_llfc_conditions.py), BatchNorm folded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { initBackend } from '../../../src/engine/backend/tfBackend';
import { covarianceInputs, covarianceMatching } from '../../../src/engine/alignment/covarianceMatching';
import { givenPermutations } from '../../../src/engine/compare/givenPermutations';
import { loadCheckpointPair } from '../../../src/engine/compare/loadPair';
import { openDataset } from '../../../src/engine/datasets/openDataset';
import { neuronWasserstein } from '../../../src/engine/metrics/neuronWasserstein';
import { identityPermutations } from '../../../src/engine/model/applyPermutation';
import { networkChannelSpaces } from '../../../src/engine/model/networkSpaces';
import { derivePermutationSpec } from '../../../src/engine/model/permutationSpec';
import type { Activation } from '../../../src/shared/compareRequest';
import type { NeuronWasserstein } from '../../../src/shared/compareReport';
import { readFixtureNetwork } from '../../helpers/readFixtureNetwork';
import { fixture } from '../../helpers/paths';

interface ExpectedNetwork {
  checkpoints: { a: string; b: string };
  activation: Activation;
  methods: Record<string, { matching: { permutation: number[] }[] }>;
}
const expected = JSON.parse(readFileSync(fixture('compare', 'expected.json'), 'utf8')) as { networks: Record<string, ExpectedNetwork> };
const reference = JSON.parse(readFileSync(fixture('compare', 'wasserstein.json'), 'utf8')) as Record<string, Record<string, NeuronWasserstein[]>>;
const convReference = JSON.parse(readFileSync(fixture('conv', 'conditions.json'), 'utf8'));
const convExpected = JSON.parse(readFileSync(fixture('conv', 'expected.json'), 'utf8'));
const EVAL = fixture('compare', 'eval.npz');
const KEYS = ['identity', 'aligned', 'optimal'] as const;

const worst = { plain: 0, mlp: 0, conv: 0 };

function agree(got: readonly NeuronWasserstein[], want: readonly NeuronWasserstein[], where: string, covarianceTolerance: number): void {
  assert.deepEqual(got.map((l) => l.layer), want.map((l) => l.layer));
  got.forEach((layer, g) => {
    for (const key of KEYS) {
      const [x, y] = [layer[key], want[g]![key]];
      assert.ok(Math.abs(x - y) <= 1e-6 * Math.max(1, y), `${where} layer ${layer.layer} ${key}: ${x} vs ${y}`);
      worst.plain = Math.max(worst.plain, Math.abs(x - y) / Math.max(1, y));
      const [cx, cy] = [layer.covariance![key], want[g]!.covariance![key]];
      assert.ok(Math.abs(cx - cy) <= covarianceTolerance * cy, `${where} layer ${layer.layer} covariance ${key}: ${cx} vs ${cy}`);
      const kind = covarianceTolerance > 1e-6 ? 'conv' : 'mlp';
      worst[kind] = Math.max(worst[kind], Math.abs(cx - cy) / cy);
    }
    assert.ok(layer.optimal <= layer.aligned + 1e-9, `${where} ${layer.layer}: the optimum is no larger than the method's`);
    assert.ok(layer.covariance!.optimal <= layer.covariance!.aligned * (1 + 1e-6), `${where} ${layer.layer}: the covariance optimum is no larger than the method's`);
  });
}

const readOne = (file: string, activation: Activation) => readFixtureNetwork(fixture('compare', file), activation);

for (const [name, network] of Object.entries(expected.networks)) {
  test(`${name}: W2 and its covariance-weighted counterpart, before alignment, after each method and at the optimum, equal the SciPy reference`, async () => {
    await initBackend();
    const a = await readOne(network.checkpoints.a, network.activation);
    const b = await readOne(network.checkpoints.b, network.activation);
    const data = await openDataset(EVAL);
    const spec = derivePermutationSpec(networkChannelSpaces(a.network));
    const moments = await covarianceInputs(a.network, spec, a.params, { inputs: data.inputs, count: data.count });
    for (const [method, result] of Object.entries(network.methods)) {
      const perms = result.matching.map((m) => Int32Array.from(m.permutation));
      // Σ is a float32 sum over 600 samples: the covariance distances agree to 1e-6 relative as well.
      agree(await neuronWasserstein(a.params, b.params, spec, perms, moments), reference[name]![method]!, `${name} ${method}`, 1e-6);
    }
    // Covariance matching minimises exactly this cost: its permutation is the optimum.
    for (const layer of await neuronWasserstein(a.params, b.params, spec, network.methods.covariance!.matching.map((m) => Int32Array.from(m.permutation)), moments)) {
      assert.ok(Math.abs(layer.covariance!.aligned - layer.covariance!.optimal) <= 1e-9 * layer.covariance!.optimal, `${layer.layer}: covariance matching is the covariance optimum`);
    }
    // Weight matching moves B's neurons towards A's: on both layers its W2 is below the identity's.
    const weight = await neuronWasserstein(a.params, b.params, spec, network.methods.weight!.matching.map((m) => Int32Array.from(m.permutation)), null);
    weight.forEach((layer) => assert.ok(layer.aligned < layer.identity, `${layer.layer}: ${layer.aligned} vs ${layer.identity}`));
    assert.ok(weight.every((layer) => layer.covariance === null), 'no moments, no covariance-weighted distance');
    // A network against itself is at distance 0, aligned or at the optimum, plain and covariance-weighted.
    for (const layer of await neuronWasserstein(a.params, a.params, spec, identityPermutations(spec), moments)) {
      assert.deepEqual([layer.identity, layer.aligned, layer.optimal, layer.covariance!.identity, layer.covariance!.aligned, layer.covariance!.optimal], [0, 0, 0, 0, 0, 0]);
    }
  });
}

for (const name of ['vgg', 'resnet'] as const) {
  test(`${name}: W2 and its covariance-weighted counterpart (BatchNorm folded, a residual stage's writers summed) equal the reference; covariance matching on the same moments finds the reference's permutations`, async () => {
    await initBackend();
    const ref = convReference.networks[name];
    const data = await openDataset(EVAL);
    const pair = await loadCheckpointPair(fixture('conv', ref.checkpoints.a), fixture('conv', ref.checkpoints.b), { activation: 'relu', sample: { shape: data.inputShape, file: EVAL } });
    const spec = derivePermutationSpec(networkChannelSpaces(pair.network));
    const moments = await covarianceInputs(pair.network, spec, pair.a.params, { inputs: data.inputs, count: convReference.fitSamples });
    const permutations = { ...convExpected.networks[name].permutations, ...ref.permutations };
    const matched = await covarianceMatching(pair.network, pair.a.params, pair.b.params, spec, moments);
    assert.deepEqual(matched.perms.map((p) => Array.from(p)), spec.groups.map((g) => permutations.covariance[g.name]));
    for (const method of ['naive', 'weight', 'activation', 'covariance']) {
      const perms = givenPermutations(spec, spec.groups.map((g) => permutations[method][g.name]), 'b');
      // Σ of a convolution sums 65,536 patch rows, in float32 products of 4,096 rows each: 1e-5 relative.
      agree(await neuronWasserstein(pair.a.params, pair.b.params, spec, perms, moments), ref.methods[method].wasserstein, `${name} ${method}`, 1e-5);
    }
  });
}

test('the largest relative disagreements with the references', (t) => {
  t.diagnostic(`W2 ${worst.plain.toExponential(2)}; covariance-weighted: MLPs ${worst.mlp.toExponential(2)}, conv nets ${worst.conv.toExponential(2)}`);
});
