import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activationMatching } from '../../../src/engine/alignment/activationMatching';
import { CrossMoments } from '../../../src/engine/alignment/crossMoments';
import { initBackend, tf } from '../../../src/engine/backend/tfBackend';
import type { PermutationSpec } from '../../../src/engine/model/permutationSpec';

/** count × width, row-major, from one array of samples per unit. */
function features(units: number[][]): number[][] {
  return units[0]!.map((_, s) => units.map((u) => u[s]!));
}

// Four samples. A: a ramp, an alternation, a constant. B: a constant, the flipped alternation, a falling ramp.
const A = features([[1, 2, 3, 4], [1, 0, 1, 0], [5, 5, 5, 5]]);
const B = features([[3, 3, 3, 3], [0, 1, 0, 1], [8, 6, 4, 2]]);
const R5 = 1 / Math.sqrt(5);
// Centred: ramp (−1.5, −.5, .5, 1.5), alternation ±.5, falling ramp (3, 1, −1, −3). Constant units correlate 0.
const EXPECTED = [
  [0, R5, -1],
  [0, -1, R5],
  [0, 0, 0],
];

async function correlationsOf(batches: [number, number][]): Promise<Float64Array> {
  const moments = new CrossMoments(3, 3);
  for (const [start, end] of batches) {
    const a = tf.tensor2d(A.slice(start, end));
    const b = tf.tensor2d(B.slice(start, end));
    await moments.add(a, b);
    tf.dispose([a, b]);
  }
  assert.equal(moments.samples, 4);
  return moments.correlations();
}

test('Pearson correlations on a hand-built case, constant units giving 0, whatever the batches', async () => {
  await initBackend('wasm');
  for (const batches of [[[0, 4]], [[0, 1], [1, 4]], [[0, 2], [2, 3], [3, 4]]] as [number, number][][]) {
    const matrix = await correlationsOf(batches);
    EXPECTED.flat().forEach((e, k) => assert.ok(Math.abs(matrix[k]! - e) < 1e-6, `${JSON.stringify(batches)} entry ${k}: ${matrix[k]} vs ${e}`));
  }
});

test('correlations are refused without samples or for features that do not fit', async () => {
  await initBackend('wasm');
  assert.throws(() => new CrossMoments(3, 3).correlations(), /at least one sample/);
  const a = tf.tensor2d(A);
  const narrow = tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8]]);
  await assert.rejects(new CrossMoments(3, 3).add(a, narrow), /do not fit 3 and 3 units/);
  tf.dispose([a, narrow]);
});

test('activation matching maximises the summed correlation', () => {
  const spec: PermutationSpec = { groups: [{ name: 'fc1', size: 3, layers: ['fc1'], axes: [] }] };
  const result = activationMatching(spec, [Float64Array.from(EXPECTED.flat())]);
  // a0 → b1 and a1 → b2 (1/√5 each) beat every assignment that uses a −1.
  assert.deepEqual(Array.from(result.perms[0]!), [1, 2, 0]);
  assert.ok(Math.abs(Number(result.details['correlationTotal.fc1']) - 2 * R5) < 1e-12);
  assert.ok(Math.abs(Number(result.details['meanCorrelation.fc1']) - (2 * R5) / 3) < 1e-12);
});

test('activation matching refuses correlations that do not fit', () => {
  const spec: PermutationSpec = { groups: [{ name: 'fc1', size: 3, layers: ['fc1'], axes: [] }] };
  assert.throws(() => activationMatching(spec, []), /1 groups need correlations for each, got 0/);
  assert.throws(() => activationMatching(spec, [new Float64Array(4)]), /group 'fc1' of 3 units needs 9 correlations, got 4/);
});
