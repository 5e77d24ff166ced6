import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareCheckpoints } from '../../../src/engine/compare/compareCheckpoints';
import { openData } from '../../../src/engine/compare/loadData';
import { loadCheckpointPair } from '../../../src/engine/compare/loadPair';
import { firstSamples } from '../../../src/engine/compare/loadData';
import { alphaGrid } from '../../../src/engine/metrics/interpolation';
import { PathEvaluator } from '../../../src/engine/metrics/pathEvaluator';
import { helperScript } from '../../../src/engine/parallel/helperPool';
import type { CompareReport } from '../../../src/shared/compareReport';
import { fixture } from '../../helpers/paths';

const EVAL = fixture('compare', 'eval.npz');
const resnet = { a: fixture('conv', 'resnet_a.pt'), b: fixture('conv', 'resnet_b.pt'), data: EVAL };

/** The report without what differs between two runs: the clock. */
function measured(report: CompareReport) {
  return { ...report, createdAt: undefined, methods: Object.fromEntries(Object.entries(report.methods).map(([name, m]) => [name, { ...m, seconds: undefined }])) };
}

test('the compute helper bundle is built beside the engine\'s bundles', () => {
  assert.match(helperScript() ?? 'none', /dist[/\\]compute\.js$/);
});

test('with helper threads a ResNet comparison measures exactly what one thread does, BatchNorm reset included; progress still rises to 1', async () => {
  const choices = { ...resnet, methods: ['naive', 'weight'] as const, alphas: 5, fitSamples: 200, llfcSamples: 50 };
  const fractions: number[] = [];
  const stages: string[] = [];
  const [one, two] = [
    await compareCheckpoints({ ...choices, methods: [...choices.methods] }, { threads: 1 }),
    await compareCheckpoints({ ...choices, methods: [...choices.methods] }, {
      threads: 2,
      onProgress: (stage, fraction) => {
        stages.push(stage);
        fractions.push(fraction);
      },
    }),
  ];
  assert.ok(one.report.methods.weight!.layerBarriers.length > 5);
  assert.equal(one.report.bnReset, true);
  assert.deepEqual(measured(two.report), measured(one.report));
  fractions.forEach((f, i) => assert.ok(i === 0 || f >= fractions[i - 1]!, `fraction fell at '${stages[i]}'`));
  assert.equal(fractions.at(-1), 1);
  assert.ok(stages.some((s) => /per-layer barriers: layer \d+\/\d+ .*BatchNorm reset/.test(s)));
});

test('a cancelled measurement stops its helpers at once, and the evaluator measures again with fresh ones', async () => {
  const pair = await loadCheckpointPair(resnet.a, resnet.b, { activation: 'relu', sample: { shape: [1, 28, 28], file: null } });
  const { evaluation } = await openData(EVAL, EVAL);
  const fit = firstSamples(evaluation, 200);
  const evaluator = PathEvaluator.create(pair.network, pair.a.params, evaluation, { fit, bnReset: true, threads: 2, backend: 'auto' });
  try {
    const alphas = alphaGrid(5);
    const abort = new AbortController();
    let aborted = false;
    let settled = false;
    let lateReports = 0;
    const run = evaluator.measure(pair.b.params, {
      alphas, layerBarriers: true, llfcSamples: 0, signal: abort.signal,
      onProgress: (stage) => {
        if (settled) lateReports++;
        if (!aborted && stage.startsWith('per-layer barriers')) {
          aborted = true;
          abort.abort();
        }
      },
    });
    await assert.rejects(run, { name: 'AbortError' });
    settled = true;
    // A helper still running would go on reporting its batches.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(lateReports, 0);
    const again = await evaluator.measure(pair.b.params, { alphas, layerBarriers: true, llfcSamples: 0 });
    const single = PathEvaluator.create(pair.network, pair.a.params, evaluation, { fit, bnReset: true });
    try {
      assert.deepEqual(again, await single.measure(pair.b.params, { alphas, layerBarriers: true, llfcSamples: 0 }));
    } finally {
      single.dispose();
    }
  } finally {
    evaluator.dispose();
  }
});
