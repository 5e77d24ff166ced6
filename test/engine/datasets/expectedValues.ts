import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Dataset } from '../../../src/engine/datasets/dataset';
import { fixture } from '../../helpers/paths';

/** What make_fixtures.py computed with NumPy for one fixture. */
interface Expected {
  readonly count: number;
  readonly inputShape: number[];
  readonly numClasses: number;
  readonly labels: number[];
  readonly head: number[];
  readonly tail: number[];
  readonly probes: Array<[number, number]>;
  readonly sum: number;
}

const all = JSON.parse(readFileSync(fixture('datasets', 'expected.json'), 'utf8')) as Record<string, Expected>;

/** Compares a dataset against NumPy's values: exactly, as float32, value by value. */
export function assertMatchesExpected(dataset: Dataset, key: string): void {
  const want = all[key];
  assert.ok(want, `expected.json has no entry '${key}'`);
  assert.equal(dataset.count, want.count);
  assert.deepEqual(dataset.inputShape, want.inputShape);
  assert.equal(dataset.numClasses, want.numClasses);
  assert.deepEqual(Array.from(dataset.labels), want.labels);
  const size = want.inputShape.reduce((a, b) => a * b, 1);
  assert.equal(dataset.inputs.length, want.count * size);
  assert.deepEqual(Array.from(dataset.inputs.subarray(0, 32)), want.head.map(Math.fround));
  assert.deepEqual(Array.from(dataset.inputs.subarray(-32)), want.tail.map(Math.fround));
  for (const [at, value] of want.probes) assert.equal(dataset.inputs[at], Math.fround(value), `input value at flat index ${at}`);
  let sum = 0;
  for (const v of dataset.inputs) sum += v;
  assert.ok(Math.abs(sum - want.sum) <= 1e-9 * Math.max(1, Math.abs(want.sum)), `sum of inputs ${sum}, NumPy says ${want.sum}`);
}
