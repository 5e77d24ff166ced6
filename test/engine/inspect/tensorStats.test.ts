import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatsAccumulator } from '../../../src/engine/inspect/tensorStats';

/** The textbook definition, in one place, over all values at once: the independent reference. */
function reference(values: number[]) {
  const finite = values.filter(Number.isFinite);
  const mean = finite.reduce((a, b) => a + b, 0) / finite.length;
  const variance = finite.reduce((a, v) => a + (v - mean) ** 2, 0) / finite.length;
  return { mean, std: Math.sqrt(variance), min: Math.min(...finite), max: Math.max(...finite) };
}

test('hand-computed: [1, 2, 3, 4, 0, 0]', () => {
  const stats = new StatsAccumulator();
  stats.add(Float32Array.of(1, 2, 3, 4, 0, 0));
  const r = stats.result();
  assert.equal(r.mean, 10 / 6);
  assert.ok(Math.abs(r.std! - Math.sqrt(20 / 9)) < 1e-15); // E[x²] − mean² = 30/6 − (10/6)² = 20/9
  assert.equal(r.min, 0);
  assert.equal(r.max, 4);
  assert.equal(r.zeroFraction, 2 / 6);
  assert.equal(r.nonFinite, 0);
});

test('chunked merging agrees with the one-pass definition, for any chunking', () => {
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const values = Float32Array.from({ length: 10_007 }, () => random() * 3 + 0.5);
  const expected = reference(Array.from(values));
  for (const chunk of [1, 7, 1000, 4096, 10_007]) {
    const stats = new StatsAccumulator();
    for (let at = 0; at < values.length; at += chunk) stats.add(values.subarray(at, at + chunk));
    const r = stats.result();
    assert.ok(Math.abs(r.mean! - expected.mean) < 1e-12, `mean with chunk ${chunk}`);
    assert.ok(Math.abs(r.std! - expected.std) < 1e-12, `std with chunk ${chunk}`);
    assert.equal(r.min, expected.min);
    assert.equal(r.max, expected.max);
  }
});

test('a large offset does not cancel the variance away', () => {
  // float32 values 1e6 + {0, 0.5, 1, ...}: a naive sum of squares in float64 keeps ~4 digits here.
  const values = Float32Array.from({ length: 4096 }, (_, i) => 1e6 + (i % 4) * 0.5);
  const stats = new StatsAccumulator();
  for (let at = 0; at < values.length; at += 100) stats.add(values.subarray(at, at + 100));
  // Values 0, .5, 1, 1.5 equally often: variance = 5/16.
  assert.ok(Math.abs(stats.result().std! - Math.sqrt(5 / 16)) < 1e-9);
});

test('NaN and infinities are counted and left out; an all-NaN tensor has no mean', () => {
  const stats = new StatsAccumulator();
  stats.add(Float32Array.of(NaN, 1, Infinity, 3, -Infinity));
  const r = stats.result();
  assert.equal(r.nonFinite, 3);
  assert.equal(r.mean, 2);
  assert.equal(r.max, 3);
  const empty = new StatsAccumulator();
  empty.add(Float32Array.of(NaN));
  assert.equal(empty.result().mean, null);
  assert.equal(empty.result().nonFinite, 1);
});
