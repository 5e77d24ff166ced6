import type { NeuronWasserstein } from '../../shared/compareReport';
import { covarianceCosts, inputPermutation, rowQuadratics, unitRows, type CovarianceInputs } from '../alignment/covarianceMatching';
import { matrixProduct, transposed } from '../alignment/matrixProduct';
import { solveAssignment } from '../alignment/assignment/solveAssignment';
import { permutedParams, specLayout } from '../alignment/specLayout';
import type { Params } from '../model/params';
import { entryRepeat, type Permutation, type PermutationSpec } from '../model/permutationSpec';

/**
 * Per group, the empirical Wasserstein-2 distance between A's and B's neurons (Ferbach et al.):
 * each unit is one point, the vector of every parameter that writes it (the axis-0 slices of the
 * group's tensors: its row of W, its bias, its BatchNorm's weight and bias; running statistics
 * and the next layer's columns left out), with uniform weights, so that with n units on each side
 * W2² = (1/n)·min over σ of Σ‖a_i − b_σ(i)‖². Reported for σ the identity with B as it is, for σ
 * the method's permutation (B's inputs permuted by the method too), and the minimum over σ with
 * B's inputs as the method permuted them. With `covariance` (the moments covariance matching
 * weighs by, measured under A), the covariance-weighted counterpart for the same three σ.
 */
export async function neuronWasserstein(a: Params, b: Params, spec: PermutationSpec, perms: readonly Permutation[], covariance: CovarianceInputs | null): Promise<NeuronWasserstein[]> {
  const permutedB = permutedParams(specLayout(spec, a, b), b, perms);
  const result: NeuronWasserstein[] = [];
  for (const [g, group] of spec.groups.entries()) {
    // Grouped queries repeat the group's units once per query head: the units are the keys' and values' rows.
    const writing = group.axes.filter((e) => e.axis === 0 && !e.statistic && entryRepeat(e) === 1).map((e) => e.tensor);
    const n = group.size;
    const pointsA = neurons(a, writing, n);
    const pointsB = neurons(b, writing, n);
    const alignedB = neurons(permutedB, writing, n);
    const optimal = await optimalAssignment(pointsA, alignedB, n);
    result.push({
      layer: group.name,
      identity: distance(pointsA, pointsB, n, (i) => i),
      aligned: distance(pointsA, alignedB, n, (i) => i),
      optimal: distance(pointsA, alignedB, n, (i) => optimal[i]!),
      covariance: covariance && (await covarianceWasserstein(covariance, spec, a, b, g, n, perms)),
    });
  }
  return result;
}

/**
 * √((1/n)·Σ_i cost(i, σ(i))) with cost(i, j) = Σ over the layers writing group g of
 * (a_i − b_j)ᵀ Σ (a_i − b_j), the rows and Σ covariance matching's: the quantity it minimises,
 * over all of the group's writers. The optimal σ comes from the expanded costs
 * (`covarianceCosts`); each distance is then summed over the differences themselves, so that
 * equal units are at distance 0 exactly rather than at float32 rounding of two large terms.
 */
async function covarianceWasserstein(inputs: CovarianceInputs, spec: PermutationSpec, a: Params, b: Params, g: number, n: number, perms: readonly Permutation[]): Promise<{ identity: number; aligned: number; optimal: number }> {
  const writers = inputs.layers.filter((w) => w.group === g).map((w) => ({
    e: w.size + (w.withOne ? 1 : 0),
    sigma: inputs.sigmas.get(w.node)!,
    rowsA: unitRows(inputs.network, a, w, null),
    rowsB: unitRows(inputs.network, b, w, null),
    alignedB: unitRows(inputs.network, b, w, inputPermutation(spec, w, perms)),
  }));
  const cost = new Float64Array(n * n);
  for (const w of writers) {
    const part = await covarianceCosts(w.rowsA, w.alignedB, n, w.e, w.sigma);
    for (let k = 0; k < cost.length; k++) cost[k]! += part[k]!;
  }
  const optimal = solveAssignment(n, cost).rowToCol;
  const at = async (which: 'rowsB' | 'alignedB', sigma: (i: number) => number): Promise<number> => {
    let sum = 0;
    for (const w of writers) sum += await matchedCost(w.rowsA, w[which], n, w.e, w.sigma, sigma);
    return n === 0 ? 0 : Math.sqrt(Math.max(0, sum) / n);
  };
  return {
    identity: await at('rowsB', (i) => i),
    aligned: await at('alignedB', (i) => perms[g]![i]!),
    optimal: await at('alignedB', (i) => optimal[i]!),
  };
}

/** Σ_i (a_i − b_σ(i))ᵀ Σ (a_i − b_σ(i)) for n × e rows. */
async function matchedCost(rowsA: Float32Array, rowsB: Float32Array, n: number, e: number, sigma: Float32Array, match: (i: number) => number): Promise<number> {
  const diff = new Float32Array(n * e);
  for (let i = 0; i < n; i++) {
    const j = match(i);
    for (let k = 0; k < e; k++) diff[i * e + k] = rowsA[i * e + k]! - rowsB[j * e + k]!;
  }
  return rowQuadratics(await matrixProduct(diff, n, e, sigma, e), diff, n, e).reduce((x, y) => x + y, 0);
}

/** n × d, row i the concatenated axis-0 slices of unit i. */
function neurons(params: Params, names: readonly string[], n: number): { readonly data: Float32Array; readonly width: number } {
  const widths = names.map((name) => params.get(name)!.data.length / n);
  const width = widths.reduce((x, y) => x + y, 0);
  const data = new Float32Array(n * width);
  let offset = 0;
  names.forEach((name, k) => {
    const source = params.get(name)!.data;
    const w = widths[k]!;
    for (let i = 0; i < n; i++) data.set(source.subarray(i * w, (i + 1) * w), i * width + offset);
    offset += w;
  });
  return { data, width };
}

/** √((1/n)·Σ_i ‖a_i − b_σ(i)‖²), in double precision. */
function distance(a: { data: Float32Array; width: number }, b: { data: Float32Array; width: number }, n: number, sigma: (i: number) => number): number {
  if (n === 0) return 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const j = sigma(i);
    for (let k = 0; k < a.width; k++) sum += (a.data[i * a.width + k]! - b.data[j * b.width + k]!) ** 2;
  }
  return Math.sqrt(sum / n);
}

/**
 * The σ minimising Σ‖a_i − b_σ(i)‖²: an assignment on −2⟨a_i, b_j⟩ + ‖b_j‖² (‖a_i‖² is the same
 * for every j), the inner products one float32 product on the backend. The distance at σ is then
 * computed exactly.
 */
async function optimalAssignment(a: { data: Float32Array; width: number }, b: { data: Float32Array; width: number }, n: number): Promise<Int32Array> {
  const d = a.width;
  const squares = new Float64Array(n);
  for (let j = 0; j < n; j++) for (let k = 0; k < d; k++) squares[j]! += b.data[j * d + k]! ** 2;
  const inner = await matrixProduct(a.data, n, d, transposed(b.data, n, d), n);
  const cost = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) cost[i * n + j] = squares[j]! - 2 * inner[i * n + j]!;
  return solveAssignment(n, cost).rowToCol;
}
