import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchFeatures } from '../../../src/engine/alignment/activationMatching';
import { correlationMatrix, matchedCorrelations } from '../../../src/engine/alignment/correlation';
import { initBackend } from '../../../src/engine/backend/tfBackend';
import type { PermutationSpec } from '../../../src/engine/model/permutationSpec';

/** count × width, row-major, from one array of samples per unit. */
function features(units: number[][]): Float32Array {
  const count = units[0]!.length;
  return Float32Array.from({ length: count * units.length }, (_, k) => units[k % units.length]![Math.floor(k / units.length)]!);
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

test('Pearson correlations on a hand-built case, constant units giving 0', async () => {
  await initBackend();
  const matrix = await correlationMatrix(A, 3, B, 3, 4);
  EXPECTED.flat().forEach((e, k) => assert.ok(Math.abs(matrix[k]! - e) < 1e-6, `entry ${k}: ${matrix[k]} vs ${e}`));
  const matched = matchedCorrelations(A, B, 3, 4, Int32Array.of(1, 2, 0));
  assert.deepEqual(Array.from(matched, (v) => Math.round(v * 1e12) / 1e12), [R5, R5, 0].map((v) => Math.round(v * 1e12) / 1e12));
});

test('activation matching maximises the summed correlation', async () => {
  await initBackend();
  const spec: PermutationSpec = { groups: [{ name: 'fc1', size: 3, axes: [] }] };
  const result = await matchFeatures(spec, [A], [B], 4);
  // a0 → b1 and a1 → b2 (1/√5 each) beat every assignment that uses a −1.
  assert.deepEqual(Array.from(result.perms[0]!), [1, 2, 0]);
  assert.ok(Math.abs(Number(result.details['correlationTotal.fc1']) - 2 * R5) < 1e-6);
  assert.ok(Math.abs(Number(result.details['meanCorrelation.fc1']) - (2 * R5) / 3) < 1e-6);
});

test('activation matching refuses features that do not fit', async () => {
  const spec: PermutationSpec = { groups: [{ name: 'fc1', size: 3, axes: [] }] };
  await assert.rejects(matchFeatures(spec, [A], [], 4), /1 groups need features for each, got 1 and 0/);
  await assert.rejects(matchFeatures(spec, [A], [B], 5), /12 feature values are not 5 samples of 3 units/);
});
