import { tf } from '../backend/tfBackend';
import type { DenseLayer, Mlp, MlpArchitecture } from '../model/mlp';
import type { Params, Tensor32 } from '../model/params';
import type { DigitSet } from './mnistDigits';
import { randomOrder, seededRandom } from '../alignment/seededRandom';

export interface TrainMlpOptions {
  /** Decides the initial weights and the batch order: one seed, one network, on every machine. */
  readonly seed: number;
  /** Widths of the hidden layers (default [256, 256]). */
  readonly hidden?: readonly number[];
  /** Passes over the data (default 4). */
  readonly epochs?: number;
  /** Examples per Adam step (default 32). */
  readonly batchSize?: number;
  /** Adam's step size (default 1e-3). */
  readonly learningRate?: number;
  /** Told as each epoch begins (1-based). */
  readonly onEpoch?: (epoch: number, epochs: number) => void;
  /** Checked between batches; training stops with the signal's reason. */
  readonly signal?: AbortSignal;
}

export interface TrainedMlp extends Mlp {
  /** Mean cross-entropy over each epoch's batches, as trained. */
  readonly epochLosses: readonly number[];
  readonly seconds: number;
}

export const DEFAULT_HIDDEN: readonly number[] = [256, 256];
export const DEFAULT_EPOCHS = 4;
export const DEFAULT_BATCH_SIZE = 32;
export const DEFAULT_LEARNING_RATE = 1e-3;

/** The architecture of the demo networks, named as a PyTorch `nn.ModuleList` of Linear layers names them. */
export function demoArchitecture(inputSize: number, hidden: readonly number[], outputSize: number): MlpArchitecture {
  const widths = [inputSize, ...hidden, outputSize];
  const layers: DenseLayer[] = widths.slice(1).map((outFeatures, l) => ({
    name: `layers.${l}`,
    weight: `layers.${l}.weight`,
    bias: `layers.${l}.bias`,
    inFeatures: widths[l]!,
    outFeatures,
  }));
  return { kind: 'mlp', layers, activation: 'relu', inputSize, outputSize };
}

/**
 * PyTorch's default Linear initialisation, U(−1/√in, 1/√in) for weight and bias, drawn in the
 * [out, in] order; returned as the [in, out] kernel the backend multiplies by without a transpose.
 */
function initialKernel(random: () => number, layer: DenseLayer): { kernel: Float32Array; bias: Float32Array } {
  const { inFeatures: n, outFeatures: m } = layer;
  const bound = 1 / Math.sqrt(n);
  const kernel = new Float32Array(n * m);
  for (let o = 0; o < m; o++) for (let i = 0; i < n; i++) kernel[i * m + o] = bound * (2 * random() - 1);
  const bias = Float32Array.from({ length: m }, () => bound * (2 * random() - 1));
  return { kernel, bias };
}

/** [in, out] kernel back to PyTorch's [out, in]. */
function toWeight(kernel: Float32Array, layer: DenseLayer): Tensor32 {
  const { inFeatures: n, outFeatures: m } = layer;
  const data = new Float32Array(n * m);
  for (let i = 0; i < n; i++) for (let o = 0; o < m; o++) data[o * n + i] = kernel[i * m + o]!;
  return { shape: [m, n], data };
}

/** A variable holding `initial`'s values; `initial` itself is disposed (it would stay counted otherwise). */
function variableOf(initial: tf.Tensor): tf.Variable {
  const variable = tf.variable(initial);
  initial.dispose();
  return variable;
}

function checkPositiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer, not ${value}`);
  return value;
}

/**
 * The mean cross-entropy of the examples at `indices` and its gradients, named by variable as
 * the optimizer wants them; `kernels` are [in, out]. The backward pass is written out (it is
 * short for a ReLU MLP), so training needs none of the gradient registrations that tfjs-core
 * leaves to the full @tensorflow/tfjs package.
 */
export function lossAndGradients(
  kernels: readonly tf.Variable[],
  biases: readonly tf.Variable[],
  inputs: tf.Tensor2D,
  labels: tf.Tensor1D,
  indices: tf.Tensor1D,
  numClasses: number,
): { loss: tf.Scalar; gradients: { name: string; tensor: tf.Tensor }[] } {
  return tf.tidy(() => {
    const x = tf.gather(inputs, indices) as tf.Tensor2D;
    const target = tf.cast(tf.oneHot(tf.gather(labels, indices), numClasses), 'float32');
    const activations: tf.Tensor2D[] = [x];
    const pre: tf.Tensor2D[] = [];
    let h = x;
    kernels.forEach((kernel, l) => {
      const z: tf.Tensor2D = tf.add(tf.matMul(h, kernel as tf.Tensor2D), biases[l]!);
      pre.push(z);
      if (l < kernels.length - 1) {
        h = tf.relu(z);
        activations.push(h);
      }
    });
    const logProbabilities = tf.logSoftmax(pre[pre.length - 1]!);
    const count = x.shape[0];
    const loss = tf.neg(tf.div(tf.sum(tf.mul(target, logProbabilities)), count)) as tf.Scalar;

    // d loss / d logits = (softmax − one-hot) / batch; then back through each layer. Explicit
    // transposes: the wasm backend multiplies by a transposed operand far more slowly.
    let delta: tf.Tensor2D = tf.div(tf.sub(tf.exp(logProbabilities), target), count);
    const gradients: { name: string; tensor: tf.Tensor }[] = [];
    for (let l = kernels.length - 1; l >= 0; l--) {
      gradients.push({ name: kernels[l]!.name, tensor: tf.matMul(tf.transpose(activations[l]!), delta) });
      gradients.push({ name: biases[l]!.name, tensor: tf.sum(delta, 0) });
      if (l > 0) delta = tf.mul(tf.matMul(delta, tf.transpose(kernels[l]!)), tf.step(pre[l - 1]!));
    }
    return { loss, gradients };
  });
}

/**
 * Trains a ReLU MLP classifier on `data` with Adam and cross-entropy, every random choice
 * drawn from `seed`. Call `initBackend` first. The weights come back in PyTorch layout and
 * names (layers.0.weight [out, in], layers.0.bias, layers.1.weight, ...).
 */
export async function trainMlp(data: DigitSet, options: TrainMlpOptions): Promise<TrainedMlp> {
  const hidden = options.hidden ?? DEFAULT_HIDDEN;
  hidden.forEach((width) => checkPositiveInteger('a hidden width', width));
  const epochs = checkPositiveInteger('epochs', options.epochs ?? DEFAULT_EPOCHS);
  const batchSize = checkPositiveInteger('batchSize', options.batchSize ?? DEFAULT_BATCH_SIZE);
  const inputSize = data.inputs.length / data.count;
  checkPositiveInteger('the input size', inputSize);
  const architecture = demoArchitecture(inputSize, hidden, data.numClasses);
  const started = performance.now();

  const random = seededRandom(options.seed);
  const initial = architecture.layers.map((layer) => initialKernel(random, layer));
  const kernels = initial.map(({ kernel }, l) => variableOf(tf.tensor2d(kernel, [architecture.layers[l]!.inFeatures, architecture.layers[l]!.outFeatures])));
  const biases = initial.map(({ bias }) => variableOf(tf.tensor1d(bias)));
  const inputs = tf.tensor2d(data.inputs, [data.count, inputSize]);
  const labels = tf.tensor1d(data.labels, 'int32');
  const optimizer = tf.train.adam(options.learningRate ?? DEFAULT_LEARNING_RATE);
  const epochLosses: number[] = [];
  let lossSum: tf.Scalar | null = null;
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      options.onEpoch?.(epoch, epochs);
      const order = randomOrder(data.count, random);
      lossSum = tf.scalar(0);
      let batches = 0;
      for (let start = 0; start < data.count; start += batchSize) {
        options.signal?.throwIfAborted();
        const indices = tf.tensor1d(order.slice(start, Math.min(data.count, start + batchSize)), 'int32');
        const { loss, gradients } = lossAndGradients(kernels, biases, inputs, labels, indices, data.numClasses);
        indices.dispose();
        optimizer.applyGradients(gradients);
        tf.dispose(gradients.map((g) => g.tensor));
        const sum: tf.Scalar = tf.add(lossSum, loss);
        tf.dispose([lossSum, loss]);
        lossSum = sum;
        batches += 1;
        // Let the event loop breathe (progress messages, cancellation) without syncing the backend.
        if (batches % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      epochLosses.push((await lossSum.data())[0]! / batches);
      lossSum.dispose();
      lossSum = null;
    }
    const params = new Map<string, Tensor32>();
    for (const [l, layer] of architecture.layers.entries()) {
      params.set(layer.weight, toWeight(await kernels[l]!.data() as Float32Array, layer));
      params.set(layer.bias!, { shape: [layer.outFeatures], data: (await biases[l]!.data()) as Float32Array });
    }
    return { architecture, params: params as Params, epochLosses, seconds: (performance.now() - started) / 1000 };
  } finally {
    lossSum?.dispose();
    optimizer.dispose();
    inputs.dispose();
    labels.dispose();
    for (const v of [...kernels, ...biases]) v.dispose();
  }
}
