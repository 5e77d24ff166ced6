import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activationMatching } from '../../../src/engine/alignment/activationMatching';
import { headAssignment, respectsHeads } from '../../../src/engine/alignment/headAssignment';
import { seededRandom } from '../../../src/engine/alignment/seededRandom';
import { weightMatching } from '../../../src/engine/alignment/weightMatching';
import { initBackend } from '../../../src/engine/backend/tfBackend';
import { applyPermutation } from '../../../src/engine/model/applyPermutation';
import type { Params } from '../../../src/engine/model/params';
import { axisPermutation, type Permutation, type PermutationSpec } from '../../../src/engine/model/permutationSpec';
import { allowedPermutation, headOrder } from '../../helpers/randomPermutations';

test('two-level matching on a hand-computed case: heads assigned on the summed within-head optima', () => {
  // Two heads of two units, one group. A's head 0 fits B's head 1 crossed (0↔3, 1↔2), A's head 1 fits B's head 0 straight.
  const scores = Float64Array.from([
    [0, 0, 1, 5],
    [0, 0, 4, 1],
    [3, 0, 0, 0],
    [0, 2, 0, 0],
  ].flat());
  const solved = headAssignment([{ size: 4, heads: { count: 2, withinHead: true, partner: null }, scores }]);
  assert.deepEqual(Array.from(solved.headPerm), [1, 0]);
  assert.deepEqual(Array.from(solved.perms[0]!), [3, 2, 0, 1]);
  assert.equal(solved.total, 5 + 4 + 3 + 2);
  // Head-to-head: the best within-head matching of each block, e.g. A0–B1 = max(1+1, 5+4) = 9.
  assert.deepEqual(Array.from(solved.headToHead), [0, 9, 5, 0]);
  // With units fixed inside heads, only the diagonals count: A0–B1 = 1 + 1, A1–B0 = 3 + 2.
  const fixed = headAssignment([{ size: 4, heads: { count: 2, withinHead: false, partner: null }, scores }]);
  assert.deepEqual(Array.from(fixed.headToHead), [0, 2, 5, 0]);
  assert.deepEqual(Array.from(fixed.perms[0]!), [2, 3, 0, 1]);
});

test('partners share one head assignment: the one their summed similarities favour', () => {
  // Group X alone prefers heads straight (3 vs 2), group Y prefers them crossed by more (0 vs 4).
  const xScores = Float64Array.from([
    [3, 0],
    [0, 3],
  ].flat());
  const yScores = Float64Array.from([
    [0, 4],
    [4, 0],
  ].flat());
  const solved = headAssignment([
    { size: 2, heads: { count: 2, withinHead: true, partner: 'y' }, scores: xScores },
    { size: 2, heads: { count: 2, withinHead: true, partner: 'x' }, scores: yScores },
  ]);
  assert.deepEqual(Array.from(solved.headPerm), [1, 0]);
  assert.deepEqual(solved.perms.map((p) => Array.from(p)), [[1, 0], [1, 0]]);
});

test('a grouped-query axis moves every query head of a group with its key/value head', () => {
  // 2 K/V heads of 2 units, each serving 3 query heads: the axis is [2 heads, 3 copies, 2 units].
  const group = { name: 'k', size: 4, layers: [], axes: [], heads: { count: 2, withinHead: true, partner: null } };
  const expanded = axisPermutation(group, { tensor: 'q', axis: 0, repeat: 3 }, Int32Array.from([3, 2, 0, 1]));
  // Slot (head 0, copy r, unit i) takes (head 1, copy r, unit 1 − i); slot (head 1, r, i) takes (head 0, r, i).
  assert.deepEqual(Array.from(expanded), [7, 6, 9, 8, 11, 10, 0, 1, 2, 3, 4, 5]);
  assert.ok(respectsHeads(Int32Array.from([3, 2, 0, 1]), group.heads));
  assert.ok(!respectsHeads(Int32Array.from([2, 1, 0, 3]), group.heads));
  assert.ok(!respectsHeads(Int32Array.from([3, 2, 0, 1]), { ...group.heads, withinHead: false }));
});

/**
 * One attention block's weights as plain tensors, grouped-query when `repeat` > 1, and its spec:
 * the residual stream (d units), query/key units (kvHeads heads), value/output units, MLP units.
 */
function attentionBlock(d: number, kvHeads: number, width: number, repeat: number, hidden: number, rotary: boolean) {
  const qk = kvHeads * width;
  const shapes: Record<string, number[]> = {
    embed: [5, d],
    q: [qk * repeat, d],
    k: [qk, d],
    v: [qk, d],
    o: [d, qk * repeat],
    fc1: [hidden, d],
    fc2: [d, hidden],
  };
  const spec: PermutationSpec = {
    groups: [
      { name: 'residual', size: d, layers: [], axes: [['embed', 1], ['q', 1], ['k', 1], ['v', 1], ['o', 0], ['fc1', 1], ['fc2', 0]].map(([tensor, axis]) => ({ tensor: tensor as string, axis: axis as number })) },
      { name: 'qk', size: qk, layers: [], heads: { count: kvHeads, withinHead: !rotary, partner: 'vo' }, axes: [{ tensor: 'q', axis: 0, ...(repeat > 1 ? { repeat } : {}) }, { tensor: 'k', axis: 0 }] },
      { name: 'vo', size: qk, layers: [], heads: { count: kvHeads, withinHead: true, partner: 'qk' }, axes: [{ tensor: 'v', axis: 0 }, { tensor: 'o', axis: 1, ...(repeat > 1 ? { repeat } : {}) }] },
      { name: 'mlp', size: hidden, layers: [], axes: [{ tensor: 'fc1', axis: 0 }, { tensor: 'fc2', axis: 1 }] },
    ],
  };
  return { shapes, spec };
}

function randomTensors(shapes: Record<string, number[]>, seed: number): Params {
  const random = seededRandom(seed);
  return new Map(
    Object.entries(shapes).map(([name, shape]) => [name, { shape, data: Float32Array.from({ length: shape.reduce((x, y) => x * y, 1) }, () => random() * 2 - 1) }]),
  );
}

for (const [label, repeat, rotary] of [['multi-head', 1, false], ['grouped-query with rotary', 3, true]] as const) {
  test(`${label}: weight matching undoes a random permutation of every group, heads kept whole`, async () => {
    await initBackend();
    const { shapes, spec } = attentionBlock(6, 3, 4, repeat, 10, rotary);
    const a = randomTensors(shapes, 7);
    const random = seededRandom(11);
    const hidden: Permutation[] = [];
    // The partners must share their head order: VO takes QK's.
    for (const [g, group] of spec.groups.entries()) hidden.push(allowedPermutation(group, random, g === 2 ? headOrder(hidden[1]!, 3) : null));
    const b = applyPermutation(a, spec, hidden);
    const result = await weightMatching(a, b, spec);
    // π(B) puts B's unit perm[i] at i; B = shuffled A put A's unit hidden[i] at i, so perm is hidden's inverse.
    result.perms.forEach((perm, g) => {
      const inverse = new Int32Array(perm.length);
      hidden[g]!.forEach((p, i) => (inverse[p] = i));
      assert.deepEqual(Array.from(perm), Array.from(inverse), spec.groups[g]!.name);
      const heads = spec.groups[g]!.heads;
      if (heads) assert.ok(respectsHeads(perm, heads), `${spec.groups[g]!.name} moves whole heads`);
    });
    const restored = applyPermutation(b, spec, result.perms);
    for (const [name, t] of a) assert.deepEqual(restored.get(name)!.data, t.data, name);
  });
}

test('activation matching solves partners together and reports each group\'s total', () => {
  const { spec } = attentionBlock(2, 2, 2, 1, 2, false);
  const n = 4;
  const identity = (size: number) => Float64Array.from({ length: size * size }, (_, k) => (Math.floor(k / size) === k % size ? 1 : 0));
  // QK says heads crossed (A's unit i fits B's unit (i + 2) mod 4); VO mildly prefers them straight.
  const crossed = Float64Array.from({ length: n * n }, (_, k) => ((Math.floor(k / n) + 2) % n === k % n ? 1 : 0));
  const vo = identity(n).map((v) => v * 0.4);
  const result = activationMatching(spec, [identity(2), crossed, vo, identity(2)]);
  assert.deepEqual(Array.from(result.perms[1]!), [2, 3, 0, 1]);
  // VO's within-head blocks of the crossed pairs are all zero, so only its heads are determined.
  assert.deepEqual(Array.from(result.perms[2]!, (unit) => Math.floor(unit / 2)), [1, 1, 0, 0], 'VO follows the heads QK chose');
  assert.equal(result.details['correlationTotal.qk'], 4);
  assert.equal(result.details['correlationTotal.vo'], 0);
});
