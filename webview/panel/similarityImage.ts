/**
 * The unit-similarity matrix as a picture: columns in B's own order or reordered by the
 * permutation, reduced by block maxima to at most one image pixel per screen pixel (a 4096-wide
 * layer becomes a few hundred pixels a side, and a matched unit's bright cell survives the
 * reduction, which a block mean would dilute). Hover reads the exact matrix, never this image.
 */
import type { UnitSimilarity } from '../../src/shared/unitSimilarity';
import { putViridis } from './canvasHeatmap';

export interface SimilarityImage {
  readonly image: ImageData;
  /** Units per image pixel along each axis. */
  readonly block: number;
  /** The colour scale: the matrix's smallest and largest cosine, rounded out to tenths. */
  readonly domain: readonly [number, number];
}

/** Column c shows B's unit permutation[c] when aligned (a good match is the diagonal), else unit c. */
export function columnUnit(similarity: UnitSimilarity, aligned: boolean, column: number): number {
  return aligned ? similarity.permutation[column]! : column;
}

export function similarityImage(similarity: UnitSimilarity, aligned: boolean, maxSide: number): SimilarityImage {
  const n = similarity.size;
  const block = Math.max(1, Math.ceil(n / Math.max(1, maxSide)));
  const side = Math.ceil(n / block);
  const columns = Int32Array.from({ length: n }, (_, c) => columnUnit(similarity, aligned, c));
  const maxima = new Float32Array(side * side).fill(-Infinity);
  const cosine = similarity.cosine;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const row = i * n;
    const out = Math.floor(i / block) * side;
    for (let bc = 0, c = 0; bc < side; bc++) {
      let best = maxima[out + bc]!;
      for (const end = Math.min(n, c + block); c < end; c++) {
        const v = cosine[row + columns[c]!]!;
        if (v > best) best = v;
        if (v < lo) lo = v;
      }
      maxima[out + bc] = best;
      if (best > hi) hi = best;
    }
  }
  const domain: [number, number] = Number.isFinite(lo) && Number.isFinite(hi) ? [Math.floor(lo * 10) / 10, Math.ceil(hi * 10) / 10] : [-1, 1];
  if (domain[1] <= domain[0]) domain[1] = domain[0] + 0.1;
  const image = new ImageData(side, side);
  const span = domain[1] - domain[0];
  for (let k = 0; k < maxima.length; k++) putViridis(image.data, k * 4, (maxima[k]! - domain[0]) / span);
  return { image, block, domain };
}
