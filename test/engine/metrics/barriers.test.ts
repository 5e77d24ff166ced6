import { test } from 'node:test';
import assert from 'node:assert/strict';
import { barriers } from '../../../src/engine/metrics/barriers';

const near = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} ≠ ${expected}`);

test('a bump above the straight line is the barrier', () => {
  // Line at α = 0.5: loss (1 + 1.5)/2 = 1.25, so 2.25 − 1.25 = 1; accuracy (0.9 + 0.8)/2 = 0.85, so 0.85 − 0.5 = 0.35.
  const b = barriers([0, 0.5, 1], { loss: [1, 2.25, 1.5], accuracy: [0.9, 0.5, 0.8] });
  near(b.loss, 1);
  near(b.accuracy, 0.35);
});

test('the largest excess over an uneven grid wins', () => {
  // Line: L(α) = 2 − α. Excess at 0.1: 2.0 − 1.9 = 0.1; at 0.3: 2.2 − 1.7 = 0.5; at 0.9: 1.3 − 1.1 = 0.2.
  const b = barriers([0, 0.1, 0.3, 0.9, 1], { loss: [2, 2.0, 2.2, 1.3, 1], accuracy: [0.5, 0.6, 0.7, 0.96, 1] });
  near(b.loss, 0.5);
  // Accuracy lies above its line everywhere: only α = 0 counts, so 0.
  assert.equal(b.accuracy, 0);
});

test('a path below its chord, or on it, has no barrier', () => {
  assert.deepEqual(barriers([0, 0.5, 1], { loss: [1, 0.5, 1], accuracy: [0.9, 0.95, 0.9] }), { loss: 0, accuracy: 0 });
  // Flat at a value whose (1−α)v + αv would round: the chord v + α·(v − v) is v exactly.
  const v = 0.1 + 0.2;
  const grid = Array.from({ length: 25 }, (_, i) => (i === 24 ? 1 : i / 24));
  assert.deepEqual(barriers(grid, { loss: grid.map(() => v), accuracy: grid.map(() => 0.7) }), { loss: 0, accuracy: 0 });
});

test('NaN on the path gives a NaN barrier, and a bad grid is refused', () => {
  assert.ok(Number.isNaN(barriers([0, 0.5, 1], { loss: [1, NaN, 1], accuracy: [1, 1, 1] }).loss));
  assert.throws(() => barriers([0.1, 1], { loss: [1, 1], accuracy: [1, 1] }), /from 0 to 1/);
  assert.throws(() => barriers([0, 1], { loss: [1], accuracy: [1, 1] }), /2 losses and accuracies/);
});
