import { test } from 'node:test';
import assert from 'node:assert/strict';
import { weightMatching } from '../../../src/engine/alignment/weightMatching';
import { loadCheckpointPair } from '../../../src/engine/compare/loadPair';
import { matchingCosts } from '../../../src/engine/metrics/matchingCosts';
import { unitSimilarity } from '../../../src/engine/metrics/unitSimilarity';
import { mlpNetwork } from '../../../src/engine/model/mlpNetwork';
import { networkChannelSpaces } from '../../../src/engine/model/networkSpaces';
import type { Params } from '../../../src/engine/model/params';
import { derivePermutationSpec } from '../../../src/engine/model/permutationSpec';
import { pairCost } from '../../../src/shared/unitSimilarity';
import { fixture } from '../../helpers/paths';
import { mlpArchitecture, randomParams, seededRandom, shuffled } from '../model/mlpTestModels';

const architecture = mlpArchitecture([3, 4, 5, 2], 'relu');
const spec = derivePermutationSpec(networkChannelSpaces(mlpNetwork(architecture)));
const A = randomParams(architecture, 1);
const B = randomParams(architecture, 2);
const random = seededRandom(7);
const perms = [shuffled(4, random), shuffled(5, random)];

/** W[r][c] of a stored [out, in] weight. */
const at = (params: Params, name: string, r: number, c: number) => {
  const { shape, data } = params.get(name)!;
  return data[r * shape[1]! + c]!;
};
const bias = (params: Params, name: string, i: number) => params.get(name)!.data[i]!;

/**
 * The units spelled out for this 3-4-5-2 network: fc1 unit u is its row of fc1.weight, its
 * fc1.bias and its column of fc2.weight; fc2 unit u its row of fc2.weight, its bias and its column
 * of fc3.weight. B's other group is applied by hand: fc2's rows are B's rows p1[r] (group fc2),
 * fc2's columns B's columns p0[c] (group fc1).
 */
function unitVector(params: Params, group: 0 | 1, u: number, other: Int32Array | null): number[] {
  const o = (k: number) => (other ? other[k]! : k);
  if (group === 0) {
    return [
      ...[0, 1, 2].map((c) => at(params, 'fc1.weight', u, c)),
      bias(params, 'fc1.bias', u),
      ...[0, 1, 2, 3, 4].map((r) => at(params, 'fc2.weight', o(r), u)),
    ];
  }
  return [
    ...[0, 1, 2, 3].map((c) => at(params, 'fc2.weight', u, o(c))),
    bias(params, 'fc2.bias', u),
    ...[0, 1].map((r) => at(params, 'fc3.weight', r, u)),
  ];
}

const norm = (x: number[]) => Math.sqrt(x.reduce((s, v) => s + v * v, 0));
const cos = (x: number[], y: number[]) => x.reduce((s, v, k) => s + v * y[k]!, 0) / (norm(x) * norm(y));

for (const g of [0, 1] as const) {
  test(`group fc${g + 1}: cosines and norms equal the concatenated slices computed by hand`, async () => {
    const sim = await unitSimilarity(A, B, spec, perms, g, 'weight');
    const n = g === 0 ? 4 : 5;
    assert.equal(sim.layer, `fc${g + 1}`);
    assert.equal(sim.method, 'weight');
    assert.equal(sim.size, n);
    assert.equal(sim.cosine.length, n * n);
    assert.deepEqual(sim.permutation, Array.from(perms[g]!));
    const otherB = perms[1 - g]!;
    for (let i = 0; i < n; i++) {
      const a = unitVector(A, g, i, null);
      assert.ok(Math.abs(sim.normsA[i]! - norm(a)) < 1e-6, `‖A unit ${i}‖`);
      for (let j = 0; j < n; j++) {
        const b = unitVector(B, g, j, otherB);
        if (i === 0) assert.ok(Math.abs(sim.normsB[j]! - norm(b)) < 1e-6, `‖B unit ${j}‖`);
        assert.ok(Math.abs(sim.cosine[i * n + j]! - cos(a, b)) < 1e-6, `cos(A ${i}, B ${j}): ${sim.cosine[i * n + j]} vs ${cos(a, b)}`);
      }
    }
  });
}

test('B identical to A up to a permutation: the matched pairs have cosine 1', async () => {
  // B = A with fc1's units reordered by q: B's unit q[i] is A's unit i.
  const q = Int32Array.of(2, 0, 3, 1);
  const b = new Map(A);
  const w1 = new Float32Array(12);
  const b1 = new Float32Array(4);
  const w2 = new Float32Array(20);
  for (let i = 0; i < 4; i++) {
    for (let c = 0; c < 3; c++) w1[q[i]! * 3 + c] = at(A, 'fc1.weight', i, c);
    b1[q[i]!] = bias(A, 'fc1.bias', i);
    for (let r = 0; r < 5; r++) w2[r * 4 + q[i]!] = at(A, 'fc2.weight', r, i);
  }
  b.set('fc1.weight', { shape: [4, 3], data: w1 });
  b.set('fc1.bias', { shape: [4], data: b1 });
  b.set('fc2.weight', { shape: [5, 4], data: w2 });
  const identity5 = Int32Array.from({ length: 5 }, (_, i) => i);
  const sim = await unitSimilarity(A, b, spec, [q, identity5], 0, 'naive');
  for (let i = 0; i < 4; i++) {
    assert.ok(Math.abs(sim.cosine[i * 4 + q[i]!]! - 1) < 1e-6);
    assert.ok(Math.abs(pairCost(sim, i, q[i]!)) < 1e-3);
  }
});

test('pairCost of the matched pairs is the report\'s unitCosts, on the trained fixture pair', async () => {
  const pair = await loadCheckpointPair(fixture('compare', 'a.pt'), fixture('compare', 'b.pt'), { activation: 'relu' });
  const pairSpec = derivePermutationSpec(networkChannelSpaces(pair.network));
  const { perms: found } = await weightMatching(pair.a.params, pair.b.params, pairSpec, { seed: 0 });
  const matching = matchingCosts(pair.a.params, pair.b.params, pairSpec, found);
  for (const [g, layer] of matching.entries()) {
    const sim = await unitSimilarity(pair.a.params, pair.b.params, pairSpec, found, g, 'weight');
    assert.equal(sim.layer, layer.layer);
    assert.deepEqual(sim.permutation, layer.permutation);
    layer.unitCosts.forEach((cost, i) => {
      const fromSimilarity = pairCost(sim, i, layer.permutation[i]!);
      assert.ok(Math.abs(fromSimilarity - cost) < 1e-4 * Math.max(1, cost), `${layer.layer} unit ${i}: ${fromSimilarity} vs ${cost}`);
    });
  }
});

test('a group outside the spec is refused', async () => {
  await assert.rejects(unitSimilarity(A, B, spec, perms, 2, 'weight'), /group 2 is outside the spec's 2 groups/);
});
