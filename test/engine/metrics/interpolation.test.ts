import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alphaGrid, interpolateParams } from '../../../src/engine/metrics/interpolation';
import type { Tensor32 } from '../../../src/engine/model/params';

const a = new Map<string, Tensor32>([
  ['w', { shape: [2, 2], data: Float32Array.from([0.1, -2, 3.3, 1e-8]) }],
  ['b', { shape: [2], data: Float32Array.from([7, 7]) }],
]);
const b = new Map<string, Tensor32>([
  ['w', { shape: [2, 2], data: Float32Array.from([0.7, 5, -1.9, 3e7]) }],
  ['b', { shape: [2], data: Float32Array.from([7, -1]) }],
]);

test('the α grid runs evenly from 0 to 1', () => {
  assert.deepEqual(alphaGrid(2), [0, 1]);
  assert.deepEqual(alphaGrid(5), [0, 0.25, 0.5, 0.75, 1]);
  const grid = alphaGrid();
  assert.equal(grid.length, 25);
  assert.equal(grid[12], 0.5);
  assert.equal(grid[24], 1);
  assert.throws(() => alphaGrid(1), /at least 2 points/);
});

test('the endpoints are A and B exactly', () => {
  const at0 = interpolateParams(a, b, 0);
  const at1 = interpolateParams(a, b, 1);
  for (const name of ['w', 'b']) {
    assert.deepEqual(at0.get(name), a.get(name));
    assert.deepEqual(at1.get(name), b.get(name));
    assert.notEqual(at0.get(name)!.data, a.get(name)!.data, 'a copy, not the same array');
  }
});

test('interior points are (1−α)·A + α·B, and exactly A where A and B agree', () => {
  const mid = interpolateParams(a, b, 0.25);
  const expected = [0.75 * 0.1 + 0.25 * 0.7, 0.75 * -2 + 0.25 * 5, 0.75 * 3.3 + 0.25 * -1.9, 0.75 * 1e-8 + 0.25 * 3e7];
  mid.get('w')!.data.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) <= 1e-6 * Math.max(1, Math.abs(expected[i]!))));
  assert.deepEqual(Array.from(mid.get('b')!.data), [7, 5]);
  for (const alpha of alphaGrid()) assert.equal(interpolateParams(a, b, alpha).get('b')!.data[0], 7);
});

test('parameters that do not pair up are refused', () => {
  assert.throws(() => interpolateParams(a, new Map([['w', b.get('w')!]]), 0.5), /'b' is in A's parameters but not in B's/);
  const wrong = new Map(b);
  wrong.set('b', { shape: [1, 2], data: Float32Array.from([1, 2]) });
  assert.throws(() => interpolateParams(a, wrong, 0.5), /'b' has shape \[2\] in A and \[1, 2\] in B/);
  assert.throws(() => interpolateParams(a, b, NaN), /α must be finite/);
});
