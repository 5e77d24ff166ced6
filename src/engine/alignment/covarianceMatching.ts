import { forwardMlp } from '../model/forward';
import type { MlpArchitecture } from '../model/mlp';
import type { Params } from '../model/params';
import type { Permutation, PermutationSpec } from '../model/permutationSpec';
import type { AlignmentResult } from './alignmentResult';
import { solveAssignment } from './assignment/solveAssignment';
import { matrixProduct, transposed } from './matrixProduct';

/**
 * Σ = E[x̃ x̃ᵀ] over `count` samples of `size` inputs (count × size, row-major), uncentred, with
 * x̃ = [x, 1] when `withOne` (the bias coordinate): a (size+1)² or size² float32 matrix.
 */
export async function secondMoment(inputs: Float32Array, count: number, size: number, withOne: boolean): Promise<Float32Array> {
  if (count < 1) throw new Error('the covariance needs at least one sample');
  if (inputs.length !== count * size) throw new Error(`${inputs.length} inputs are not ${count} samples of ${size}`);
  const e = withOne ? size + 1 : size;
  const extended = new Float32Array(count * e);
  for (let s = 0; s < count; s++) {
    extended.set(inputs.subarray(s * size, (s + 1) * size), s * e);
    if (withOne) extended[s * e + size] = 1;
  }
  const moment = await matrixProduct(transposed(extended, count, e), e, count, extended, e);
  for (let i = 0; i < moment.length; i++) moment[i]! /= count;
  return moment;
}

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
function rowQuadratics(xSigma: Float32Array, x: Float32Array, n: number, e: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let c = i * e; c < (i + 1) * e; c++) sum += xSigma[c]! * x[c]!;
    out[i] = sum;
  }
  return out;
}

/**
 * Covariance matching (Ferbach et al. 2023): layer by layer from the input, the assignment of B's
 * units to A's that minimises Σ_i E_x[(a_i·x̃ − b_perm[i]·x̃)²], the expected squared difference
 * of matched pre-activations, with a_i, b_j rows of [W | b] and B's input columns already put in
 * A's order by the previous layer's assignment.
 *
 * The expectation is over A's layer inputs (the data for the first layer, A's post-activation
 * features after): A is the reference the permuted B is made to imitate, and once the earlier
 * layers are aligned A's inputs are what both layers' units are meant to agree on; B's own inputs
 * would arrive in B's unaligned order and describe a different distribution for each candidate.
 */
export async function covarianceMatching(
  architecture: MlpArchitecture,
  a: Params,
  b: Params,
  spec: PermutationSpec,
  inputs: Float32Array,
  count: number,
): Promise<AlignmentResult> {
  const features = (await forwardMlp(architecture, a, inputs, count, { features: true })).features;
  const perms: (Permutation | undefined)[] = spec.groups.map(() => undefined);
  const details: Record<string, number> = {};
  for (const [l, layer] of architecture.layers.slice(0, -1).entries()) {
    const out = groupOf(spec, layer.weight, 0);
    if (out === null) throw new Error(`no permutation group reorders the outputs of '${layer.name}'`);
    const inputGroup = groupOf(spec, layer.weight, 1);
    const inputPerm = inputGroup === null ? null : perms[inputGroup];
    if (inputPerm === undefined) throw new Error(`the inputs of '${layer.name}' are permuted by a group no earlier layer writes`);
    const withBias = layer.bias !== null;
    const e = layer.inFeatures + (withBias ? 1 : 0);
    const n = layer.outFeatures;
    const layerInputs = l === 0 ? inputs : features[l - 1]!;
    const sigma = await secondMoment(layerInputs, count, layer.inFeatures, withBias);
    const cost = await covarianceCosts(unitRows(a, layer, null), unitRows(b, layer, inputPerm), n, e, sigma);
    const solved = solveAssignment(n, cost);
    perms[out] = solved.rowToCol;
    let identity = 0;
    for (let i = 0; i < n; i++) identity += cost[i * n + i]!;
    details[`costTotal.${layer.name}`] = solved.total;
    details[`costTotalIdentity.${layer.name}`] = identity;
  }
  return {
    perms: perms.map((perm, g) => {
      if (!perm) throw new Error(`group '${spec.groups[g]!.name}' is not the output of a hidden layer`);
      return perm;
    }),
    details,
  };
}

/** The group that permutes `axis` of `tensor`, or null. */
function groupOf(spec: PermutationSpec, tensor: string, axis: number): number | null {
  const g = spec.groups.findIndex((group) => group.axes.some((entry) => entry.tensor === tensor && entry.axis === axis));
  return g < 0 ? null : g;
}

/** The layer's units as rows of [W | b] (out × (in+1), or out × in without a bias), inputs reordered by `inputPerm`. */
function unitRows(params: Params, layer: MlpArchitecture['layers'][number], inputPerm: Permutation | null): Float32Array {
  const weight = params.get(layer.weight);
  const bias = layer.bias === null ? null : params.get(layer.bias);
  if (!weight || bias === undefined) throw new Error(`the parameters lack '${weight ? layer.bias : layer.weight}'`);
  const { inFeatures: d, outFeatures: n } = layer;
  const e = bias ? d + 1 : d;
  const rows = new Float32Array(n * e);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < d; c++) rows[i * e + c] = weight.data[i * d + (inputPerm ? inputPerm[c]! : c)]!;
    if (bias) rows[i * e + d] = bias.data[i]!;
  }
  return rows;
}
