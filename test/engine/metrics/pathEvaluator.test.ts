import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend, tf } from '../../../src/engine/backend/tfBackend';
import { accuracy, crossEntropy } from '../../../src/engine/metrics/classification';
import { alphaGrid, interpolateParams } from '../../../src/engine/metrics/interpolation';
import { PathEvaluator, type EvaluationData, type EvaluatorOptions, type MeasureOptions, type PathMeasurement } from '../../../src/engine/metrics/pathEvaluator';
import type { MlpArchitecture } from '../../../src/engine/model/mlp';
import type { Network } from '../../../src/engine/model/network';
import type { Params, Tensor32 } from '../../../src/engine/model/params';
import { applyPermutation } from '../../../src/engine/model/applyPermutation';
import { mlpNetwork } from '../../../src/engine/model/mlpNetwork';
import { networkChannelSpaces } from '../../../src/engine/model/networkSpaces';
import { derivePermutationSpec } from '../../../src/engine/model/permutationSpec';
import { mlpArchitecture, mlpForward, randomInputs, randomParams, referenceForward, seededRandom, shuffled } from '../model/mlpTestModels';

/** One B against A, everything measured unless the test says otherwise (no BatchNorm here, so no fit data). */
async function measurePath(
  network: Network,
  paramsA: Params,
  paramsB: Params,
  data: EvaluationData,
  options: Partial<MeasureOptions & EvaluatorOptions> & { alphas: readonly number[] },
): Promise<PathMeasurement> {
  const evaluator = PathEvaluator.create(network, paramsA, data, { fit: null, bnReset: false, ...options });
  try {
    return await evaluator.measure(paramsB, { layerBarriers: true, llfcSamples: data.count, ...options });
  } finally {
    evaluator.dispose();
  }
}

const architecture = mlpArchitecture([10, 12, 9, 8, 4], 'relu');
const network = mlpNetwork(architecture);
const paramsA = randomParams(architecture, 1, 2);
// The last sample is all zeros: with negative first-layer biases, its fc1 features vanish.
paramsA.get('fc1.bias')!.data.forEach((v, i, d) => (d[i] = -Math.abs(v) - 0.1));
// B computes the same function with its hidden units shuffled: the naive path between two
// such networks leaves the low-loss region, so the barriers are real.
const random = seededRandom(4);
const spec = derivePermutationSpec(networkChannelSpaces(mlpNetwork(architecture)));
const paramsB = applyPermutation(paramsA, spec, spec.groups.map((g) => shuffled(g.size, random)));
const count = 37;
const inputs = randomInputs(count, 10, 3);
inputs.fill(0, (count - 1) * 10);
// Labels are A's own predictions (so also B's): accuracy 1 at both ends.
const labels = Int32Array.from(referenceForward(architecture, paramsA, inputs, count).logits, (row) => row.indexOf(Math.max(...row)));
const data = { inputs, labels, count };
const alphas = alphaGrid(5);

/** Loss and accuracy of one network on the data, through the plain forward pass. */
async function score(params: Params): Promise<{ loss: number; accuracy: number }> {
  const { logits } = await mlpForward(architecture, params, inputs, count);
  return { loss: crossEntropy(logits, labels, 4), accuracy: accuracy(logits, labels, 4) };
}

function assertClose(actual: readonly number[], expected: readonly number[], tolerance: number, what: string): void {
  assert.equal(actual.length, expected.length, what);
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) <= tolerance, `${what}[${i}]: ${v} vs ${expected[i]}`));
}

let measured: PathMeasurement;

test('the path matches interpolated networks run directly (the first-layer shortcut included)', async () => {
  await initBackend('wasm');
  measured = await measurePath(network, paramsA, paramsB, data, { alphas, batchSize: 8 });
  assert.deepEqual(measured.alphas, alphas);
  const direct = await Promise.all(alphas.map((alpha) => score(interpolateParams(paramsA, paramsB, alpha))));
  assertClose(measured.path.loss, direct.map((d) => d.loss), 1e-5, 'loss');
  assert.deepEqual(measured.path.accuracy, direct.map((d) => d.accuracy));
  // The endpoints are A and B themselves.
  const [a, b] = [await score(paramsA), await score(paramsB)];
  assertClose([measured.path.loss[0]!, measured.path.loss[4]!], [a.loss, b.loss], 1e-6, 'endpoints');
  assert.equal(measured.path.accuracy[0], 1);
  assert.equal(measured.path.accuracy[4], 1);
  assert.ok(measured.barrier.loss > 0.1 && measured.barrier.accuracy > 0.1, `barriers ${JSON.stringify(measured.barrier)}`);
});

test('per-layer barriers match networks with only that layer interpolated', async () => {
  assert.deepEqual(measured.layerBarriers.map((l) => l.layer), ['fc1', 'fc2', 'fc3', 'fc4']);
  for (const [l, layer] of architecture.layers.entries()) {
    const direct = await Promise.all(
      alphas.map((alpha) => {
        const mixed = interpolateParams(paramsA, paramsB, alpha);
        const params = new Map(paramsA);
        for (const name of [layer.weight, layer.bias!]) params.set(name, mixed.get(name)!);
        return score(params);
      }),
    );
    const result = measured.layerBarriers[l]!;
    assertClose(result.path.loss, direct.map((d) => d.loss), 1e-5, `${layer.name} loss`);
    assert.deepEqual(result.path.accuracy, direct.map((d) => d.accuracy), `${layer.name} accuracy`);
    // Only this layer moves, so α = 0 is A.
    assert.equal(result.path.loss[0], measured.path.loss[0]);
    // The barrier follows from the path by the definition, recomputed here.
    const excess = result.path.loss.map((v, i) => v - ((1 - alphas[i]!) * result.path.loss[0]! + alphas[i]! * result.path.loss[4]!));
    assert.ok(Math.abs(result.loss - Math.max(...excess)) < 1e-12);
  }
});

test('a layer that A and B share has a per-layer barrier of exactly 0', async () => {
  const shared = new Map(paramsB);
  for (const name of ['fc2.weight', 'fc2.bias']) shared.set(name, paramsA.get(name)!);
  const result = await measurePath(network, paramsA, shared, data, { alphas: alphaGrid(7), batchSize: 8 });
  const fc2 = result.layerBarriers[1]!;
  assert.equal(fc2.loss, 0);
  assert.equal(fc2.accuracy, 0);
  assert.deepEqual(fc2.path.loss, fc2.path.loss.map(() => result.path.loss[0]));
  assert.ok(result.layerBarriers[0]!.loss > 0);
});

/** LLFC in double precision, straight from the definitions, on the first `samples` samples. */
function directLlfc(arch: MlpArchitecture, a: Params, b: Params, samples: number) {
  const features = (params: Params) => referenceForward(arch, params, inputs, samples).features;
  const [fA, fB] = [features(a), features(b)];
  const dot = (u: number[], v: number[]) => u.reduce((s, x, i) => s + x * v[i]!, 0);
  const cosMean = (fs: number[][], gs: number[][]) => {
    const cos = fs.flatMap((f, s) => (dot(f, f) === 0 || dot(gs[s]!, gs[s]!) === 0 ? [] : [dot(f, gs[s]!) / Math.sqrt(dot(f, f) * dot(gs[s]!, gs[s]!))]));
    return { value: cos.reduce((x, y) => x + y, 0) / cos.length, used: cos.length };
  };
  const perAlpha = alphas.map((alpha) => {
    const fAlpha = features(interpolateParams(a, b, alpha));
    return fAlpha.map((layer, l) => {
      const mix = layer.map((_, s) => fA[l]![s]!.map((x, i) => (1 - alpha) * x + alpha * fB[l]![s]![i]!));
      const scales = layer.flatMap((f, s) => (dot(mix[s]!, mix[s]!) === 0 ? [] : [dot(f, mix[s]!) / dot(mix[s]!, mix[s]!)]));
      return { cosine: cosMean(layer, mix), scale: scales.reduce((x, y) => x + y, 0) / scales.length };
    });
  });
  return fA.map((_, l) => ({
    cosine: perAlpha.map((p) => p[l]!.cosine.value),
    used: perAlpha.map((p) => p[l]!.cosine.used),
    scale: perAlpha.map((p) => p[l]!.scale),
    baseline: cosMean(fA[l]!, fB[l]!).value,
  }));
}

test('LLFC matches a direct double-precision computation, zero feature vectors left out', async () => {
  const expected = directLlfc(architecture, paramsA, paramsB, count);
  // The all-zero sample (at least) has no fc1 features at any α: it is skipped there.
  assert.ok(expected[0]!.used.every((used) => used < count && used > count / 2), `${expected[0]!.used}`);
  assert.deepEqual(measured.llfc.map((l) => l.layer), ['fc1', 'fc2', 'fc3']);
  measured.llfc.forEach((layer, l) => {
    assertClose(layer.cosine, expected[l]!.cosine, 1e-5, `${layer.layer} cosine`);
    assertClose(layer.scale, expected[l]!.scale, 1e-5, `${layer.layer} scale`);
    assert.ok(Math.abs(layer.baseline - expected[l]!.baseline) < 1e-5);
    // At the endpoints the network is an endpoint, so the features are the mix exactly.
    assertClose([layer.cosine[0]!, layer.cosine[4]!, layer.scale[0]!, layer.scale[4]!], [1, 1, 1, 1], 1e-6, 'endpoints');
  });
  // Between them, a random pair's features leave the line.
  assert.ok(Math.min(...measured.llfc.map((l) => l.cosine[2]!)) < 0.99);
});

test('LLFC on a capped sample count uses the first samples only', async () => {
  const capped = await measurePath(network, paramsA, paramsB, data, { alphas, batchSize: 8, llfcSamples: 20, layerBarriers: false });
  assert.deepEqual(capped.layerBarriers, []);
  assert.deepEqual(capped.path, measured.path);
  const expected = directLlfc(architecture, paramsA, paramsB, 20);
  capped.llfc.forEach((layer, l) => {
    assertClose(layer.cosine, expected[l]!.cosine, 1e-5, `${layer.layer} cosine`);
    assertClose(layer.scale, expected[l]!.scale, 1e-5, `${layer.layer} scale`);
  });
});

test('a layer whose features are all zero has NaN LLFC', async () => {
  const arch = mlpArchitecture([3, 4, 2], 'relu');
  const dead = (seed: number): Map<string, Tensor32> => {
    const params = randomParams(arch, seed);
    params.set('fc1.weight', { shape: [4, 3], data: new Float32Array(12) });
    params.set('fc1.bias', { shape: [4], data: new Float32Array(4).fill(-1) });
    return params;
  };
  const result = await measurePath(mlpNetwork(arch), dead(1), dead(2), { inputs: randomInputs(5, 3, 1), labels: new Int32Array(5), count: 5 }, { alphas });
  const [fc1] = result.llfc;
  assert.ok(fc1!.cosine.every(Number.isNaN) && fc1!.scale.every(Number.isNaN) && Number.isNaN(fc1!.baseline));
  assert.ok(result.path.loss.every(Number.isFinite));
});

test('the batch size does not change the measurement', async () => {
  const whole = await measurePath(network, paramsA, paramsB, data, { alphas, batchSize: 1000 });
  assertClose(whole.path.loss, measured.path.loss, 1e-6, 'loss');
  assert.deepEqual(whole.path.accuracy, measured.path.accuracy);
  whole.llfc.forEach((layer, l) => assertClose(layer.cosine, measured.llfc[l]!.cosine, 1e-6, 'cosine'));
  whole.layerBarriers.forEach((layer, l) => assertClose(layer.path.loss, measured.layerBarriers[l]!.path.loss, 1e-6, 'layer loss'));
});

test('one evaluator serves several B, reports progress and frees every tensor', async () => {
  const before = tf.memory().numTensors;
  const evaluator = PathEvaluator.create(network, paramsA, data, { fit: null, bnReset: false, batchSize: 8 });
  const stages: [string, number][] = [];
  const first = await evaluator.measure(paramsB, { alphas, layerBarriers: true, llfcSamples: data.count, onProgress: (stage, fraction) => stages.push([stage, fraction]) });
  const second = await evaluator.measure(paramsA, { alphas, layerBarriers: false, llfcSamples: data.count });
  evaluator.dispose();
  assert.equal(tf.memory().numTensors, before);

  assert.deepEqual(first.path, measured.path);
  assert.equal(second.barrier.loss, 0);
  assert.deepEqual(second.path.loss, alphas.map(() => first.path.loss[0]));
  assert.equal(stages.length, 5 * 5);
  // 37 samples in batches of 8: five batches for the path and for each layer's barrier.
  assert.deepEqual(stages[0], ['path and LLFC: batch 1/5', 1 / 25]);
  assert.deepEqual(stages[7], ['per-layer barriers: layer 1/4 (fc1): batch 3/5', 8 / 25]);
  assert.deepEqual(stages[24], ['per-layer barriers: layer 4/4 (fc4): batch 5/5', 1]);
  await assert.rejects(evaluator.measure(paramsB, { alphas, layerBarriers: false, llfcSamples: 0 }), /disposed/);
});

test('work alongside runs once, after the path and before this thread takes a per-layer barrier; a failure there fails the measurement', async () => {
  const evaluator = PathEvaluator.create(network, paramsA, data, { fit: null, bnReset: false, batchSize: 8 });
  try {
    const events: string[] = [];
    await evaluator.measure(paramsB, {
      alphas,
      layerBarriers: true,
      llfcSamples: data.count,
      onProgress: (stage) => events.push(stage.replace(/: batch .*/, '')),
      alongside: async () => {
        events.push('alongside');
      },
    });
    const distinct = events.filter((e, i) => e !== events[i - 1]);
    assert.deepEqual(distinct.slice(0, 3), ['path and LLFC', 'alongside', 'per-layer barriers: layer 1/4 (fc1)']);
    assert.equal(events.filter((e) => e === 'alongside').length, 1);
    await assert.rejects(
      evaluator.measure(paramsB, { alphas, layerBarriers: true, llfcSamples: 0, alongside: () => Promise.reject(new Error('conditions failed')) }),
      /conditions failed/,
    );
  } finally {
    evaluator.dispose();
  }
});

test('an abort stops between forward passes and frees every tensor', async () => {
  const before = tf.memory().numTensors;
  const controller = new AbortController();
  const stages: string[] = [];
  const run = measurePath(network, paramsA, paramsB, data, {
    alphas,
    signal: controller.signal,
    onProgress: (stage) => {
      stages.push(stage);
      if (stage === 'per-layer barriers: layer 2/4 (fc2): batch 1/1') controller.abort();
    },
  });
  await assert.rejects(run, { name: 'AbortError' });
  assert.equal(stages.at(-1), 'per-layer barriers: layer 2/4 (fc2): batch 1/1');
  assert.equal(tf.memory().numTensors, before);
});

test('labels outside the outputs and missing samples are refused before any work', () => {
  const unfitted = { fit: null, bnReset: false };
  const before = tf.memory().numTensors;
  assert.throws(() => PathEvaluator.create(network, paramsA, { ...data, labels: labels.map((y, i) => (i === 5 ? 4 : y)) }, unfitted), /sample 5 has label 4, outside the 4 outputs/);
  assert.throws(() => PathEvaluator.create(network, paramsA, { ...data, count: 0 }, unfitted), /no evaluation samples/);
  assert.throws(() => PathEvaluator.create(network, paramsA, { ...data, count: 40 }, unfitted), /40 samples of 10 values need 400 inputs, got 370/);
  assert.equal(tf.memory().numTensors, before);
});
