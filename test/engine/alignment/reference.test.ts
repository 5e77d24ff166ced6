// The alignment methods, matching costs and Dim(S) against test/fixtures/compare/expected.json,
// written by an independent PyTorch/NumPy/SciPy implementation (test/reference/make_reference.py)
// for two pairs of MLPs trained on real digits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { activationMatching } from '../../../src/engine/alignment/activationMatching';
import { covarianceMatching } from '../../../src/engine/alignment/covarianceMatching';
import { weightMatching, weightObjective } from '../../../src/engine/alignment/weightMatching';
import { initBackend } from '../../../src/engine/backend/tfBackend';
import { openDataset } from '../../../src/engine/datasets/openDataset';
import { dimS } from '../../../src/engine/metrics/dimS';
import { matchingCosts } from '../../../src/engine/metrics/matchingCosts';
import { unitCorrelations } from '../../../src/engine/alignment/unitCorrelations';
import { readFixtureNetwork } from '../../helpers/readFixtureNetwork';
import type { Activation } from '../../../src/shared/compareRequest';
import { networkChannelSpaces } from '../../../src/engine/model/networkSpaces';
import type { WeightedNode } from '../../../src/engine/model/network';
import { derivePermutationSpec } from '../../../src/engine/model/permutationSpec';

const FIXTURES = join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'compare');

interface ExpectedMatching {
  layer: string;
  costBefore: number;
  costAfter: number;
  correlationBefore: number;
  correlationAfter: number;
  permutation: number[];
  unitCosts: number[];
}
interface ExpectedNetwork {
  checkpoints: { a: string; b: string };
  activation: Activation;
  dimS: { layer: string; a: number; b: number }[];
  methods: Record<string, { matching: ExpectedMatching[]; details: Record<string, number> }>;
}

const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as { networks: Record<string, ExpectedNetwork> };

/** Relative to the larger of the value and 1: the engine computes in float32, the reference in float64. */
function close(actual: number, wanted: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(actual - wanted) <= tolerance * Math.max(1, Math.abs(wanted)), `${what}: ${actual} vs ${wanted}`);
}


async function load(network: ExpectedNetwork) {
  await initBackend();
  const a = await readFixtureNetwork(join(FIXTURES, network.checkpoints.a), network.activation);
  const b = await readFixtureNetwork(join(FIXTURES, network.checkpoints.b), network.activation);
  const data = await openDataset(join(FIXTURES, 'eval.npz'));
  const spec = derivePermutationSpec(networkChannelSpaces(a.network));
  const correlations = await unitCorrelations(a.network, a.params, b.params, spec, data);
  return { a, b, data, spec, net: a.network, correlations };
}

for (const [name, network] of Object.entries(expected.networks)) {
  test(`${name}: activation and covariance matching find the reference's permutations and totals`, async () => {
    const { a, b, data, spec, net, correlations } = await load(network);
    const activation = activationMatching(spec, correlations);
    const covariance = await covarianceMatching(net, a.params, b.params, spec, data);
    for (const [method, result] of [['activation', activation], ['covariance', covariance]] as const) {
      const reference = network.methods[method]!;
      result.perms.forEach((perm, g) => assert.deepEqual(Array.from(perm), reference.matching[g]!.permutation, `${method} group ${g}`));
      for (const group of spec.groups) {
        const key = method === 'activation' ? `correlationTotal.${group.name}` : `costTotal.${group.name}`;
        close(Number(result.details[key]), reference.details[key]!, 1e-5, `${method} ${key}`);
      }
    }
    for (const group of spec.groups) {
      const key = `costTotalIdentity.${group.name}`;
      close(Number(covariance.details[key]), network.methods.covariance!.details[key]!, 1e-5, key);
    }
  });

  test(`${name}: matching costs and Dim(S) equal the reference's`, async () => {
    const { a, b, spec, net, correlations } = await load(network);
    for (const [method, reference] of Object.entries(network.methods)) {
      const perms = reference.matching.map((m) => Int32Array.from(m.permutation));
      const costs = matchingCosts(a.params, b.params, spec, perms, correlations);
      costs.forEach((layer, g) => {
        const want = reference.matching[g]!;
        const where = `${method} ${layer.layer}`;
        assert.equal(layer.layer, want.layer);
        assert.deepEqual(layer.permutation, want.permutation);
        close(layer.costBefore, want.costBefore, 1e-6, `${where} costBefore`);
        close(layer.costAfter, want.costAfter, 1e-6, `${where} costAfter`);
        close(layer.correlationBefore!, want.correlationBefore, 1e-5, `${where} correlationBefore`);
        close(layer.correlationAfter!, want.correlationAfter, 1e-5, `${where} correlationAfter`);
        layer.unitCosts.forEach((c, i) => close(c, want.unitCosts[i]!, 1e-6, `${where} unitCosts[${i}]`));
      });
      close(weightObjective(a.params, b.params, spec, perms), reference.details.weightObjective!, 1e-9, `${method} weightObjective`);
    }
    const layers = net.nodes.filter((n): n is WeightedNode => n.op === 'linear').map((n) => ({ name: n.id, weight: n.weight, bias: n.bias }));
    const dims = await dimS(a.params, b.params, layers);
    dims.forEach((d, l) => {
      assert.equal(d.layer, network.dimS[l]!.layer);
      close(d.a, network.dimS[l]!.a, 1e-5, `Dim(S) A ${d.layer}`);
      close(d.b, network.dimS[l]!.b, 1e-5, `Dim(S) B ${d.layer}`);
    });
  });

  test(`${name}: weight matching reaches an objective comparable to the reference's local optimum`, async () => {
    const { a, b, spec } = await load(network);
    const result = await weightMatching(a.params, b.params, spec);
    const reference = network.methods.weight!.details;
    close(Number(result.details.objectiveBefore), reference.weightObjectiveIdentity!, 1e-9, 'identity objective');
    // Both are local optima reached in different group orders: equal up to a few percent, and far above the identity's.
    const objective = Number(result.details.objective);
    assert.ok(Math.abs(objective - reference.weightObjective!) < 0.05 * reference.weightObjective!, `${objective} vs ${reference.weightObjective}`);
  });
}
