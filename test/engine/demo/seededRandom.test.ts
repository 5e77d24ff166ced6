import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../../src/engine/demo/seededRandom';

test('the same seed gives the same sequence; neighbouring seeds give unrelated ones', () => {
  const draw = (seed: number) => Array.from({ length: 8 }, ((r) => () => r.nextUint32())(new SeededRandom(seed)));
  assert.deepEqual(draw(1), draw(1));
  const [a, b] = [draw(1), draw(2)];
  assert.equal(a.filter((v, i) => v === b[i]).length, 0);
});

test('uniform draws fill [0, 1) evenly: ten bins within 5% of their share over 100,000 draws', () => {
  const random = new SeededRandom(7);
  const bins = new Array<number>(10).fill(0);
  for (let i = 0; i < 100_000; i++) {
    const v = random.next();
    assert.ok(v >= 0 && v < 1);
    bins[Math.floor(v * 10)]! += 1;
  }
  for (const count of bins) assert.ok(Math.abs(count - 10_000) < 500, `bin count ${count}`);
});

test('permutation holds every index once, and every position sees every value (no fixed bias)', () => {
  const n = 5;
  const seen = Array.from({ length: n }, () => new Set<number>());
  const random = new SeededRandom(3);
  for (let trial = 0; trial < 200; trial++) {
    const order = random.permutation(n);
    assert.deepEqual([...order].sort(), [0, 1, 2, 3, 4]);
    order.forEach((value, position) => seen[position]!.add(value));
  }
  for (const values of seen) assert.equal(values.size, n);
});
