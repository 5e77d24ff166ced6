import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { initBackend, tf } from '../../../src/engine/backend/tfBackend';
import { loadMnistDigits, type DigitSet } from '../../../src/engine/demo/mnistDigits';
import { lossAndGradients, trainMlp } from '../../../src/engine/demo/trainMlp';
import { accuracy } from '../../../src/engine/metrics/classification';
import { forwardNetwork } from '../../../src/engine/model/forward';
import { mlpNetwork } from '../../../src/engine/model/mlpNetwork';
import { fixture } from '../../helpers/paths';

function firstRows(set: DigitSet, count: number): DigitSet {
  return { ...set, count, inputs: set.inputs.subarray(0, count * 784), labels: set.labels.subarray(0, count) };
}

interface GradientFixture {
  readonly widths: number[];
  readonly inputs: number[];
  readonly labels: number[];
  readonly indices: number[];
  readonly loss: number;
  readonly layers: { weight: number[]; bias: number[]; weight_grad: number[]; bias_grad: number[] }[];
}

/** [out, in] row-major (PyTorch) to the [in, out] kernel the trainer holds. */
function transposed(values: readonly number[], out: number, inputs: number): Float32Array {
  return Float32Array.from({ length: out * inputs }, (_, k) => values[(k % out) * inputs + Math.floor(k / out)]!);
}

test('the hand-written loss and gradients match PyTorch autograd (fixtures/demo/gradients.json)', async () => {
  await initBackend();
  const f = JSON.parse(readFileSync(fixture('demo', 'gradients.json'), 'utf8')) as GradientFixture;
  const dims = f.layers.map((_, l) => ({ inputs: f.widths[l]!, out: f.widths[l + 1]! }));
  const kernels = f.layers.map((layer, l) => tf.variable(tf.tensor2d(transposed(layer.weight, dims[l]!.out, dims[l]!.inputs), [dims[l]!.inputs, dims[l]!.out])));
  const biases = f.layers.map((layer) => tf.variable(tf.tensor1d(layer.bias)));
  const inputs = tf.tensor2d(f.inputs, [f.inputs.length / f.widths[0]!, f.widths[0]!]);
  const labels = tf.tensor1d(f.labels, 'int32');
  const indices = tf.tensor1d(f.indices, 'int32');
  try {
    const { loss, gradients } = lossAndGradients(kernels, biases, inputs, labels, indices, f.widths[f.widths.length - 1]!);
    assert.ok(Math.abs((await loss.data())[0]! - f.loss) < 1e-5, `loss ${(await loss.data())[0]} vs ${f.loss}`);
    const byName = new Map(gradients.map((g) => [g.name, g.tensor]));
    assert.equal(byName.size, 2 * f.layers.length);
    for (const [l, layer] of f.layers.entries()) {
      const expected = [
        { what: `layer ${l} weight`, tensor: byName.get(kernels[l]!.name)!, values: transposed(layer.weight_grad, dims[l]!.out, dims[l]!.inputs) },
        { what: `layer ${l} bias`, tensor: byName.get(biases[l]!.name)!, values: Float32Array.from(layer.bias_grad) },
      ];
      for (const { what, tensor, values } of expected) {
        const actual = await tensor.data();
        assert.equal(actual.length, values.length, what);
        for (let i = 0; i < values.length; i++) assert.ok(Math.abs(actual[i]! - values[i]!) < 1e-6, `${what}[${i}]: ${actual[i]} vs ${values[i]}`);
      }
    }
    tf.dispose([loss, ...gradients.map((g) => g.tensor)]);
  } finally {
    tf.dispose([...kernels, ...biases, inputs, labels, indices]);
  }
});

test('a small network learns the digits, in PyTorch layout, the same for the same seed and different for another, leaking no tensor', async () => {
  await initBackend();
  const { train, test: held } = await loadMnistDigits();
  const data = firstRows(train, 3000);
  const before = tf.memory().numTensors;
  const epochsSeen: string[] = [];
  const options = { hidden: [32, 16], epochs: 2, onEpoch: (e: number, n: number) => epochsSeen.push(`${e}/${n}`) };
  const one = await trainMlp(data, { seed: 1, ...options });
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(epochsSeen, ['1/2', '2/2']);
  assert.deepEqual([...one.params.keys()], ['layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias', 'layers.2.weight', 'layers.2.bias']);
  assert.deepEqual(one.params.get('layers.0.weight')!.shape, [32, 784]);
  assert.deepEqual(one.params.get('layers.1.weight')!.shape, [16, 32]);
  assert.deepEqual(one.params.get('layers.2.bias')!.shape, [10]);
  assert.deepEqual(one.architecture.layers.map((l) => [l.inFeatures, l.outFeatures]), [[784, 32], [32, 16], [16, 10]]);
  assert.ok(one.epochLosses[1]! < one.epochLosses[0]!, `losses ${one.epochLosses}`);

  // Measured by the engine's own forward pass on digits the network never saw.
  const { logits } = await forwardNetwork(mlpNetwork(one.architecture), one.params, held.inputs, held.count);
  const acc = accuracy(logits, held.labels, 10);
  assert.ok(acc > 0.75, `test accuracy ${acc}`);

  const again = await trainMlp(data, { seed: 1, ...options });
  const other = await trainMlp(data, { seed: 2, ...options });
  for (const [name, t] of one.params) {
    assert.deepEqual(again.params.get(name)!.data, t.data, name);
    assert.notDeepEqual(other.params.get(name)!.data, t.data, name);
  }
});

test('an aborted training stops with the reason and leaks no tensor', async () => {
  await initBackend();
  const { train } = await loadMnistDigits();
  const before = tf.memory().numTensors;
  const controller = new AbortController();
  const training = trainMlp(firstRows(train, 2000), { seed: 1, hidden: [8], epochs: 5, signal: controller.signal, onEpoch: (e) => e === 2 && controller.abort(new Error('stop asked')) });
  await assert.rejects(training, /stop asked/);
  assert.equal(tf.memory().numTensors, before);
});

test('bad settings are refused before any work', async () => {
  const { test: held } = await loadMnistDigits();
  await assert.rejects(trainMlp(held, { seed: 1, epochs: 0 }), /epochs must be a positive integer, not 0/);
  await assert.rejects(trainMlp(held, { seed: 1, hidden: [8, 2.5] }), /a hidden width must be a positive integer, not 2.5/);
});
