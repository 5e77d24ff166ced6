// Small MLPs for the forward and metrics tests, and a plain-JavaScript double-precision forward
// pass that the TensorFlow.js results are checked against.
import type { Activation } from '../../../src/shared/compareRequest';
import type { DenseLayer, MlpArchitecture } from '../../../src/engine/model/mlp';
import type { Params, Tensor32 } from '../../../src/engine/model/params';
import { forwardNetwork } from '../../../src/engine/model/forward';
import { mlpNetwork } from '../../../src/engine/model/mlpNetwork';
import { mulberry32 as seededRandom } from '../../helpers/randomMatrices';

export { seededRandom };

/** A uniformly random permutation of 0..n−1 (Fisher–Yates). */
export function shuffled(n: number, random: () => number): Int32Array {
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  }
  return perm;
}

/** Layers fc1, fc2, ... with biases, of the given widths (input first). */
export function mlpArchitecture(sizes: readonly number[], activation: Activation): MlpArchitecture {
  const layers: DenseLayer[] = sizes.slice(1).map((out, i) => ({
    name: `fc${i + 1}`,
    weight: `fc${i + 1}.weight`,
    bias: `fc${i + 1}.bias`,
    inFeatures: sizes[i]!,
    outFeatures: out,
  }));
  return { kind: 'mlp', layers, activation, inputSize: sizes[0]!, outputSize: sizes[sizes.length - 1]! };
}

/** Uniform weights in ±scale/√fan_in (PyTorch's Linear initialisation), biases in ±scale·0.5. */
export function randomParams(architecture: MlpArchitecture, seed: number, scale = 1): Map<string, Tensor32> {
  const random = seededRandom(seed);
  const params = new Map<string, Tensor32>();
  for (const layer of architecture.layers) {
    const bound = scale / Math.sqrt(layer.inFeatures);
    const uniform = (n: number, b: number) => Float32Array.from({ length: n }, () => (2 * random() - 1) * b);
    params.set(layer.weight, { shape: [layer.outFeatures, layer.inFeatures], data: uniform(layer.outFeatures * layer.inFeatures, bound) });
    params.set(layer.bias!, { shape: [layer.outFeatures], data: uniform(layer.outFeatures, scale * 0.5) });
  }
  return params;
}

export function randomInputs(count: number, size: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: count * size }, () => 2 * random() - 1);
}

/** erf by its Maclaurin series, accurate to ~1e-15 for |x| ≤ 5 (the tests stay well inside). */
export function erf(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

export function activationReference(z: number, activation: Activation): number {
  switch (activation) {
    case 'relu':
      return Math.max(0, z);
    case 'gelu':
      return 0.5 * z * (1 + erf(z / Math.SQRT2));
    case 'tanh':
      return Math.tanh(z);
    case 'sigmoid':
      return 1 / (1 + Math.exp(-z));
    case 'leaky_relu':
      return z >= 0 ? z : 0.01 * z;
    case 'gelu_tanh':
      return 0.5 * z * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (z + 0.044715 * z ** 3)));
    case 'silu':
      return z / (1 + Math.exp(-z));
  }
}

/** Per sample, in double precision: the pre-activations and activations of every hidden layer, and the logits. */
export function referenceForward(
  architecture: MlpArchitecture,
  params: Params,
  inputs: Float32Array,
  count: number,
): { logits: number[][]; preactivations: number[][][]; features: number[][][] } {
  const logits: number[][] = [];
  const preactivations: number[][][] = architecture.layers.slice(0, -1).map(() => []);
  const features: number[][][] = architecture.layers.slice(0, -1).map(() => []);
  for (let s = 0; s < count; s++) {
    let h = Array.from(inputs.subarray(s * architecture.inputSize, (s + 1) * architecture.inputSize));
    architecture.layers.forEach((layer, l) => {
      const w = params.get(layer.weight)!.data;
      const b = params.get(layer.bias!)!.data;
      const z = Array.from({ length: layer.outFeatures }, (_, o) => {
        let sum = b[o]!;
        for (let i = 0; i < layer.inFeatures; i++) sum += w[o * layer.inFeatures + i]! * h[i]!;
        return sum;
      });
      if (l === architecture.layers.length - 1) {
        logits.push(z);
        return;
      }
      preactivations[l]!.push(z);
      h = z.map((v) => activationReference(v, architecture.activation));
      features[l]!.push(h);
    });
  }
  return { logits, preactivations, features };
}

/** max |actual − expected| / max(1, |expected|) over a row-major matrix. */
export function maxRelativeError(actual: Float32Array, expected: readonly (readonly number[])[]): number {
  const flat = expected.flat();
  if (actual.length !== flat.length) throw new Error(`compared ${actual.length} values with ${flat.length}`);
  return flat.reduce((worst, e, i) => Math.max(worst, Math.abs(actual[i]! - e) / Math.max(1, Math.abs(e))), 0);
}

/**
 * The engine's forward pass on an MLP as a network graph, with its hidden layers' features
 * (after the activation) and pre-activations split out as the tests compare them.
 */
export async function mlpForward(
  architecture: MlpArchitecture,
  params: Params,
  inputs: Float32Array,
  count: number,
  options: { readonly batchSize?: number } = {},
): Promise<{ logits: Float32Array; features: Float32Array[]; preactivations: Float32Array[] }> {
  const hidden = architecture.layers.length - 1;
  const preactivations = Array.from({ length: hidden }, (_, l) => 2 * l);
  const features = Array.from({ length: hidden }, (_, l) => 2 * l + 1);
  const out = await forwardNetwork(mlpNetwork(architecture), params, inputs, count, { capture: [...features, ...preactivations], ...options });
  return { logits: out.logits, features: out.captured.slice(0, hidden), preactivations: out.captured.slice(hidden) };
}
