// The merged model an export writes must compute what the comparison measured at α. The
// comparison measures with BatchNorm statistics recomputed and REPAIR layers inserted on the
// backend; the merged model holds the statistics as plain running statistics and REPAIR folded
// into weights, and here it is run in eval mode by the plain forward pass: two computations
// that agree only if the folding is right.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareCheckpoints } from '../../../src/engine/compare/compareCheckpoints';
import { openDataset } from '../../../src/engine/datasets/openDataset';
import { InputError } from '../../../src/engine/io/inputError';
import { crossEntropy } from '../../../src/engine/metrics/classification';
import { mergedModel } from '../../../src/engine/metrics/mergedModel';
import { forwardNetwork } from '../../../src/engine/model/forward';
import type { MethodName } from '../../../src/shared/compareReport';
import { fixture } from '../../helpers/paths';

const EVAL = fixture('compare', 'eval.npz');
const ALPHA = 0.5;

const cases: { network: string; a: string; b: string; method: MethodName; bnReset: boolean }[] = [
  { network: 'VGG', a: fixture('conv', 'vgg_a.pt'), b: fixture('conv', 'vgg_b.pt'), method: 'weight', bnReset: true },
  { network: 'ResNet', a: fixture('conv', 'resnet_a.pt'), b: fixture('conv', 'resnet_b.pt'), method: 'weight+repair', bnReset: false },
  { network: 'ResNet', a: fixture('conv', 'resnet_a.pt'), b: fixture('conv', 'resnet_b.pt'), method: 'activation+repair', bnReset: true },
  { network: 'MLP', a: fixture('compare', 'a.pt'), b: fixture('compare', 'b.pt'), method: 'weight+repair', bnReset: false },
];

for (const { network, a, b, method, bnReset } of cases) {
  test(`${network}, ${method}, BatchNorm reset ${bnReset ? 'on' : 'off'}: the merged model at α = ${ALPHA} has the loss the comparison measured there`, async () => {
    const comparison = await compareCheckpoints({
      a, b, data: EVAL, methods: [method], alphas: 3, activation: 'relu', backend: 'auto', seed: 0, bnReset, layerBarriers: false, fitSamples: 400, llfcSamples: 0,
    });
    const { report, pair, aligned, fit } = comparison;
    assert.equal(report.alphas[1], ALPHA);
    const measured = report.methods[method]!.path!.loss[1]!;
    const data = await openDataset(EVAL);
    const classes = report.architecture.outputSize;
    const lossOf = async (params: typeof pair.a.params) => {
      const { logits } = await forwardNetwork(pair.network, params, data.inputs, data.count);
      return crossEntropy(logits, data.labels.subarray(0, data.count), classes);
    };

    const merged = await mergedModel(pair.network, pair.a.params, aligned.get(method)!, ALPHA, { fit: fit!, bnReset, repair: method.endsWith('+repair') });
    assert.equal(merged.repaired, method.endsWith('+repair'));
    assert.equal(merged.batchNorm, network === 'MLP' ? null : bnReset ? 'reset' : 'interpolated');
    const loss = await lossOf(merged.params);
    assert.ok(Math.abs(loss - measured) <= 1e-3 * measured, `merged model's loss ${loss} vs the comparison's ${measured}`);

    // Without the correction the merge is another network: the test can tell the two apart.
    const plain = await lossOf((await mergedModel(pair.network, pair.a.params, aligned.get(method)!, ALPHA, null)).params);
    assert.ok(Math.abs(plain - measured) > 0.02 * measured, `the uncorrected merge's loss ${plain} is not the corrected ${measured}`);
  });
}

test('REPAIR cannot fold into a layer without a bias: refused as an input error naming it', async () => {
  const comparison = await compareCheckpoints({
    a: fixture('compare', 'a.pt'), b: fixture('compare', 'b.pt'), data: EVAL, methods: ['naive'], alphas: 3, activation: 'relu', backend: 'auto', seed: 0, layerBarriers: false, fitSamples: 100, llfcSamples: 0,
  });
  const { pair, fit } = comparison;
  const first = pair.network.nodes[0]!;
  assert.equal(first.op, 'linear');
  const network = { ...pair.network, nodes: pair.network.nodes.map((n, i) => (i === 0 && n.op === 'linear' ? { ...n, bias: null } : n)) };
  await assert.rejects(
    mergedModel(network, pair.a.params, pair.b.params, ALPHA, { fit: fit!, bnReset: false, repair: true }),
    (error: unknown) => error instanceof InputError && new RegExp(`'${first.id}' has no bias`).test(error.message),
  );
});
