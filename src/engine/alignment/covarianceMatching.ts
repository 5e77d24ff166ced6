import { tf } from '../backend/tfBackend';
import { batchSizeFor } from '../model/forward';
import { INPUT, layerUnits, type Network, type WeightedNode } from '../model/network';
import { valueShapes } from '../model/networkShapes';
import { channelSpacesWithValues, flattenedMap } from '../model/networkSpaces';
import { disposeTensors, uploadNetwork, uploadSamples } from '../model/networkTensors';
import type { Params } from '../model/params';
import { axisPermutation, entryRepeat, type Permutation, type PermutationSpec } from '../model/permutationSpec';
import { runNetwork } from '../model/runNetwork';
import type { AlignmentResult } from './alignmentResult';
import { solveAssignment } from './assignment/solveAssignment';
import { matrixProduct, transposed } from './matrixProduct';
import type { Samples } from './unitCorrelations';

/**
 * Most rows each layer's Σ is estimated from. An MLP's fit data stay below it (one row per
 * sample); a convolution has a row per sample and output position, and beyond this many the
 * first samples' patches, every position of each, stand for the rest.
 */
export const MAX_PATCH_ROWS = 1 << 16;

/**
 * Rows each float32 product of Σ's sums adds up, about (whole samples); the products are summed
 * in double. A product of all 65,536 patch rows at once lost up to 3e-4 of Σ's largest entry to
 * float32 accumulation. Building each part's patches apart also bounds the memory they hold.
 */
const MOMENT_BLOCK_ROWS = 1 << 12;

/**
 * cost(i, j) = (a_i − b_j)ᵀ Σ (a_i − b_j) for the rows a_i of `rowsA` and b_j of `rowsB` (both
 * n × e, row-major), Σ symmetric e × e. Expanded as aᵢᵀΣaᵢ + bⱼᵀΣbⱼ − 2aᵢᵀΣbⱼ, so the work is
 * two matrix products rather than n² quadratic forms.
 */
export async function covarianceCosts(rowsA: Float32Array, rowsB: Float32Array, n: number, e: number, sigma: Float32Array): Promise<Float64Array> {
  if (rowsA.length !== n * e || rowsB.length !== n * e || sigma.length !== e * e) {
    throw new Error(`covariance costs need two ${n}×${e} matrices and a ${e}×${e} Σ`);
  }
  const aSigma = await matrixProduct(rowsA, n, e, sigma, e);
  const bSigma = await matrixProduct(rowsB, n, e, sigma, e);
  const cross = await matrixProduct(aSigma, n, e, transposed(rowsB, n, e), n);
  const quadA = rowQuadratics(aSigma, rowsA, n, e);
  const quadB = rowQuadratics(bSigma, rowsB, n, e);
  const cost = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) cost[i * n + j] = quadA[i]! + quadB[j]! - 2 * cross[i * n + j]!;
  }
  return cost;
}

/** Per row i: Σ_c (XΣ)[i, c] · X[i, c] = xᵢᵀ Σ xᵢ. */
export function rowQuadratics(xSigma: Float32Array, x: Float32Array, n: number, e: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let c = i * e; c < (i + 1) * e; c++) sum += xSigma[c]! * x[c]!;
    out[i] = sum;
  }
  return out;
}

/**
 * What one unit of a layer computes from its input, as a row: its weights over the input
 * (a convolution's over its patch, channel-major, as PyTorch stores them) and its bias, with the
 * BatchNorm that follows folded in (eval mode: s = γ/√(var + ε), w ← s·w, b ← s·(b − μ) + β).
 */
export interface CovarianceLayer {
  readonly node: number;
  readonly batchNorm: number | null;
  /** Inputs per unit (the patch size of a convolution), and whether a constant 1 follows them. */
  readonly size: number;
  readonly withOne: boolean;
  /** The group its outputs lie in, and the group its inputs lie in (null: the data, or unpermuted). */
  readonly group: number;
  readonly inputGroup: number | null;
  /** Copies of each input unit the input axis holds (an output projection after grouped-query attention; else 1). */
  readonly inputRepeat: number;
}

/** The permutation of a layer's input axis that B's inputs take: its input group's, each unit's copies moving with it. */
export function inputPermutation(spec: PermutationSpec, layer: CovarianceLayer, perms: readonly (Permutation | undefined)[]): Permutation | null {
  if (layer.inputGroup === null) return null;
  const group = spec.groups[layer.inputGroup]!;
  return axisPermutation(group, { tensor: '', axis: 1, repeat: layer.inputRepeat }, perms[layer.inputGroup]!);
}

/**
 * What covariance matching weighs by, measured once under A on the fit data: every layer writing
 * into a permutation group (network order) and Σ = E[x̃ x̃ᵀ] of its input rows (`inputMoments`).
 * The matching and the covariance-weighted Wasserstein distance (neuronWasserstein) both read it.
 */
export interface CovarianceInputs {
  readonly network: Network;
  readonly layers: readonly CovarianceLayer[];
  /** Per layer's node: Σ, e × e row-major, e = size + 1 with the constant 1. */
  readonly sigmas: ReadonlyMap<number, Float32Array>;
}

export async function covarianceInputs(network: Network, spec: PermutationSpec, a: Params, fit: Samples): Promise<CovarianceInputs> {
  const { spaces, values } = channelSpacesWithValues(network);
  const groupOfSpace = spaces.spaces.map((space) => spec.groups.findIndex((g) => g.name === space.name && space.permutable));
  const layers = layerUnits(network).flatMap((unit): CovarianceLayer[] => {
    const node = network.nodes[unit.node] as WeightedNode;
    const group = groupOfSpace[values[unit.node]!]!;
    if (group < 0) return [];
    const weight = a.get(node.weight)!;
    // Grouped queries repeat their key/value group's units once per query head: none is one of its units.
    if (weight.shape[0] !== spec.groups[group]!.size) return [];
    const inputGroup = groupOfSpace[node.input === INPUT ? 0 : values[node.input]!]!;
    const inputEntry = inputGroup < 0 ? undefined : spec.groups[inputGroup]!.axes.find((e) => e.tensor === node.weight && e.axis === 1);
    return [{
      node: unit.node,
      batchNorm: unit.batchNorm,
      size: weight.data.length / weight.shape[0]!,
      withOne: node.bias !== null || unit.batchNorm !== null,
      group,
      inputGroup: inputGroup < 0 ? null : inputGroup,
      inputRepeat: inputEntry ? entryRepeat(inputEntry) : 1,
    }];
  });
  return { network, layers, sigmas: await inputMoments(network, valueShapes(network), a, fit, layers) };
}

/**
 * Covariance matching (Ferbach et al. 2023): layer by layer from the input, the assignment of
 * B's units to A's that minimises Σ_i E_x[(a_i·x̃ − b_perm[i]·x̃)²], the expected squared
 * difference of matched pre-activations (after the layer's BatchNorm), with x̃ = [x, 1] the
 * layer's input (a convolution's input patch) and B's input channels already in A's order.
 *
 * The expectation is over A's layer inputs on the fit data: A is the reference the permuted B is
 * made to imitate. A group that several layers write into (a ResNet stage) is matched when its
 * first writer is reached, on the sum of the costs of every writer whose inputs are aligned by
 * then: the stem or the stage's first block and its shortcut; the later blocks' writes into the
 * stage read the stage itself and follow the permutation chosen. `fit` may be the moments
 * measured already (`covarianceInputs` of the same A), which a comparison shares. Groups with a
 * `given` permutation keep it (see `covarianceGroups`).
 */
export async function covarianceMatching(
  network: Network,
  a: Params,
  b: Params,
  spec: PermutationSpec,
  fit: Samples | CovarianceInputs,
  given?: readonly (Permutation | null)[],
): Promise<AlignmentResult> {
  const { layers, sigmas } = 'sigmas' in fit ? fit : await covarianceInputs(network, spec, a, fit);
  const perms: (Permutation | undefined)[] = spec.groups.map((_, g) => given?.[g] ?? undefined);
  const details: Record<string, number | string> = {};
  for (const layer of layers) {
    const g = layer.group;
    if (perms[g]) continue;
    const writers = layers.filter((w) => w.group === g && (w.inputGroup === null || perms[w.inputGroup] !== undefined));
    const n = spec.groups[g]!.size;
    const cost = new Float64Array(n * n);
    for (const w of writers) {
      const e = w.size + (w.withOne ? 1 : 0);
      const part = await covarianceCosts(unitRows(network, a, w, null), unitRows(network, b, w, inputPermutation(spec, w, perms)), n, e, sigmas.get(w.node)!);
      for (let k = 0; k < cost.length; k++) cost[k]! += part[k]!;
    }
    const solved = solveAssignment(n, cost);
    perms[g] = solved.rowToCol;
    let identity = 0;
    for (let i = 0; i < n; i++) identity += cost[i * n + i]!;
    const name = spec.groups[g]!.name;
    details[`costTotal.${name}`] = solved.total;
    details[`costTotalIdentity.${name}`] = identity;
  }
  return {
    perms: perms.map((perm, g) => {
      if (!perm) throw new Error(`no layer writes the units of group '${spec.groups[g]!.name}'`);
      return perm;
    }),
    details,
  };
}

/**
 * The groups covariance matching solves; null for the others, which take weight matching's
 * permutation. Its cost compares pre-activations a unit computes from aligned inputs, which is
 * what an MLP's hidden units are. A transformer's residual stream has no such writer (every
 * block writes into it from its own units) and its attention units feed a bilinear score and a
 * softmax, not a pointwise activation: there it does not carry over, and only the groups an
 * activation reads (the MLPs) are covariance-matched. Elsewhere every group is.
 */
export function covarianceGroups(network: Network, spec: PermutationSpec): boolean[] {
  if (network.kind !== 'transformer') return spec.groups.map(() => true);
  const { spaces, values } = channelSpacesWithValues(network);
  const read = new Set(network.nodes.flatMap((node, i) => (node.op === 'activation' ? [spaces.spaces[values[i]!]!.name] : [])));
  return spec.groups.map((group) => read.has(group.name));
}

/** One layer's units as rows of [w | b] (BatchNorm folded in), B's input channels reordered by `inputPerm`. */
export function unitRows(network: Network, params: Params, layer: CovarianceLayer, inputPerm: Permutation | null): Float32Array {
  const node = network.nodes[layer.node] as WeightedNode;
  const weight = params.get(node.weight)!;
  const n = weight.shape[0]!;
  const channels = weight.shape[1]!;
  const inner = layer.size / channels;
  const e = layer.size + (layer.withOne ? 1 : 0);
  const scale = new Float64Array(n).fill(1);
  const shift = new Float64Array(n);
  if (node.bias) params.get(node.bias)!.data.forEach((v, i) => (shift[i] = v));
  const bn = layer.batchNorm === null ? null : network.nodes[layer.batchNorm]!;
  if (bn?.op === 'batchnorm') {
    const mean = params.get(bn.runningMean)!.data;
    const variance = params.get(bn.runningVar)!.data;
    for (let i = 0; i < n; i++) {
      const gamma = bn.weight ? params.get(bn.weight)!.data[i]! : 1;
      const beta = bn.bias ? params.get(bn.bias)!.data[i]! : 0;
      scale[i] = gamma / Math.sqrt(variance[i]! + bn.eps);
      shift[i] = scale[i]! * (shift[i]! - mean[i]!) + beta;
    }
  }
  const rows = new Float32Array(n * e);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < channels; c++) {
      const from = i * layer.size + (inputPerm ? inputPerm[c]! : c) * inner;
      for (let r = 0; r < inner; r++) rows[i * e + c * inner + r] = scale[i]! * weight.data[from + r]!;
    }
    if (layer.withOne) rows[i * e + layer.size] = shift[i]!;
  }
  return rows;
}

/**
 * Σ = E[x̃ x̃ᵀ] (uncentred) of each layer's input rows under A on the fit data: one row per
 * sample for a linear layer (a flattened map in channel, height, width order), one per sample
 * and output position for a convolution (its input patch), at most MAX_PATCH_ROWS per layer.
 */
async function inputMoments(network: Network, shapes: readonly (readonly number[])[], a: Params, fit: Samples, layers: readonly CovarianceLayer[]): Promise<Map<number, Float32Array>> {
  const sums = layers.map((l) => new Float64Array((l.size + (l.withOne ? 1 : 0)) ** 2));
  const rows = layers.map(() => 0);
  const batchSize = batchSizeFor(network);
  const tensors = uploadNetwork(network, a);
  try {
    for (let start = 0; start < fit.count && rows.some((r) => r < MAX_PATCH_ROWS); start += batchSize) {
      const end = Math.min(fit.count, start + batchSize);
      // Each layer's input for the samples it still takes rows from.
      const wanted = layers.map((layer, k) => Math.min(end - start, Math.ceil((MAX_PATCH_ROWS - rows[k]!) / rowsPerSample(network.nodes[layer.node] as WeightedNode, shapes[layer.node]!))));
      const taking = layers.flatMap((_, k) => (wanted[k]! > 0 ? [k] : []));
      const inputs = tf.tidy(() => {
        const x = uploadSamples(network, fit.inputs, start, end);
        const { values } = runNetwork(network, tensors, x, { read: layers.map((layer) => (network.nodes[layer.node] as WeightedNode).input) });
        return taking.map((k) => {
          const node = network.nodes[layers[k]!.node] as WeightedNode;
          return tf.slice(node.input === INPUT ? x : values[node.input]!, 0, wanted[k]!);
        });
      });
      try {
        for (const [t, input] of inputs.entries()) {
          const k = taking[t]!;
          const layer = layers[k]!;
          const node = network.nodes[layer.node] as WeightedNode;
          // Whole samples per product, about MOMENT_BLOCK_ROWS rows: each product's float32 sums stay short.
          const perSample = rowsPerSample(node, shapes[layer.node]!);
          const chunk = Math.max(1, Math.floor(MOMENT_BLOCK_ROWS / perSample));
          for (let from = 0; from < input.shape[0]! && rows[k]! < MAX_PATCH_ROWS; from += chunk) {
            const samples = Math.min(chunk, input.shape[0]! - from);
            const count = Math.min(samples * perSample, MAX_PATCH_ROWS - rows[k]!);
            const product = tf.tidy(() => {
              const m = inputRows(node, shapes[layer.node]!, flattenedMap(network, shapes, node.input), tf.slice(input, from, samples));
              const limited = m.shape[0] > count ? tf.slice(m, [0, 0], [count, -1]) : m;
              const full = layer.withOne ? tf.concat([limited, tf.ones([count, 1])], 1) : limited;
              // Transposed explicitly: wasm multiplies by a transposed operand several times slower.
              return tf.matMul(tf.transpose(full), full);
            });
            const v = await product.data<'float32'>();
            product.dispose();
            const sum = sums[k]!;
            for (let i = 0; i < v.length; i++) sum[i]! += v[i]!;
            rows[k]! += count;
          }
        }
      } finally {
        tf.dispose(inputs);
      }
    }
  } finally {
    disposeTensors(tensors);
  }
  return new Map(layers.map((layer, k) => [layer.node, Float32Array.from(sums[k]!, (s) => s / rows[k]!)]));
}

/** Rows of Σ one sample gives a layer: one, or one per output position (`out`: C×H×W) of a convolution or of a sequence. */
function rowsPerSample(node: WeightedNode, out: readonly number[]): number {
  if (node.op === 'conv2d') return out[1]! * out[2]!;
  // A linear layer on a sequence [T, features] applies to each position: one row each.
  return out.length === 2 ? out[0]! : 1;
}

/**
 * A layer's input as rows of what each unit multiplies: patches (channel, dy, dx) of a
 * convolution, vectors of a linear layer (one per position of a sequence). A linear layer reading a flattened map (`map`, C×H×W)
 * gets the flattening's NHWC order turned channel-major, the order of its [out, C, H, W] weight.
 */
function inputRows(node: WeightedNode, out: readonly number[], map: readonly number[] | null, x: tf.Tensor): tf.Tensor2D {
  const n = x.shape[0]!;
  if (node.op === 'linear') {
    if (x.rank === 3) return tf.reshape(x, [-1, x.shape[2]!]) as tf.Tensor2D;
    if (!map) return tf.reshape(x, [n, -1]) as tf.Tensor2D;
    const [c, h, w] = map as [number, number, number];
    return tf.reshape(tf.transpose(tf.reshape(x, [n, h, w, c]), [0, 3, 1, 2]), [n, -1]) as tf.Tensor2D;
  }
  const [kh, kw] = node.kernel;
  const [sh, sw] = node.stride;
  const [ph, pw] = node.padding;
  const [h2, w2] = [out[1]!, out[2]!];
  const c = x.shape[3]!;
  const padded = ph === 0 && pw === 0 ? x : tf.pad(x, [[0, 0], [ph, ph], [pw, pw], [0, 0]]);
  const slices: tf.Tensor[] = [];
  for (let dy = 0; dy < kh; dy++) {
    for (let dx = 0; dx < kw; dx++) {
      slices.push(tf.stridedSlice(padded, [0, dy, dx, 0], [n, dy + sh * (h2 - 1) + 1, dx + sw * (w2 - 1) + 1, c], [1, sh, sw, 1]));
    }
  }
  return tf.reshape(tf.stack(slices, 4), [n * h2 * w2, c * kh * kw]) as tf.Tensor2D;
}
