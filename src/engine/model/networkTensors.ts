import { tf } from '../backend/tfBackend';
import type { Activation } from '../../shared/compareRequest';
import { nodeTensors, type Network, type NetworkNode } from './network';
import type { Params, Tensor32 } from './params';

/**
 * One node's parameters on the backend, in TensorFlow's layouts: a convolution's filter
 * [kh, kw, in, out], a linear weight transposed to [in, out] (with a flattened map's inputs in
 * height, width, channel order, as the NHWC activations flatten), BatchNorm's four vectors; a
 * transformer's tables as stored ([vocab, d] embeddings, [positions, d] position tables, a [d]
 * class token) and its norms' scale and shift.
 */
export type NodeTensors =
  | { readonly kind: 'weighted'; readonly weight: tf.Tensor; readonly bias: tf.Tensor1D | null }
  | { readonly kind: 'table'; readonly table: tf.Tensor }
  | { readonly kind: 'norm'; readonly weight: tf.Tensor1D; readonly bias: tf.Tensor1D | null }
  | {
      readonly kind: 'batchnorm';
      readonly gamma: tf.Tensor1D;
      readonly beta: tf.Tensor1D;
      readonly mean: tf.Tensor1D;
      readonly variance: tf.Tensor1D;
    };

/** Per node, its tensors (null for nodes without parameters). */
export type NetworkTensors = readonly (NodeTensors | null)[];

function get(params: Params, name: string, shape: readonly number[] | null): Tensor32 {
  const tensor = params.get(name);
  if (!tensor) throw new Error(`the parameters lack '${name}'`);
  const size = tensor.shape.reduce((x, y) => x * y, 1);
  if (tensor.data.length !== size) throw new Error(`'${name}' holds ${tensor.data.length} values for its shape [${tensor.shape.join(', ')}]`);
  if (shape && (shape.length !== tensor.shape.length || shape.some((d, i) => d !== tensor.shape[i]))) {
    throw new Error(`'${name}' has shape [${tensor.shape.join(', ')}], the layer needs [${shape.join(', ')}]`);
  }
  return tensor;
}

function uploadNode(node: NetworkNode, params: Params): NodeTensors | null {
  // Every tensor is checked before any is uploaded, so a refusal leaves nothing on the backend.
  if (node.op === 'conv2d') {
    const w = get(params, node.weight, [node.outChannels, node.inChannels, ...node.kernel]);
    const b = node.bias ? get(params, node.bias, [node.outChannels]) : null;
    return {
      kind: 'weighted',
      weight: tf.tidy(() => tf.transpose(tf.tensor4d(w.data, w.shape as [number, number, number, number]), [2, 3, 1, 0])),
      bias: b ? tf.tensor1d(b.data) : null,
    };
  }
  if (node.op === 'linear') {
    const w = get(params, node.weight, null);
    if (w.shape[0] !== node.outFeatures || w.data.length !== node.outFeatures * node.inFeatures || !(w.shape.length === 2 || w.shape.length === 4)) {
      throw new Error(`'${node.weight}' has shape [${w.shape.join(', ')}], the layer needs ${node.outFeatures} × ${node.inFeatures}`);
    }
    const b = node.bias ? get(params, node.bias, [node.outFeatures]) : null;
    const weight = tf.tidy(() =>
      w.shape.length === 2
        ? tf.transpose(tf.tensor2d(w.data, [node.outFeatures, node.inFeatures]))
        : tf.reshape(tf.transpose(tf.tensor4d(w.data, w.shape as [number, number, number, number]), [2, 3, 1, 0]), [node.inFeatures, node.outFeatures]),
    );
    return { kind: 'weighted', weight, bias: b ? tf.tensor1d(b.data) : null };
  }
  if (node.op === 'batchnorm') {
    const c = [node.channels];
    const [gamma, beta, mean, variance] = [node.weight, node.bias, node.runningMean, node.runningVar].map((name) => (name ? get(params, name, c) : null));
    return {
      kind: 'batchnorm',
      gamma: gamma ? tf.tensor1d(gamma.data) : tf.ones([node.channels]),
      beta: beta ? tf.tensor1d(beta.data) : tf.zeros([node.channels]),
      mean: tf.tensor1d(mean!.data),
      variance: tf.tensor1d(variance!.data),
    };
  }
  if (node.op === 'embedding') {
    const t = get(params, node.weight, [node.vocab, node.features]);
    return { kind: 'table', table: tf.tensor2d(t.data, [node.vocab, node.features]) };
  }
  if (node.op === 'positions') {
    const t = get(params, node.weight, [node.positions, node.features]);
    return { kind: 'table', table: tf.tensor2d(t.data, [node.positions, node.features]) };
  }
  if (node.op === 'prepend') return { kind: 'table', table: tf.tensor1d(get(params, node.weight, [node.features]).data) };
  if (node.op === 'layernorm' || node.op === 'rmsnorm') {
    const w = get(params, node.weight, [node.features]);
    const b = node.bias ? get(params, node.bias, [node.features]) : null;
    return { kind: 'norm', weight: tf.tensor1d(w.data), bias: b ? tf.tensor1d(b.data) : null };
  }
  return null;
}

/** Uploads every node's parameters once; the caller frees them with `disposeTensors`. */
export function uploadNetwork(network: Network, params: Params): NodeTensors[] {
  const out: (NodeTensors | null)[] = [];
  try {
    for (const node of network.nodes) out.push(uploadNode(node, params));
  } catch (error) {
    disposeTensors(out);
    throw error;
  }
  return out as NodeTensors[];
}

export function disposeTensors(tensors: NetworkTensors): void {
  for (const t of tensors) {
    if (t?.kind === 'weighted' || t?.kind === 'norm') tf.dispose([t.weight, ...(t.bias ? [t.bias] : [])]);
    else if (t?.kind === 'table') t.table.dispose();
    else if (t) tf.dispose([t.gamma, t.beta, t.mean, t.variance]);
  }
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

/**
 * The nodes in `mask` with A's and B's tensors interpolated at α; every other node keeps A's
 * tensors, shared, not copied. `owned` receives what the caller must dispose.
 */
export function lerpNetwork(a: NetworkTensors, b: NetworkTensors, alpha: number, mask: readonly boolean[], owned: tf.Tensor[]): (NodeTensors | null)[] {
  const keep = <T extends tf.Tensor>(t: T): T => {
    owned.push(t);
    return t;
  };
  return a.map((ta, i) => {
    const tb = b[i] ?? null;
    if (!mask[i] || !ta || !tb) return ta;
    if (ta.kind === 'weighted' && tb.kind === 'weighted') {
      if ((ta.bias === null) !== (tb.bias === null)) throw new Error('one endpoint of a layer has a bias and the other has none');
      return { kind: 'weighted', weight: keep(lerp(ta.weight, tb.weight, alpha)), bias: ta.bias && tb.bias ? keep(lerp(ta.bias, tb.bias, alpha)) : null };
    }
    if (ta.kind === 'batchnorm' && tb.kind === 'batchnorm') {
      return {
        kind: 'batchnorm',
        gamma: keep(lerp(ta.gamma, tb.gamma, alpha)),
        beta: keep(lerp(ta.beta, tb.beta, alpha)),
        mean: keep(lerp(ta.mean, tb.mean, alpha)),
        variance: keep(lerp(ta.variance, tb.variance, alpha)),
      };
    }
    if (ta.kind === 'table' && tb.kind === 'table') return { kind: 'table', table: keep(lerp(ta.table, tb.table, alpha)) };
    if (ta.kind === 'norm' && tb.kind === 'norm') {
      if ((ta.bias === null) !== (tb.bias === null)) throw new Error('one endpoint of a norm has a shift and the other has none');
      return { kind: 'norm', weight: keep(lerp(ta.weight, tb.weight, alpha)), bias: ta.bias && tb.bias ? keep(lerp(ta.bias, tb.bias, alpha)) : null };
    }
    throw new Error('the two endpoints differ in the kind of a node');
  });
}

/**
 * Whether a node has tensors that interpolation mixes. A tied head and its embedding are two
 * nodes reading one Params entry: a mask must select both for the tensor to move as one.
 */
export function hasTensors(node: NetworkNode): boolean {
  return nodeTensors(node).length > 0;
}

/**
 * `mask` widened to every node that reads a tensor a masked node reads: a tied head and its
 * embedding share one Params entry, so interpolating one of them interpolates both.
 */
export function withTiedNodes(network: Network, mask: readonly boolean[]): boolean[] {
  const names = new Set(network.nodes.flatMap((node, i) => (mask[i] ? nodeTensors(node) : [])));
  return network.nodes.map((node, i) => mask[i]! || nodeTensors(node).some((name) => names.has(name)));
}

/** √(2/π), GELU's tanh approximation's constant. */
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * The hidden nonlinearity, with PyTorch's defaults (exact-erf GELU, leaky slope 0.01); gelu_tanh
 * is HF's gelu_new, 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))); silu is x·sigmoid(x).
 */
export function activate<T extends tf.Tensor>(z: T, activation: Activation): T {
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
    case 'gelu_tanh':
      return tf.tidy(() => tf.mul(tf.mul(z, 0.5), tf.add(tf.tanh(tf.mul(tf.add(z, tf.mul(tf.pow(z, 3), 0.044715)), SQRT_2_OVER_PI)), 1)));
    case 'silu':
      return tf.tidy(() => tf.mul(z, tf.sigmoid(z)));
  }
}

/**
 * Samples [start, end) of `values` (each one sample of the network's input shape, row-major
 * as PyTorch stores it) uploaded in the backend's layout: flat rows (a token model's ids [N, T]
 * as float32), or NHWC maps.
 */
export function uploadSamples(network: Network, values: Float32Array, start: number, end: number): tf.Tensor {
  const size = network.input.reduce((x, y) => x * y, 1);
  const rows = values.subarray(start * size, end * size);
  if (network.input.length !== 3) return tf.tensor2d(rows, [end - start, size]);
  const [c, h, w] = network.input as [number, number, number];
  return tf.tidy(() => tf.transpose(tf.tensor4d(rows, [end - start, c, h, w]), [0, 2, 3, 1]));
}
