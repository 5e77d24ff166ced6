import { tf } from '../backend/tfBackend';
import type { Activation, DenseLayer, MlpArchitecture } from './mlp';
import type { Params, Tensor32 } from './params';

/**
 * One dense layer's parameters on the backend. The weight is held transposed, [in, out]: the
 * wasm backend multiplies by a transposed operand about ten times slower than by a plain one.
 */
export interface LayerTensors {
  readonly weightT: tf.Tensor2D;
  readonly bias: tf.Tensor1D | null;
}

/** A layer's weight [out, in] and bias [out], checked against the architecture. */
export function layerParams(layer: DenseLayer, params: Params): { readonly weight: Tensor32; readonly bias: Tensor32 | null } {
  const weight = params.get(layer.weight);
  if (!weight) throw new Error(`the parameters lack '${layer.weight}'`);
  if (weight.shape.length !== 2 || weight.shape[0] !== layer.outFeatures || weight.shape[1] !== layer.inFeatures) {
    throw new Error(`'${layer.weight}' has shape [${weight.shape.join(', ')}], the layer needs [${layer.outFeatures}, ${layer.inFeatures}]`);
  }
  if (weight.data.length !== layer.outFeatures * layer.inFeatures) throw new Error(`'${layer.weight}' holds ${weight.data.length} values for its shape`);
  if (layer.bias === null) return { weight, bias: null };
  const bias = params.get(layer.bias);
  if (!bias) throw new Error(`the parameters lack '${layer.bias}'`);
  if (bias.shape.length !== 1 || bias.shape[0] !== layer.outFeatures || bias.data.length !== layer.outFeatures) {
    throw new Error(`'${layer.bias}' has shape [${bias.shape.join(', ')}], the layer needs [${layer.outFeatures}]`);
  }
  return { weight, bias };
}

/** Uploads every layer's parameters once; the caller disposes them with `disposeLayers`. */
export function uploadLayers(architecture: MlpArchitecture, params: Params): LayerTensors[] {
  const checked = architecture.layers.map((layer) => layerParams(layer, params));
  return checked.map(({ weight, bias }, l) => {
    const layer = architecture.layers[l]!;
    return {
      weightT: tf.tidy(() => tf.transpose(tf.tensor2d(weight.data, [layer.outFeatures, layer.inFeatures]))),
      bias: bias ? tf.tensor1d(bias.data) : null,
    };
  });
}

export function disposeLayers(layers: readonly LayerTensors[]): void {
  for (const { weightT, bias } of layers) {
    weightT.dispose();
    bias?.dispose();
  }
}

/** x · Wᵀ + b. */
export function dense(x: tf.Tensor2D, layer: LayerTensors): tf.Tensor2D {
  return tf.fused.matMul({ a: x, b: layer.weightT, ...(layer.bias ? { bias: layer.bias } : {}) }) as tf.Tensor2D;
}

/**
 * a + α·(b − a): exactly a at α = 0 and b at α = 1, and exactly a wherever a = b (so a layer that
 * A and B share stays bit-identical along the path); (1−α)·a + α·b up to rounding elsewhere.
 */
export function lerp<T extends tf.Tensor>(a: T, b: T, alpha: number): T {
  if (alpha === 0) return tf.clone(a);
  if (alpha === 1) return tf.clone(b);
  return tf.tidy(() => tf.add(a, tf.mul(tf.sub(b, a), alpha)));
}

/** Layer parameters interpolated on the backend: lerp of weight and bias. */
export function lerpLayer(a: LayerTensors, b: LayerTensors, alpha: number): LayerTensors {
  if ((a.bias === null) !== (b.bias === null)) throw new Error('one endpoint of the layer has a bias and the other has none');
  return { weightT: lerp(a.weightT, b.weightT, alpha), bias: a.bias && b.bias ? lerp(a.bias, b.bias, alpha) : null };
}

/** The hidden nonlinearity, with PyTorch's defaults (exact-erf GELU, leaky slope 0.01). */
export function activate(z: tf.Tensor2D, activation: Activation): tf.Tensor2D {
  switch (activation) {
    case 'relu':
      return tf.relu(z);
    case 'gelu':
      return tf.tidy(() => tf.mul(tf.mul(z, 0.5), tf.add(tf.erf(tf.mul(z, Math.SQRT1_2)), 1)));
    case 'tanh':
      return tf.tanh(z);
    case 'sigmoid':
      return tf.sigmoid(z);
    case 'leaky_relu':
      return tf.leakyRelu(z, 0.01);
  }
}

/** Rows [start, end) of a row-major count × width matrix, uploaded. */
export function uploadRows(values: Float32Array, width: number, start: number, end: number): tf.Tensor2D {
  return tf.tensor2d(values.subarray(start * width, end * width), [end - start, width]);
}
