import { tf } from '../backend/tfBackend';
import { consumers, INPUT, isWeighted, nodeInputs, type AttentionNode, type BatchNormNode, type Network, type NetworkNode, type Pair, type WeightedNode } from './network';
import { activate, type NetworkTensors, type NodeTensors } from './networkTensors';

/**
 * How a BatchNorm node normalises during one run:
 * - eval: by its running statistics (PyTorch's eval mode);
 * - stats: by the given statistics instead (recomputed ones, after a BatchNorm reset);
 * - batch: by the batch's own statistics, which the run reports (PyTorch's train mode, as a
 *   BatchNorm reset runs the network);
 * - track: passes its input through unchanged and reports the batch's statistics (REPAIR's
 *   measurement of the endpoints);
 * - identity: passes its input through (a REPAIR layer in a network without REPAIR).
 */
export type BatchNormMode =
  | { readonly kind: 'eval' }
  | { readonly kind: 'stats'; readonly mean: tf.Tensor1D; readonly variance: tf.Tensor1D }
  | { readonly kind: 'batch' }
  | { readonly kind: 'track' }
  | { readonly kind: 'identity' };

const EVAL: BatchNormMode = { kind: 'eval' };

/** One BatchNorm's batch statistics: the mean and biased variance per channel over `count` values each. */
export interface BatchMoments {
  readonly mean: tf.Tensor1D;
  readonly variance: tf.Tensor1D;
  readonly count: number;
}

export interface RunOptions {
  /** Per BatchNorm node (default eval). */
  readonly modes?: ReadonlyMap<number, BatchNormMode>;
  /** Values already known (e.g. computed once for every α), used instead of computing the node. */
  readonly given?: ReadonlyMap<number, tf.Tensor>;
  /** Only these nodes are computed (default all); the value of any node they read must be computed or given. */
  readonly compute?: readonly boolean[];
  /**
   * The nodes whose values the caller reads after the run, besides the last (the logits). Given,
   * every other value is freed as soon as the nodes that read it have run, so a batch holds a
   * few maps at a time rather than the whole network's; absent, every computed value is kept.
   * Either way a layer not read, whose BatchNorm folds into it, has no value of its own.
   */
  readonly read?: readonly number[];
}

export interface RunResult {
  /** Per node, its value for the batch, or undefined where not computed. */
  readonly values: readonly (tf.Tensor | undefined)[];
  /** The batch statistics of every BatchNorm run in batch or track mode. */
  readonly moments: ReadonlyMap<number, BatchMoments>;
}

/**
 * Runs the network's nodes in order on one batch (flat rows, or NHWC maps from `uploadSamples`).
 * Creates tensors without freeing them: call inside tf.tidy and keep what is needed.
 */
export function runNetwork(network: Network, tensors: NetworkTensors, input: tf.Tensor, options: RunOptions = {}): RunResult {
  const values: (tf.Tensor | undefined)[] = [];
  const moments = new Map<number, BatchMoments>();
  const read = (index: number, by: NetworkNode): tf.Tensor => {
    const value = index === INPUT ? input : values[index];
    if (!value) throw new Error(`'${by.id}' reads a value that was not computed`);
    return value;
  };
  const folded = foldedBatchNorms(network, options);
  const computedByLayer = new Set(folded.values());
  const runs = (i: number) => !options.given?.has(i) && (options.compute?.[i] ?? true) && !computedByLayer.has(i);
  const release = options.read ? releaser(network, values, input, options.read, runs, options.given) : null;
  network.nodes.forEach((node, i) => {
    const given = options.given?.get(i);
    if (given) return void (values[i] = given);
    if (options.compute && !options.compute[i]) return void (values[i] = undefined);
    if (computedByLayer.has(i)) return;
    try {
      // A node's own temporaries (a BatchNorm's centred squares, a folded filter) go as it ends.
      tf.tidy(() => {
        compute(node, i);
        const into = folded.get(i);
        const m = moments.get(i);
        return [values[i], into === undefined ? undefined : values[into], m?.mean, m?.variance].filter((t): t is tf.Tensor => t !== undefined);
      });
    } finally {
      release?.(node);
    }
  });
  return { values, moments };

  function compute(node: NetworkNode, i: number): void {
    switch (node.op) {
      case 'add':
        return void (values[i] = tf.add(read(node.inputs[0], node), read(node.inputs[1], node)));
      case 'mul':
        return void (values[i] = tf.mul(read(node.inputs[0], node), read(node.inputs[1], node)));
      case 'attention': {
        const [q, k, v] = node.inputs.map((j) => read(j, node)) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
        return void (values[i] = attention(node, q, k, v, node.padding ? input : null));
      }
    }
    const x = read(node.input, node);
    const t = tensors[i] ?? null;
    switch (node.op) {
      case 'conv2d':
      case 'linear': {
        let { weight, bias } = weighted(t, node);
        const into = folded.get(i);
        if (into !== undefined) {
          // y = (Wx + b)·scale + shift = (W·scale)x + (b·scale + shift): one pass over the map, not three.
          const bn = network.nodes[into] as BatchNormNode;
          const { scale, shift } = normalisation(bn.eps, batchNormTensors(tensors[into] ?? null, bn), options.modes?.get(into) ?? EVAL);
          weight = tf.mul(weight, scale);
          bias = bias ? (tf.add(tf.mul(bias, scale), shift) as tf.Tensor1D) : shift;
        }
        const y = layerProduct(node, x, weight, bias);
        if (into === undefined) values[i] = y;
        else values[into] = y;
        return;
      }
      case 'batchnorm':
        values[i] = batchNorm(x, i, node.eps, batchNormTensors(t, node), options.modes?.get(i) ?? EVAL, moments);
        return;
      case 'activation':
        values[i] = activate(x, node.fn);
        return;
      case 'maxpool':
        values[i] = tf.maxPool(x as tf.Tensor4D, [...node.kernel], [...node.stride], padding(node.padding));
        return;
      case 'avgpool':
        values[i] = tf.avgPool(x as tf.Tensor4D, [...node.kernel], [...node.stride], 'valid');
        return;
      case 'globalavgpool':
        values[i] = tf.mean(x, [1, 2]);
        return;
      case 'flatten':
        values[i] = tf.reshape(x, [x.shape[0]!, -1]);
        return;
      case 'embedding': {
        // Padding (id −1) reads row 0 and is then zeroed.
        const rows = tf.gather(table(t, node), tf.cast(tf.maximum(x, 0), 'int32'));
        values[i] = tf.mul(rows, tf.expandDims(tf.cast(tf.greaterEqual(x, 0), 'float32'), -1));
        return;
      }
      case 'positions': {
        const length = x.shape[1]!;
        values[i] = tf.add(x, tf.slice(table(t, node), [0, 0], [length, node.features]));
        return;
      }
      case 'prepend': {
        const token = tf.tile(tf.reshape(table(t, node), [1, 1, node.features]), [x.shape[0]!, 1, 1]);
        values[i] = tf.concat([token, x], 1);
        return;
      }
      case 'patches': {
        const [n, h, w, c] = x.shape as [number, number, number, number];
        values[i] = tf.reshape(x, [n, h * w, c]);
        return;
      }
      case 'token':
        values[i] = tf.reshape(tf.slice(x, [0, node.index, 0], [-1, 1, -1]), [x.shape[0]!, x.shape[2]!]);
        return;
      case 'layernorm':
      case 'rmsnorm': {
        const { weight, bias } = normTensors(t, node);
        const last = x.rank - 1;
        let y: tf.Tensor;
        if (node.op === 'layernorm') {
          const { mean, variance } = tf.moments(x, last, true);
          y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, node.eps)));
        } else {
          y = tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), last, true), node.eps)));
        }
        y = tf.mul(y, weight);
        values[i] = bias ? tf.add(y, bias) : y;
        return;
      }
    }
  }
}

/** Added to the scores of keys a query must not read: finite, so a row with every key masked gives no NaN. */
const MASKED = -1e9;

/**
 * Scaled dot-product attention on sequences [N, T, ·] (see AttentionNode): heads split off the
 * features, rotary embeddings turned into queries and keys, grouped key/value heads repeated,
 * future keys (causal) and padded keys (id −1 in `ids`) masked, heads joined back.
 */
function attention(node: AttentionNode, q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, ids: tf.Tensor | null): tf.Tensor {
  const [n, t] = q.shape;
  const s = k.shape[1];
  const split = (x: tf.Tensor3D, heads: number, size: number): tf.Tensor4D => tf.transpose(tf.reshape(x, [n, x.shape[1], heads, size]), [0, 2, 1, 3]);
  let qh = split(q, node.heads, node.headSize);
  let kh = split(k, node.kvHeads, node.headSize);
  let vh = split(v, node.kvHeads, node.valueSize);
  if (node.rotary) {
    qh = rotate(qh, node.rotary.theta);
    kh = rotate(kh, node.rotary.theta);
  }
  if (node.kvHeads !== node.heads) {
    const group = node.heads / node.kvHeads;
    const which = tf.tensor1d(Array.from({ length: node.heads }, (_, h) => Math.floor(h / group)), 'int32');
    kh = tf.gather(kh, which, 1);
    vh = tf.gather(vh, which, 1);
  }
  const padded = ids ? tf.reshape(tf.less(ids, 0), [n, 1, s, 1]) : null;
  if (padded) {
    // A padded key's scores are masked below, but 0·NaN is NaN: whatever a padded position holds
    // (a config that passed every check may still overflow there) must not reach the others.
    kh = tf.where(padded, tf.zerosLike(kh), kh);
    vh = tf.where(padded, tf.zerosLike(vh), vh);
  }
  let scores: tf.Tensor = tf.mul(tf.matMul(qh, kh, false, true), 1 / Math.sqrt(node.headSize));
  if (node.causal) {
    const future = new Float32Array(t * s);
    for (let a = 0; a < t; a++) for (let b = a + 1; b < s; b++) future[a * s + b] = MASKED;
    scores = tf.add(scores, tf.tensor2d(future, [t, s]));
  }
  if (ids) scores = tf.add(scores, tf.reshape(tf.mul(tf.cast(tf.less(ids, 0), 'float32'), MASKED), [n, 1, 1, s]));
  const heads = tf.matMul(tf.softmax(scores), vh);
  return tf.reshape(tf.transpose(heads, [0, 2, 1, 3]), [n, t, node.heads * node.valueSize]);
}

/**
 * Llama's rotary embedding on x [N, heads, T, size] at positions 0…T−1, rotate_half convention:
 * dimensions i and i + size/2 turn together by position · theta^(−2i/size). The angles are
 * computed in float64, as the reference does, and rounded once.
 */
function rotate(x: tf.Tensor4D, theta: number): tf.Tensor4D {
  const [, , t, size] = x.shape;
  const half = size / 2;
  const cos = new Float32Array(t * size);
  const sin = new Float32Array(t * size);
  for (let p = 0; p < t; p++) {
    for (let i = 0; i < half; i++) {
      const angle = p * Math.pow(theta, (-2 * i) / size);
      cos[p * size + i] = cos[p * size + i + half] = Math.cos(angle);
      sin[p * size + i] = sin[p * size + i + half] = Math.sin(angle);
    }
  }
  const [x1, x2] = tf.split(x, 2, 3);
  const rotated = tf.concat([tf.neg(x2!), x1!], 3);
  return tf.add(tf.mul(x, tf.tensor2d(cos, [t, size])), tf.mul(rotated, tf.tensor2d(sin, [t, size])));
}

/**
 * What a layer with weights computes from its input x (flat rows, or an NHWC map): W·x + b, a
 * convolution with the layer's stride and padding, the weight in the backend's layout.
 */
export function layerProduct(node: WeightedNode, x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor1D | null): tf.Tensor {
  if (node.op === 'conv2d') {
    return tf.fused.conv2d({ x: x as tf.Tensor4D, filter: weight as tf.Tensor4D, strides: [...node.stride], pad: padding(node.padding), ...(bias ? { bias } : {}) });
  }
  if (x.rank === 3) {
    // A sequence [N, T, in]: every position at once, as one [N·T, in] product.
    const [n, t] = x.shape as [number, number, number];
    const y = tf.fused.matMul({ a: tf.reshape(x, [n * t, node.inFeatures]), b: weight as tf.Tensor2D, ...(bias ? { bias } : {}) });
    return tf.reshape(y, [n, t, node.outFeatures]);
  }
  return tf.fused.matMul({ a: x as tf.Tensor2D, b: weight as tf.Tensor2D, ...(bias ? { bias } : {}) });
}

/**
 * Frees each value once every node of this run that reads it has run, unless the caller reads
 * it, it was given, or it is the input. Called after each node runs, with that node. A value
 * can be another's very tensor (a BatchNorm passing its input through), so a tensor is only
 * freed when no value still wanted holds it.
 */
function releaser(
  network: Network,
  values: (tf.Tensor | undefined)[],
  input: tf.Tensor,
  read: readonly number[],
  runs: (i: number) => boolean,
  given: ReadonlyMap<number, tf.Tensor> | undefined,
): (node: NetworkNode) => void {
  const last = network.nodes.length - 1;
  const kept = new Set([...read, last]);
  const pending = network.nodes.map(() => 0);
  network.nodes.forEach((node, j) => {
    if (runs(j)) for (const k of nodeInputs(node)) if (k !== INPUT) pending[k]!++;
  });
  const wanted = (m: number) => kept.has(m) || pending[m]! > 0;
  return (node) => {
    for (const k of nodeInputs(node)) {
      if (k === INPUT || --pending[k]! > 0 || kept.has(k) || given?.has(k)) continue;
      const t = values[k];
      if (!t || t === input || values.some((v, m) => m !== k && v === t && wanted(m))) continue;
      values[k] = undefined;
      if (![...(given?.values() ?? [])].includes(t)) t.dispose();
    }
  };
}

function weighted(t: NodeTensors | null, node: NetworkNode): Extract<NodeTensors, { kind: 'weighted' }> {
  if (t?.kind !== 'weighted') throw new Error(`'${node.id}' has no weights on the backend`);
  return t;
}

function table(t: NodeTensors | null, node: NetworkNode): tf.Tensor {
  if (t?.kind !== 'table') throw new Error(`'${node.id}' has no table on the backend`);
  return t.table;
}

function normTensors(t: NodeTensors | null, node: NetworkNode): Extract<NodeTensors, { kind: 'norm' }> {
  if (t?.kind !== 'norm') throw new Error(`'${node.id}' has no norm tensors on the backend`);
  return t;
}

function batchNormTensors(t: NodeTensors | null, node: NetworkNode): Extract<NodeTensors, { kind: 'batchnorm' }> {
  if (t?.kind !== 'batchnorm') throw new Error(`'${node.id}' has no BatchNorm tensors on the backend`);
  return t;
}

/** Symmetric zero padding as TensorFlow.js takes it: 'valid' for none, else explicit per side. */
function padding([h, w]: Pair): 'valid' | [[number, number], [number, number], [number, number], [number, number]] {
  return h === 0 && w === 0 ? 'valid' : [[0, 0], [h, h], [w, w], [0, 0]];
}

function batchNorm(
  x: tf.Tensor,
  index: number,
  eps: number,
  t: Extract<NodeTensors, { kind: 'batchnorm' }>,
  mode: BatchNormMode,
  moments: Map<number, BatchMoments>,
): tf.Tensor {
  if (mode.kind === 'identity') return x;
  let mean: tf.Tensor1D;
  let variance: tf.Tensor1D;
  if (mode.kind === 'batch' || mode.kind === 'track') {
    const m = channelMoments(x);
    moments.set(index, m);
    if (mode.kind === 'track') return x;
    ({ mean, variance } = m);
  } else {
    ({ mean, variance } = mode.kind === 'stats' ? mode : t);
  }
  const { scale, shift } = affine(eps, t, mean, variance);
  return tf.add(tf.mul(x, scale), shift);
}

/** BatchNorm as y = x·scale + shift per channel, given the statistics it normalises by. */
function affine(eps: number, t: Extract<NodeTensors, { kind: 'batchnorm' }>, mean: tf.Tensor1D, variance: tf.Tensor1D): { scale: tf.Tensor1D; shift: tf.Tensor1D } {
  const scale = tf.mul(t.gamma, tf.rsqrt(tf.add(variance, eps))) as tf.Tensor1D;
  return { scale, shift: tf.sub(t.beta, tf.mul(mean, scale)) as tf.Tensor1D };
}

/** The affine form of a BatchNorm that normalises by known statistics (eval or stats mode). */
function normalisation(eps: number, t: Extract<NodeTensors, { kind: 'batchnorm' }>, mode: BatchNormMode): { scale: tf.Tensor1D; shift: tf.Tensor1D } {
  if (mode.kind !== 'eval' && mode.kind !== 'stats') throw new Error(`a BatchNorm in ${mode.kind} mode cannot be folded`);
  return mode.kind === 'stats' ? affine(eps, t, mode.mean, mode.variance) : affine(eps, t, t.mean, t.variance);
}

/**
 * BatchNorms computed inside the layer before them (BatchNorm index by layer index): those that
 * normalise by known statistics and are the only reader of a layer the caller does not read,
 * both computed by this run. The layer's value is left undefined.
 */
function foldedBatchNorms(network: Network, options: RunOptions): Map<number, number> {
  const readers = readersOf(network);
  const folded = new Map<number, number>();
  network.nodes.forEach((node, j) => {
    if (node.op !== 'batchnorm' || node.input === INPUT) return;
    const layer = node.input;
    const kind = (options.modes?.get(j) ?? EVAL).kind;
    const computed = (k: number) => !options.given?.has(k) && (options.compute?.[k] ?? true);
    const alone = readers[layer]!.length === 1 && !options.read?.includes(layer);
    if ((kind === 'eval' || kind === 'stats') && isWeighted(network.nodes[layer]!) && alone && computed(layer) && computed(j)) {
      folded.set(layer, j);
    }
  });
  return folded;
}

const readerCache = new WeakMap<Network, number[][]>();

function readersOf(network: Network): number[][] {
  let readers = readerCache.get(network);
  if (!readers) readerCache.set(network, (readers = consumers(network)));
  return readers;
}

/**
 * Per channel (the last axis of both layouts, flat rows and NHWC maps), the mean and biased
 * variance over every other position. A map is first averaged over its positions by a pooling
 * window as large as the map: on wasm a reduction over leading axes transposes the whole map
 * first, which took a quarter of a BatchNorm reset's time, while pooling reads NHWC as it lies.
 */
function channelMoments(x: tf.Tensor): BatchMoments {
  const channels = x.shape[x.shape.length - 1]!;
  const count = x.size / channels;
  const meanOver = (v: tf.Tensor): tf.Tensor1D => {
    if (v.rank !== 4) return tf.mean(v, 0) as tf.Tensor1D;
    const [, h, w] = v.shape as [number, number, number, number];
    return tf.mean(tf.reshape(tf.avgPool(v as tf.Tensor4D, [h, w], [h, w], 'valid'), [-1, channels]), 0) as tf.Tensor1D;
  };
  const mean = meanOver(x);
  const variance = meanOver(tf.square(tf.sub(x, mean)));
  return { mean, variance, count };
}
