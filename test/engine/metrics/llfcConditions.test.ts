// LLFC's two conditions (weak additivity, commutativity, each with its shuffled baseline) against
// an independent float64 PyTorch/NumPy reference, test/reference/make_llfc_conditions.py, for every
// method on the fixture MLPs (test/fixtures/compare/conditions.json) and the fixture VGG and ResNet
// (test/fixtures/conv/conditions.json), with the permutations the references found; a hand-computed
// case, samples with no direction, and the comparison's wiring.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { initBackend } from '../../../src/engine/backend/tfBackend';
import { compareCheckpoints } from '../../../src/engine/compare/compareCheckpoints';
import { givenPermutations } from '../../../src/engine/compare/givenPermutations';
import { loadCheckpointPair } from '../../../src/engine/compare/loadPair';
import { openDataset } from '../../../src/engine/datasets/openDataset';
import { llfcConditions } from '../../../src/engine/metrics/llfcConditions';
import { applyPermutation } from '../../../src/engine/model/applyPermutation';
import { mlpNetwork } from '../../../src/engine/model/mlpNetwork';
import { networkChannelSpaces } from '../../../src/engine/model/networkSpaces';
import type { Params } from '../../../src/engine/model/params';
import { derivePermutationSpec } from '../../../src/engine/model/permutationSpec';
import type { Activation } from '../../../src/shared/compareRequest';
import type { FlatAndMean, LlfcConditions } from '../../../src/shared/compareReport';
import { readFixtureNetwork } from '../../helpers/readFixtureNetwork';
import { fixture } from '../../helpers/paths';
import { mlpArchitecture } from '../model/mlpTestModels';

interface RefPair {
  dissimilarity: FlatAndMean;
  coefficient?: FlatAndMean;
  distance?: number;
  leftOut: number;
}
interface RefEntry {
  layer: string;
  aligned: RefPair;
  shuffled: RefPair;
}
interface RefMethod {
  additivity: RefEntry[];
  commutativity: RefEntry[];
}
interface RefFile {
  samples: number;
  networks: Record<string, { checkpoints: { a: string; b: string }; activation?: Activation; permutations?: Record<string, Record<string, number[]>>; methods: Record<string, RefMethod> }>;
}

const METHODS = ['naive', 'weight', 'activation', 'covariance'] as const;
const EVAL = fixture('compare', 'eval.npz');
const mlpRef = JSON.parse(readFileSync(fixture('compare', 'conditions.json'), 'utf8')) as RefFile;
const convRef = JSON.parse(readFileSync(fixture('conv', 'conditions.json'), 'utf8')) as RefFile;
const mlpExpected = JSON.parse(readFileSync(fixture('compare', 'expected.json'), 'utf8'));
const convExpected = JSON.parse(readFileSync(fixture('conv', 'expected.json'), 'utf8'));

/** float32 against float64: 1e-4 absolute for values up to 1 (the dissimilarities lie in [0, 2]), 1e-4 relative above. */
const TOLERANCE = 1e-4;
let worst = { error: 0, what: '' };
function close(actual: number, want: number, what: string): void {
  const error = Math.abs(actual - want) / Math.max(1, Math.abs(want));
  if (error > worst.error) worst = { error, what };
  assert.ok(error <= TOLERANCE, `${what}: ${actual} vs reference ${want}`);
}

function agree(got: LlfcConditions, want: RefMethod, where: string): void {
  assert.deepEqual(got.additivity.map((e) => e.layer), want.additivity.map((e) => e.layer), `${where}: activations in network order`);
  assert.deepEqual(new Set(got.commutativity.map((e) => e.layer)), new Set(want.commutativity.map((e) => e.layer)), `${where}: layers`);
  got.additivity.forEach((e, q) => {
    const ref = want.additivity[q]!;
    for (const [key, mine, theirs] of [['aligned', e, ref.aligned], ['shuffled', e.shuffled, ref.shuffled]] as const) {
      for (const part of ['flat', 'mean'] as const) {
        close(mine.dissimilarity[part], theirs.dissimilarity[part], `${where} additivity ${e.layer} ${key} dissimilarity ${part}`);
        close(mine.coefficient[part], theirs.coefficient![part], `${where} additivity ${e.layer} ${key} coefficient ${part}`);
      }
    }
  });
  for (const e of got.commutativity) {
    const ref = want.commutativity.find((r) => r.layer === e.layer)!;
    for (const [key, mine, theirs] of [['aligned', e, ref.aligned], ['shuffled', e.shuffled, ref.shuffled]] as const) {
      close(mine.distance, theirs.distance!, `${where} commutativity ${e.layer} ${key} distance`);
      for (const part of ['flat', 'mean'] as const) close(mine.dissimilarity[part], theirs.dissimilarity[part], `${where} commutativity ${e.layer} ${key} dissimilarity ${part}`);
    }
  }
}

const readOne = (file: string, activation: Activation) => readFixtureNetwork(fixture('compare', file), activation);

/** Distances after the first layer (whose input, the data, A and B share, so every method's is 0). */
const beyondFirst = (c: LlfcConditions) => c.commutativity.slice(1).map((e) => e.distance);
const mean = (xs: readonly number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;

for (const [name, network] of Object.entries(mlpRef.networks)) {
  test(`${name} MLP: weak additivity and commutativity agree with the reference for every method; aligned methods commute better than naive`, async () => {
    await initBackend();
    const activation = network.activation!;
    const a = await readOne(network.checkpoints.a, activation);
    const b = await readOne(network.checkpoints.b, activation);
    const data = await openDataset(EVAL);
    const samples = { inputs: data.inputs.subarray(0, mlpRef.samples * 784), count: mlpRef.samples };
    const spec = derivePermutationSpec(networkChannelSpaces(a.network));
    const results: Record<string, LlfcConditions> = {};
    for (const method of METHODS) {
      const perms = givenPermutations(spec, mlpExpected.networks[name].methods[method].matching.map((m: { permutation: number[] }) => m.permutation), 'b');
      // Batches of 64 over 250 samples: the shift crosses batches and wraps inside the last.
      const { conditions, leftOut } = await llfcConditions(a.network, a.params, applyPermutation(b.params, spec, perms), samples, { batchSize: 64 });
      assert.equal(conditions.samples, mlpRef.samples);
      agree(conditions, network.methods[method]!, `${name} ${method}`);
      const wantLeftOut = [...network.methods[method]!.additivity, ...network.methods[method]!.commutativity].flatMap((e) => [e.aligned.leftOut, e.shuffled.leftOut]);
      assert.equal(leftOut.reduce((s, l) => s + l.samples, 0), wantLeftOut.reduce((s, n) => s + n, 0), `${name} ${method}: samples left out`);
      results[method] = conditions;
    }
    for (const method of ['weight', 'activation'] as const) {
      beyondFirst(results[method]!).forEach((d, l) => assert.ok(d < beyondFirst(results.naive!)[l]!, `${name} ${method}: layer ${l + 1} distance ${d} vs naive`));
    }
    results.naive!.commutativity.slice(0, 1).forEach((e) => assert.deepEqual([e.distance, e.dissimilarity.flat], [0, 0]));
  });
}

for (const name of ['vgg', 'resnet'] as const) {
  test(`${name}: weak additivity and commutativity agree with the reference for every method; aligned methods commute better than naive`, async () => {
    await initBackend();
    const network = convRef.networks[name]!;
    const data = await openDataset(EVAL);
    const pair = await loadCheckpointPair(fixture('conv', network.checkpoints.a), fixture('conv', network.checkpoints.b), { activation: 'relu', sample: { shape: data.inputShape, file: EVAL } });
    const spec = derivePermutationSpec(networkChannelSpaces(pair.network));
    const samples = { inputs: data.inputs.subarray(0, convRef.samples * 784), count: convRef.samples };
    const permutations = { ...convExpected.networks[name].permutations, ...network.permutations };
    const results: Record<string, LlfcConditions> = {};
    for (const method of METHODS) {
      const perms = givenPermutations(spec, spec.groups.map((g) => permutations[method][g.name]), 'b');
      const { conditions } = await llfcConditions(pair.network, pair.a.params, applyPermutation(pair.b.params, spec, perms), samples, { batchSize: 32 });
      agree(conditions, network.methods[method]!, `${name} ${method}`);
      results[method] = conditions;
    }
    for (const method of ['weight', 'activation'] as const) {
      const [mine, naive] = [beyondFirst(results[method]!), beyondFirst(results.naive!)];
      // The ResNet's weight matching commutes worse than naive at one layer (layer2.0.conv1): its mean over layers is the claim.
      if (name === 'vgg') mine.forEach((d, l) => assert.ok(d < naive[l]!, `${name} ${method}: layer ${l + 1} distance ${d} vs naive ${naive[l]}`));
      assert.ok(mean(mine) < 0.85 * mean(naive), `${name} ${method}: mean distance ${mean(mine)} vs naive ${mean(naive)}`);
    }
  });
}

test('the largest disagreement with the reference', (t) => {
  t.diagnostic(`max |engine − reference| / max(1, |reference|) = ${worst.error.toExponential(2)} (${worst.what})`);
});

// A 1-2-1 ReLU MLP. A: fc1 rows (1, −1), fc2 (1, 1); B: fc1 rows (2, 1), fc2 (2, 0); no biases;
// samples x = 1 and x = −1. Pre-activations: A (x, −x), B (2x, x).
//   Weak additivity at fc1: x = 1: u = σ(3, 0) = (3, 0), v = (1, 0) + (2, 1) = (3, 1);
//   x = −1: u = σ(−3, 0) = 0, v = (0, 1) + 0 = (0, 1): left out of the dissimilarity mean.
//   Shuffled (A's x = 1 with B's x = −1, and back): (0, 0) vs (1, 0); (1, 2) vs (2, 2).
//   Commutativity at fc1: H_A = H_B = x, so u = v; shuffled, u = −v: distance 2, dissimilarity 2.
//   At fc2: H_A = (1, 0), (0, 1); H_B = (2, 1), (0, 0): u = (5, 1), v = (5, 0) (the second left out);
//   shuffled H_B = (0, 0), (2, 1): u = (1, 5), v = (2, 3).
const tiny = () => {
  const architecture = mlpArchitecture([1, 2, 1], 'relu');
  const t = (shape: number[], values: number[]) => ({ shape, data: Float32Array.from(values) });
  const params = (fc1: number[], fc2: number[]): Params =>
    new Map([['fc1.weight', t([2, 1], fc1)], ['fc1.bias', t([2], [0, 0])], ['fc2.weight', t([1, 2], fc2)], ['fc2.bias', t([1], [0])]]);
  return { network: mlpNetwork(architecture), params };
};

test('a hand-computed 1-2-1 case', async () => {
  await initBackend();
  const { network, params } = tiny();
  const { conditions, leftOut } = await llfcConditions(network, params([1, -1], [1, 1]), params([2, 1], [2, 0]), { inputs: Float32Array.of(1, -1), count: 2 }, { batchSize: 1 });
  const near = (x: number, y: number, what: string) => assert.ok(Math.abs(x - y) < 1e-6, `${what}: ${x} vs ${y}`);
  const [additivity] = conditions.additivity;
  assert.equal(additivity!.layer, 'fc1');
  near(additivity!.dissimilarity.flat, 1 - 3 / Math.sqrt(11), 'additivity flat');
  near(additivity!.dissimilarity.mean, 1 - 3 / Math.sqrt(10), 'additivity mean');
  near(additivity!.coefficient.flat, 9 / 11, 'coefficient flat');
  near(additivity!.coefficient.mean, (0.9 + 0) / 2, 'coefficient mean');
  near(additivity!.shuffled.dissimilarity.flat, 1 - 2 / Math.sqrt(5), 'shuffled additivity flat');
  near(additivity!.shuffled.dissimilarity.mean, 1 - 3 / Math.sqrt(10), 'shuffled additivity mean');
  near(additivity!.shuffled.coefficient.flat, 6 / 9, 'shuffled coefficient flat');
  near(additivity!.shuffled.coefficient.mean, (0 + 0.75) / 2, 'shuffled coefficient mean');
  const [first, second] = conditions.commutativity;
  assert.deepEqual([first!.layer, first!.distance, first!.dissimilarity.flat, first!.dissimilarity.mean], ['fc1', 0, 0, 0]);
  near(first!.shuffled.distance, 2, 'fc1 shuffled distance');
  near(first!.shuffled.dissimilarity.flat, 2, 'fc1 shuffled dissimilarity');
  near(first!.shuffled.dissimilarity.mean, 2, 'fc1 shuffled dissimilarity mean');
  near(second!.distance, 1 / Math.sqrt(26), 'fc2 distance');
  near(second!.dissimilarity.flat, 1 - 5 / Math.sqrt(26), 'fc2 dissimilarity flat');
  near(second!.dissimilarity.mean, 0, 'fc2 dissimilarity mean');
  near(second!.shuffled.distance, Math.sqrt(5 / 26), 'fc2 shuffled distance');
  near(second!.shuffled.dissimilarity.flat, 1 - 17 / Math.sqrt(26 * 13), 'fc2 shuffled dissimilarity flat');
  near(second!.shuffled.dissimilarity.mean, 0, 'fc2 shuffled dissimilarity mean');
  assert.deepEqual(leftOut, [
    { condition: 'additivity', layer: 'fc1', shuffled: false, samples: 1 },
    { condition: 'additivity', layer: 'fc1', shuffled: true, samples: 1 },
    { condition: 'commutativity', layer: 'fc2', shuffled: false, samples: 1 },
  ]);
});

test('a sample where σ(h̃_A) + σ(h̃_B) = 0 is left out of both means and counted; with none left, the means are NaN', async () => {
  await initBackend();
  const { network, params } = tiny();
  const same = params([1, 1], [1, 1]);
  // x = −1: every pre-activation is −1 in A and B, so u = v = 0; x = 1: u = v = (2, 2).
  const two = await llfcConditions(network, same, same, { inputs: Float32Array.of(1, -1), count: 2 });
  const [additivity] = two.conditions.additivity;
  assert.deepEqual([additivity!.dissimilarity.mean, additivity!.coefficient.mean], [0, 1]);
  assert.deepEqual([additivity!.dissimilarity.flat, additivity!.coefficient.flat], [0, 1]);
  assert.deepEqual(two.leftOut.find((l) => l.condition === 'additivity' && !l.shuffled), { condition: 'additivity', layer: 'fc1', shuffled: false, samples: 1 });
  const none = await llfcConditions(network, same, same, { inputs: Float32Array.of(-1), count: 1 });
  const [empty] = none.conditions.additivity;
  for (const value of [empty!.dissimilarity.flat, empty!.dissimilarity.mean, empty!.coefficient.flat, empty!.coefficient.mean]) assert.ok(Number.isNaN(value));
  // fc2's input is zero in both networks, so u and v are: no distance either.
  assert.ok(Number.isNaN(none.conditions.commutativity[1]!.distance));
});

test('conditions refuse samples that do not fit, and stop on an aborted signal', async () => {
  await initBackend();
  const { network, params } = tiny();
  const p = params([1, -1], [1, 1]);
  await assert.rejects(llfcConditions(network, p, p, { inputs: Float32Array.of(1, 2), count: 3 }), /3 samples of 1 values need 3 inputs, got 2/);
  const controller = new AbortController();
  controller.abort(new Error('stopped'));
  await assert.rejects(llfcConditions(network, p, p, { inputs: Float32Array.of(1, -1), count: 2 }, { signal: controller.signal, batchSize: 1 }), /stopped/);
});

test('compare fills every method\'s conditions on the LLFC samples, a REPAIR variant sharing its alignment\'s; none without LLFC samples or data', async () => {
  const a = fixture('compare', 'a.pt');
  const b = fixture('compare', 'b.pt');
  const choices = { a, b, data: EVAL, methods: ['naive', 'weight', 'weight+repair'] as const, alphas: 3, activation: 'relu' as const, fitSamples: 200, llfcSamples: 120, layerBarriers: false };
  const { report, pair, spec, aligned } = await compareCheckpoints({ ...choices, methods: [...choices.methods] });
  const weight = report.methods.weight!;
  assert.equal(weight.conditions!.samples, 120);
  assert.equal(report.methods['weight+repair']!.conditions, weight.conditions);
  const data = await openDataset(EVAL);
  const direct = await llfcConditions(pair.network, pair.a.params, aligned.get('weight')!, { inputs: data.inputs.subarray(0, 120 * 784), count: 120 });
  assert.deepEqual(weight.conditions, direct.conditions);
  assert.ok(spec.groups.length === 2 && report.methods.naive!.conditions!.additivity.length === 2 && weight.conditions!.commutativity.length === 3);
  assert.ok(weight.matching.every((m) => m.wasserstein.covariance !== null && m.wasserstein.covariance.aligned < m.wasserstein.covariance.identity));
  const without = await compareCheckpoints({ ...choices, methods: ['naive'], llfcSamples: 0 });
  assert.equal(without.report.methods.naive!.conditions, null);
  const weightsOnly = await compareCheckpoints({ a, b, methods: ['naive'] });
  assert.equal(weightsOnly.report.methods.naive!.conditions, null);
  assert.equal(weightsOnly.report.methods.naive!.matching[0]!.wasserstein.covariance, null);
});
