import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bestMethod } from '../../src/shared/bestMethod';
import type { MethodResult } from '../../src/shared/compareReport';

function method(name: MethodResult['method'], loss: number | null, equivalent = true): MethodResult {
  return {
    method: name,
    path: null,
    barrier: loss === null ? null : { loss, accuracy: 0 },
    layerBarriers: [],
    llfc: [],
    conditions: null,
    matching: [],
    equivalent,
    equivalenceError: 0,
    seconds: 0,
    details: {},
  };
}

const report = (...methods: MethodResult[]) => ({ methods: Object.fromEntries(methods.map((m) => [m.method, m])) });

test('bestMethod takes the lowest loss barrier among valid alignments, never naive', () => {
  assert.equal(bestMethod(report(method('naive', 0), method('weight', 0.3), method('activation', 0.1), method('covariance', 0.2))), 'activation');
});

test('bestMethod skips alignments that failed the equivalence check, and NaN barriers', () => {
  assert.equal(bestMethod(report(method('weight', 0.3), method('activation', 0.1, false), method('covariance', Number.NaN))), 'weight');
  assert.equal(bestMethod(report(method('naive', 0), method('weight', 0.1, false))), undefined);
});

test('bestMethod keeps the report order when there are no barriers (weights only)', () => {
  assert.equal(bestMethod(report(method('naive', null), method('weight', null))), 'weight');
});
