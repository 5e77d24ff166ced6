/**
 * One attention's head matching as every view shows it (the CLI's lines, the HTML report's and
 * the panel's head-to-head heatmaps): the similarity of the matched heads against B's heads left
 * in place, the pairs in one line, the colour scale's domain, and the words.
 */
import type { HeadMatching } from '../compareReport';
import { formatNumber } from './formatNumbers';

/** A's head a against B's head b. */
export function headSimilarity(heads: HeadMatching, a: number, b: number): number {
  return heads.similarity[a * heads.count + b] ?? NaN;
}

/** The mean similarity of the matched pairs (a, permutation[a]). */
export function matchedHeadSimilarity(heads: HeadMatching): number {
  return mean(heads.permutation.map((b, a) => headSimilarity(heads, a, b)));
}

/** The mean similarity of the pairs (a, a): B's heads as they are. */
export function identityHeadSimilarity(heads: HeadMatching): number {
  return mean(heads.permutation.map((_, a) => headSimilarity(heads, a, a)));
}

/** "0→0 1→3 2→2 3→1": A's head → B's head. */
export function headPairsText(heads: HeadMatching): string {
  return heads.permutation.map((b, a) => `${a}→${b}`).join(' ');
}

/** "1 of 4 heads moved · mean head similarity matched 0.272, in place 0.261". */
export function headMovesText(heads: HeadMatching): string {
  const moved = heads.permutation.filter((b, a) => a !== b).length;
  return `${moved} of ${heads.count} heads moved · ${HEAD_TEXT.similarityShort} matched ${formatNumber(matchedHeadSimilarity(heads), 3)}, in place ${formatNumber(identityHeadSimilarity(heads), 3)}`;
}

/** One line per attention: its pairs, then headMovesText. */
export function headSummaryLine(heads: HeadMatching): string {
  return `${headPairsText(heads)} · ${headMovesText(heads)}`;
}

/**
 * One colour scale for a method's head maps: the smallest and largest similarity over every
 * attention, rounded out to tenths (as the unit maps' scale is), so blocks compare by colour.
 */
export function headDomain(attentions: readonly HeadMatching[]): readonly [number, number] {
  const values = attentions.flatMap((h) => h.similarity.filter(Number.isFinite));
  if (values.length === 0) return [0, 1];
  const lo = Math.floor(Math.min(...values) * 10) / 10;
  const hi = Math.ceil(Math.max(...values) * 10) / 10;
  // Tenths as decimals, so the colour bar's end ticks print back exactly.
  return [Number(lo.toFixed(1)), Number((hi > lo ? hi : lo + 0.1).toFixed(1))];
}

export const HEAD_TEXT = {
  title: 'Attention heads: head-to-head similarity',
  similarityShort: 'mean head similarity',
  scale: 'head similarity (mean cosine of the heads\' units under the best within-head matching)',
  rows: 'A head',
  columns: 'B head (B\'s own order)',
  columnsAligned: 'B head π(a), in the order of A\'s heads',
  caption:
    'Each map is one attention: how alike A\'s head a (row) and B\'s head b (column) are, the mean cosine of their units\' weight vectors (query/key and value/output units together, B\'s other groups aligned by the method) under the best matching of units within the heads (none where rotary embeddings keep query/key units in place). Framed cells are the heads the method matched: a head moves whole, its query, key and value units and its columns of the output projection together.',
} as const;

function mean(values: readonly number[]): number {
  return values.length > 0 ? values.reduce((s, v) => s + v, 0) / values.length : NaN;
}
