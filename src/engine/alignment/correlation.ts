import { matrixProduct } from './matrixProduct';

/** A unit whose population standard deviation is at or below this has correlation 0 with every unit. */
export const STD_FLOOR = 1e-12;

/**
 * Per unit of a count × width feature matrix: its mean, and 1 / (σ·√count) (0 for a constant
 * unit), so that correlations are plain dot products of the scaled, centred columns.
 */
function unitScales(features: Float32Array, count: number, width: number): { mean: Float64Array; scale: Float64Array } {
  const mean = new Float64Array(width);
  for (let s = 0; s < count; s++) {
    for (let u = 0; u < width; u++) mean[u]! += features[s * width + u]!;
  }
  for (let u = 0; u < width; u++) mean[u]! /= count;
  const squares = new Float64Array(width);
  for (let s = 0; s < count; s++) {
    for (let u = 0; u < width; u++) squares[u]! += (features[s * width + u]! - mean[u]!) ** 2;
  }
  const scale = squares.map((sq) => {
    const std = Math.sqrt(sq / count);
    return std > STD_FLOOR ? 1 / (std * Math.sqrt(count)) : 0;
  });
  return { mean, scale };
}

/** The standardised features, laid out unit-major (width × count) or sample-major (count × width). */
function standardised(features: Float32Array, count: number, width: number, unitMajor: boolean): Float32Array {
  const { mean, scale } = unitScales(features, count, width);
  const out = new Float32Array(count * width);
  for (let s = 0; s < count; s++) {
    for (let u = 0; u < width; u++) {
      out[unitMajor ? u * count + s : s * width + u] = (features[s * width + u]! - mean[u]!) * scale[u]!;
    }
  }
  return out;
}

/**
 * Pearson correlations (population moments) between A's units (rows) and B's units (columns) over
 * `count` samples; both feature matrices are count × width, row-major.
 */
export async function correlationMatrix(
  featuresA: Float32Array,
  widthA: number,
  featuresB: Float32Array,
  widthB: number,
  count: number,
): Promise<Float64Array> {
  checkFeatures(featuresA, count, widthA);
  checkFeatures(featuresB, count, widthB);
  const za = standardised(featuresA, count, widthA, true);
  const zb = standardised(featuresB, count, widthB, false);
  return Float64Array.from(await matrixProduct(za, widthA, count, zb, widthB));
}

/** Per A unit i, in double precision: the correlation of A's unit i with B's unit perm[i]. */
export function matchedCorrelations(
  featuresA: Float32Array,
  featuresB: Float32Array,
  width: number,
  count: number,
  perm: Int32Array,
): Float64Array {
  checkFeatures(featuresA, count, width);
  checkFeatures(featuresB, count, width);
  const sa = unitScales(featuresA, count, width);
  const sb = unitScales(featuresB, count, width);
  const out = new Float64Array(width);
  for (let s = 0; s < count; s++) {
    const row = s * width;
    for (let i = 0; i < width; i++) {
      const j = perm[i]!;
      out[i]! += (featuresA[row + i]! - sa.mean[i]!) * (featuresB[row + j]! - sb.mean[j]!);
    }
  }
  for (let i = 0; i < width; i++) out[i]! *= sa.scale[i]! * sb.scale[perm[i]!]!;
  return out;
}

function checkFeatures(features: Float32Array, count: number, width: number): void {
  if (count < 1) throw new Error('correlations need at least one sample');
  if (features.length !== count * width) {
    throw new Error(`${features.length} feature values are not ${count} samples of ${width} units`);
  }
}
