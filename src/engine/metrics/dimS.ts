import type { LayerDimension } from '../../shared/compareReport';
import { matrixProduct, transposed } from '../alignment/matrixProduct';
import type { Params } from '../model/params';

/** A layer as Dim(S) needs it: its weight [out, ...] and optional bias [out]. */
export interface WeightedLayer {
  readonly name: string;
  readonly weight: string;
  readonly bias: string | null;
}

/**
 * The participation ratio tr(S)² / tr(S²) of `n` vectors of dimension `d` (rows of a row-major
 * n × d matrix), S their covariance with the rows centred over the n vectors. The normalisation
 * of S cancels, and tr(S²) = ‖XᵀX‖²_F = ‖XXᵀ‖²_F for the centred X, so the smaller of the two
 * Gram matrices is formed. 0 when the vectors are all equal (S = 0).
 */
export async function participationRatio(vectors: Float32Array, n: number, d: number): Promise<number> {
  if (vectors.length !== n * d) throw new Error(`${vectors.length} values are not ${n} vectors of ${d}`);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < d; c++) mean[c]! += vectors[i * d + c]!;
  }
  const centred = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < d; c++) centred[i * d + c] = vectors[i * d + c]! - mean[c]! / n;
  }
  const gram = n <= d
    ? await matrixProduct(centred, n, d, transposed(centred, n, d), n)
    : await matrixProduct(transposed(centred, n, d), d, n, centred, d);
  const size = Math.min(n, d);
  let trace = 0;
  let squares = 0;
  for (let i = 0; i < size; i++) trace += gram[i * size + i]!;
  for (let k = 0; k < gram.length; k++) squares += gram[k]! * gram[k]!;
  return squares > 0 ? (trace * trace) / squares : 0;
}

/**
 * Dim(S) of one layer (Ferbach et al. 2023): its units' weight vectors are the rows of the weight
 * (trailing axes flattened) with the bias appended as one more coordinate, since a unit is
 * defined by both; a permutation of units or of inputs leaves the value unchanged.
 */
export async function layerDimension(params: Params, layer: WeightedLayer): Promise<number> {
  const weight = params.get(layer.weight);
  if (!weight) throw new Error(`the parameters lack '${layer.weight}'`);
  const n = weight.shape[0] ?? 0;
  const inner = n === 0 ? 0 : weight.data.length / n;
  if (layer.bias === null) return participationRatio(weight.data, n, inner);
  const bias = params.get(layer.bias);
  if (!bias || bias.data.length !== n) throw new Error(`'${layer.bias}' is not a bias of ${n} units`);
  const d = inner + 1;
  const rows = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    rows.set(weight.data.subarray(i * inner, (i + 1) * inner), i * d);
    rows[i * d + inner] = bias.data[i]!;
  }
  return participationRatio(rows, n, d);
}

/** Dim(S) of A and B for each of `layers` (e.g. an MLP architecture's layers). */
export async function dimS(a: Params, b: Params, layers: readonly WeightedLayer[]): Promise<LayerDimension[]> {
  const out: LayerDimension[] = [];
  for (const layer of layers) out.push({ layer: layer.name, a: await layerDimension(a, layer), b: await layerDimension(b, layer) });
  return out;
}
