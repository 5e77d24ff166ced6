/**
 * The unit-similarity matrix as a picture: columns in B's own order or reordered by the
 * permutation, reduced by block maxima to at most one image pixel per screen pixel (a 4096-wide
 * layer becomes a few hundred pixels a side, and a matched unit's bright cell survives the
 * reduction, which a block mean would dilute). Hover reads the exact matrix, never this image.
 */
import type { UnitSimilarity } from '../../src/shared/unitSimilarity';
import { putViridis, type CellWindow } from './canvasHeatmap';

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

/**
 * The cells of `window` (every cell when absent) as at most `maxSide` image pixels a side. The
 * colour scale is always the whole matrix's, so a zoomed region keeps the colours it had.
 */
export function similarityImage(similarity: UnitSimilarity, aligned: boolean, maxSide: number, window?: CellWindow): SimilarityImage {
  const n = similarity.size;
  const { row0, rows, column0, columns: width } = window ?? { row0: 0, rows: n, column0: 0, columns: n };
  const block = Math.max(1, Math.ceil(Math.max(rows, width) / Math.max(1, maxSide)));
  const sideX = Math.ceil(width / block);
  const sideY = Math.ceil(rows / block);
  const columns = Int32Array.from({ length: width }, (_, c) => columnUnit(similarity, aligned, column0 + c));
  const maxima = new Float32Array(sideX * sideY).fill(-Infinity);
  const cosine = similarity.cosine;
  for (let i = 0; i < rows; i++) {
    const row = (row0 + i) * n;
    const out = Math.floor(i / block) * sideX;
    for (let bc = 0, c = 0; bc < sideX; bc++) {
      let best = maxima[out + bc]!;
      for (const end = Math.min(width, c + block); c < end; c++) {
        const v = cosine[row + columns[c]!]!;
        if (v > best) best = v;
      }
      maxima[out + bc] = best;
    }
  }
  const domain = similarityDomain(similarity);
  const image = new ImageData(sideX, sideY);
  const span = domain[1] - domain[0];
  for (let k = 0; k < maxima.length; k++) putViridis(image.data, k * 4, (maxima[k]! - domain[0]) / span);
  return { image, block, domain };
}

const domains = new WeakMap<UnitSimilarity, readonly [number, number]>();

/** The matrix's smallest and largest cosine, rounded out to tenths (once per matrix). */
export function similarityDomain(similarity: UnitSimilarity): readonly [number, number] {
  let domain = domains.get(similarity);
  if (domain) return domain;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of similarity.cosine) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const [a, b] = Number.isFinite(lo) && Number.isFinite(hi) ? [Math.floor(lo * 10) / 10, Math.ceil(hi * 10) / 10] : [-1, 1];
  // Tenths as decimals (0.30000000000000004 would not print back as the tick 0.3).
  domain = [Number(a.toFixed(1)), Number((b > a ? b : a + 0.1).toFixed(1))];
  domains.set(similarity, domain);
  return domain;
}
