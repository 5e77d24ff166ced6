import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CosineMeans } from '../../../src/engine/metrics/featureCosines';

test('cosine and scale means skip the samples where they are undefined', () => {
  const means = new CosineMeans();
  // Sample 0: f = (3, 4), g = (4, 3): dot 24, cos 24/25, scale 24/25.
  // Sample 1: f = 0, g = (1, 0): no cosine, scale 0.
  // Sample 2: f = (1, 1), g = 0: neither.
  // Sample 3: f = (2, 0), g = (1, 0): cos 1, scale 2.
  means.add(Float32Array.from([24, 0, 0, 2]), Float32Array.from([25, 0, 2, 4]), Float32Array.from([25, 1, 0, 1]));
  assert.ok(Math.abs(means.cosine - (24 / 25 + 1) / 2) < 1e-12);
  assert.ok(Math.abs(means.scale - (24 / 25 + 0 + 2) / 3) < 1e-12);
});

test('with no sample left the means are NaN', () => {
  const empty = new CosineMeans();
  assert.ok(Number.isNaN(empty.cosine) && Number.isNaN(empty.scale));
  const zeros = new CosineMeans();
  zeros.add(new Float32Array(3), new Float32Array(3), new Float32Array(3));
  assert.ok(Number.isNaN(zeros.cosine) && Number.isNaN(zeros.scale));
});
