// Convolutional comparisons on real PyTorch-trained networks (a VGG with BatchNorm, a ResNet with
// a stride-2 stage) against the independent PyTorch reference, test/reference/make_conv_reference.py:
// barriers with and without BatchNorm reset, with REPAIR and its variance collapse, within 2%.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { compareCheckpoints } from '../../../src/engine/compare/compareCheckpoints';
import { givenPermutations } from '../../../src/engine/compare/givenPermutations';
import { loadCheckpointPair } from '../../../src/engine/compare/loadPair';
import { initBackend } from '../../../src/engine/backend/tfBackend';
import { featurePoints, networkChannelSpaces } from '../../../src/engine/model/networkSpaces';
import { forwardNetwork } from '../../../src/engine/model/forward';
import { derivePermutationSpec } from '../../../src/engine/model/permutationSpec';
import { openDataset } from '../../../src/engine/datasets/openDataset';
import { barriers } from '../../../src/engine/metrics/barriers';
import { PathEvaluator } from '../../../src/engine/metrics/pathEvaluator';
import { applyPermutation } from '../../../src/engine/model/applyPermutation';
import { fixture } from '../../helpers/paths';

const expected = JSON.parse(readFileSync(fixture('conv', 'expected.json'), 'utf8'));
const EVAL = fixture('compare', 'eval.npz');
const SAMPLES = 600;
/** The reference's α grid is 11 points; the paths measured with the reference's permutations use five of them. */
const SUBSET = [0, 3, 5, 7, 10];

/** Within 2% relative, or 1e-4 for values near 0 (float32 against float64). */
function within2(actual: number, want: number, what: string): void {
  assert.ok(Math.abs(actual - want) <= Math.max(0.02 * Math.abs(want), 1e-4), `${what}: ${actual} vs reference ${want}`);
}

/** A sample or two may flip between float32 and float64 logits. */
function accuracyClose(actual: number, want: number, what: string): void {
  assert.ok(Math.abs(actual - want) <= 2 / SAMPLES + 1e-9, `${what}: ${actual} vs reference ${want}`);
}

/** Per group, the units of A and of B that are constant on the evaluation data at every feature point. */
async function deadUnits(a: string, b: string): Promise<{ dead: { a: Set<number>[]; b: Set<number>[] } }> {
  await initBackend();
  const data = await openDataset(EVAL);
  const pair = await loadCheckpointPair(a, b, { activation: 'relu', sample: { shape: data.inputShape, file: EVAL } });
  const spec = derivePermutationSpec(networkChannelSpaces(pair.network));
  const points = featurePoints(pair.network, spec);
  const constant = async (params: typeof pair.a.params) => {
    const { captured } = await forwardNetwork(pair.network, params, data.inputs, SAMPLES, { capture: points.flat() });
    let k = 0;
    return points.map((list, g) => {
      const n = spec.groups[g]!.size;
      const live = new Set<number>();
      for (const _ of list) {
        const values = captured[k++]!;
        for (let u = 0; u < n; u++) {
          for (let r = n + u; r < values.length; r += n) if (values[r] !== values[u]) live.add(u);
        }
      }
      return new Set(Array.from({ length: n }, (_, u) => u).filter((u) => !live.has(u)));
    });
  };
  return { dead: { a: await constant(pair.a.params), b: await constant(pair.b.params) } };
}

interface ReferencePath {
  loss: number[];
  accuracy: number[];
  barrier: { loss: number; accuracy: number };
  varianceCollapse?: { layer: string; before: number; after: number }[];
}

for (const name of ['vgg', 'resnet'] as const) {
  const ref = expected.networks[name];
  const a = fixture('conv', ref.checkpoints.a);
  const b = fixture('conv', ref.checkpoints.b);

  test(`${name}: compare with BatchNorm reset agrees with the reference; alignment lowers the barrier well below naive`, async () => {
    const { report } = await compareCheckpoints({
      a, b, data: EVAL, methods: ['naive', 'weight', 'activation'], alphas: 11, activation: 'relu', backend: 'auto', seed: 0,
      fitSamples: SAMPLES, llfcSamples: 100, layerBarriers: false,
    });
    assert.equal(report.architecture.kind, 'conv');
    assert.deepEqual(report.architecture.inputShape, [1, 28, 28]);
    assert.equal(report.bnReset, true);
    assert.deepEqual(report.groups.map((g) => g.name), ref.groups);
    for (const method of ['naive', 'weight', 'activation'] as const) assert.ok(report.methods[method]!.equivalent, `${method} equivalence`);
    const naive = report.methods.naive!;
    within2(naive.barrier!.loss, ref.paths.naive.reset.barrier.loss, 'naive loss barrier (reset)');
    accuracyClose(naive.barrier!.accuracy, ref.paths.naive.reset.barrier.accuracy, 'naive accuracy barrier (reset)');
    naive.path!.loss.forEach((v, i) => within2(v, ref.paths.naive.reset.loss[i], `naive loss at α ${report.alphas[i]}`));
    // Weight matching, from the default number of group orders, reaches a local optimum at least as good as the reference's.
    const weight = report.methods.weight!;
    assert.ok(Number(weight.details.objective) >= ref.weight.objective * (1 - 1e-6), `objective ${weight.details.objective} vs ${ref.weight.objective}`);
    // Activation matching solves one assignment per group: the same permutations, but where a unit is
    // constant on the fit data (a dead ReLU: correlation 0 with every unit, so any partner ties).
    const activation = report.methods.activation!;
    const { dead } = await deadUnits(a, b);
    let units = 0;
    let same = 0;
    activation.matching.forEach((m, g) => {
      const wanted = ref.permutations.activation[m.layer] as number[];
      m.permutation.forEach((p, i) => {
        if (dead.a[g]!.has(i) || dead.b[g]!.has(wanted[i]!) || dead.b[g]!.has(p)) return;
        units++;
        if (p === wanted[i]) same++;
      });
    });
    assert.ok(units > 50 && same >= 0.95 * units, `${same} of ${units} live units matched as the reference does`);
    for (const method of [weight, activation]) {
      assert.ok(method.barrier!.loss < naive.barrier!.loss / 2, `${method.method} barrier ${method.barrier!.loss} vs naive ${naive.barrier!.loss}`);
    }
    assert.ok(activation.llfc.length > 0 && activation.llfc.every((l) => l.cosine.length === 11 && Number.isFinite(l.baseline)));
  });

  test(`${name}: the reference's permutations measured here, BatchNorm reset on and off, with and without REPAIR`, async () => {
    await initBackend();
    const data = await openDataset(EVAL);
    const pair = await loadCheckpointPair(a, b, { activation: 'relu', sample: { shape: data.inputShape, file: EVAL } });
    const spec = derivePermutationSpec(networkChannelSpaces(pair.network));
    const alphas = SUBSET.map((k) => expected.alphas[k] as number);
    const fit = { inputs: data.inputs, count: SAMPLES };
    const evaluation = { inputs: data.inputs, labels: data.labels, count: SAMPLES };
    const cases: [string, boolean, boolean][] = [
      ['naive', false, false], ['weight', true, false], ['weight', false, false], ['activation', true, false],
      ['weight', true, true], ['activation', false, true], ['naive', false, true],
    ];
    const measured = new Map<string, number>();
    for (const bnReset of [true, false]) {
      const evaluator = PathEvaluator.create(pair.network, pair.a.params, evaluation, { fit, bnReset });
      try {
        for (const [method, reset, repair] of cases.filter((c) => c[1] === bnReset)) {
          const perms = givenPermutations(spec, spec.groups.map((g) => ref.permutations[method][g.name]), b);
          const result = await evaluator.measure(applyPermutation(pair.b.params, spec, perms), { alphas, layerBarriers: false, llfcSamples: 0, repair });
          const key = repair ? `${method}+repair` : method;
          const want: ReferencePath = ref.paths[key][reset ? 'reset' : 'noReset'];
          const where = `${key} (${reset ? 'reset' : 'no reset'})`;
          result.path.loss.forEach((v, i) => within2(v, want.loss[SUBSET[i]!]!, `${where} loss at α ${alphas[i]}`));
          result.path.accuracy.forEach((v, i) => accuracyClose(v, want.accuracy[SUBSET[i]!]!, `${where} accuracy at α ${alphas[i]}`));
          const wantBarrier = barriers(alphas, { loss: SUBSET.map((k) => want.loss[k]!), accuracy: SUBSET.map((k) => want.accuracy[k]!) });
          within2(result.barrier.loss, wantBarrier.loss, `${where} loss barrier`);
          if (repair) {
            assert.deepEqual(result.varianceCollapse!.map((v) => v.layer), want.varianceCollapse!.map((v) => v.layer));
            result.varianceCollapse!.forEach((v, k) => {
              within2(v.before, want.varianceCollapse![k]!.before, `${where} ${v.layer} collapse before`);
              within2(v.after, want.varianceCollapse![k]!.after, `${where} ${v.layer} collapse after`);
            });
          }
          measured.set(`${where}`, result.barrier.loss);
        }
      } finally {
        evaluator.dispose();
      }
    }
    if (name === 'resnet') {
      // Without BatchNorm reset the interpolated ResNet's variance collapses, and REPAIR repairs it.
      assert.ok(measured.get('naive+repair (no reset)')! < measured.get('naive (no reset)')! * 0.8, JSON.stringify([...measured]));
    }
  });
}
