import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareCheckpoints } from '../../../src/engine/compare/compareCheckpoints';
import type { CompareChoices } from '../../../src/engine/compare/resolveRequest';
import { InputError } from '../../../src/engine/io/inputError';
import { fixture } from '../../helpers/paths';

const base: CompareChoices = {
  a: fixture('compare', 'a.pt'),
  b: fixture('compare', 'b.pt'),
  methods: ['naive', 'weight'],
  alphas: 5,
  activation: 'relu',
  backend: 'auto',
  seed: 0,
  fitSamples: 300,
  llfcSamples: 300,
};

test('weights only: the same permutations, costs and Dim(S) as with data, and nothing measured along the path', async () => {
  const stages: [string, number][] = [];
  const { report } = await compareCheckpoints({ ...base, data: null }, { onProgress: (stage, fraction) => stages.push([stage, fraction]) });
  const { report: withData } = await compareCheckpoints({ ...base, data: fixture('compare', 'eval.npz') });
  assert.equal(report.data, null);
  assert.equal(report.equivalenceInputs, 'random');
  assert.equal(withData.equivalenceInputs, 'evaluation');
  for (const method of ['naive', 'weight'] as const) {
    const m = report.methods[method]!;
    const d = withData.methods[method]!;
    assert.equal(m.path, null);
    assert.equal(m.barrier, null);
    assert.deepEqual(m.layerBarriers, []);
    assert.deepEqual(m.llfc, []);
    assert.ok(m.equivalent, `${method} equivalence on random inputs`);
    assert.ok(m.equivalenceError < 1e-5);
    // Weight matching never looks at data, so both runs must find exactly the same permutations.
    assert.deepEqual(m.matching.map((g) => g.permutation), d.matching.map((g) => g.permutation), method);
    assert.deepEqual(m.matching.map((g) => g.unitCosts), d.matching.map((g) => g.unitCosts), method);
    for (const g of m.matching) {
      assert.equal(g.correlationBefore, null);
      assert.equal(g.correlationAfter, null);
    }
    assert.deepEqual(m.details, d.details);
  }
  assert.deepEqual(report.dimS, withData.dimS);
  assert.ok(withData.methods.weight!.matching[0]!.correlationAfter !== null);

  assert.ok(stages.some(([s]) => s === 'weight matching: sweep 1'), stages.map(([s]) => s).join(' | '));
  assert.ok(!stages.some(([s]) => /path|barrier/.test(s)));
  assert.deepEqual(stages.at(-1), ['done', 1]);
  assert.equal(stages[0]![1], 0);
  stages.forEach(([, f], i) => assert.ok(i === 0 || f >= stages[i - 1]![1], `fraction fell at ${stages[i]![0]}`));
});

test('activation or covariance matching without data is refused before any file is read, saying what they need', async () => {
  for (const methods of [['activation'], ['naive', 'covariance'], ['activation', 'covariance']] as const) {
    await assert.rejects(compareCheckpoints({ ...base, a: '/no/such/a.pt', methods, data: null }), (error: unknown) => {
      assert.ok(error instanceof InputError, String(error));
      assert.match(error.message, /matching fits? on data, and none was given: choose evaluation \(or fit\) data, or compare weights only with naive and weight/);
      assert.match(error.message, new RegExp(`^${methods.filter((m) => m !== 'naive').join(' and ')} matching`));
      return true;
    });
  }
  await assert.rejects(compareCheckpoints({ ...base, data: null, fitData: fixture('compare', 'eval.npz') }), (error: unknown) =>
    error instanceof InputError && /fit data \(eval\.npz\) was given without evaluation data/.test(error.message));
});
