/**
 * The series figures, drawn from the items' reports: the one place they are computed, so the CLI's
 * table, the series HTML report and the editor's Series panel show the same numbers, and the one
 * place a series report is assembled (a full run, `--merge` of per-item files, the editor).
 */
import { ALL_METHOD_NAMES, type CompareReport, type MethodName, type MethodResult } from '../../shared/compareReport';
import { nearestIndex } from '../../shared/presentation/nearestIndex';
import {
  SERIES_REPORT_VERSION,
  SERIES_VARIABLES,
  type BarrierMatrix,
  type SeriesFigures,
  type SeriesItem,
  type SeriesLayer,
  type SeriesLine,
  type SeriesReport,
  type SeriesWhy,
  type WidthScaling,
} from '../../shared/seriesReport';

/** Distinct widths a fitted exponent needs to mean anything. */
const MIN_WIDTHS = 3;
/** Checkpoints an all-pairs series needs before a matrix says more than its one line. */
const MIN_MATRIX_FILES = 3;

/** The mean of the values, or null when there are none. */
function mean(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((s, v) => s + v, 0) / values.length;
}

/** The methods run on any item, in the canonical order. */
function methodsRun(items: readonly SeriesItem[]): MethodName[] {
  return ALL_METHOD_NAMES.filter((m) => items.some((item) => item.report.methods[m] !== undefined));
}

/** One method's number per item, null where the item has none. */
function line(items: readonly SeriesItem[], method: MethodName, pick: (result: MethodResult, report: CompareReport) => number | null | undefined): SeriesLine {
  return items.map((item) => {
    const result = item.report.methods[method];
    return result ? pick(result, item.report) ?? null : null;
  });
}

function barriers(items: readonly SeriesItem[], methods: readonly MethodName[]): SeriesFigures['barriers'] {
  return Object.fromEntries(methods.map((m) => [m, { loss: line(items, m, (r) => r.barrier?.loss), accuracy: line(items, m, (r) => r.barrier?.accuracy) }]));
}

/** The permutation groups every item has, in the first item's order. */
function layers(items: readonly SeriesItem[], methods: readonly MethodName[]): SeriesLayer[] {
  const names = items[0]?.report.groups.map((g) => g.name) ?? [];
  const shared = names.filter((name) => items.every((item) => item.report.groups.some((g) => g.name === name)));
  return shared.map((layer) => {
    const dimS = (side: 'a' | 'b') => items.map((item) => item.report.dimS.find((d) => d.layer === layer)?.[side] ?? null);
    const w2 = (m: MethodName, which: 'identity' | 'aligned' | 'optimal') => line(items, m, (r) => r.matching.find((entry) => entry.layer === layer)?.wasserstein[which]);
    return {
      layer,
      width: items.map((item) => item.report.groups.find((g) => g.name === layer)!.size),
      dimS: { a: dimS('a'), b: dimS('b') },
      wasserstein: Object.fromEntries(
        methods
          .filter((m) => items.some((item) => item.report.methods[m]?.matching.some((entry) => entry.layer === layer)))
          .map((m) => [m, { identity: w2(m, 'identity'), aligned: w2(m, 'aligned'), optimal: w2(m, 'optimal') }]),
      ),
    };
  });
}

function why(items: readonly SeriesItem[], methods: readonly MethodName[]): SeriesWhy[] {
  return methods.map((method) => ({
    method,
    llfcCosine: line(items, method, (r, report) => {
      const middle = nearestIndex(report.alphas, 0.5);
      return mean(r.llfc.map((l) => l.cosine[middle]).filter((c): c is number => typeof c === 'number'));
    }),
    additivity: line(items, method, (r) => r.conditions && mean(r.conditions.additivity.map((a) => a.dissimilarity.flat))),
    additivityShuffled: line(items, method, (r) => r.conditions && mean(r.conditions.additivity.map((a) => a.shuffled.dissimilarity.flat))),
    commutativity: line(items, method, (r) => r.conditions && mean(r.conditions.commutativity.map((c) => c.distance))),
    commutativityShuffled: line(items, method, (r) => r.conditions && mean(r.conditions.commutativity.map((c) => c.shuffled.distance))),
  }));
}

/** The least-squares slope of y against x (at least two distinct x). */
export function leastSquaresSlope(x: readonly number[], y: readonly number[]): number {
  const mx = x.reduce((s, v) => s + v, 0) / x.length;
  const my = y.reduce((s, v) => s + v, 0) / y.length;
  let sxy = 0;
  let sxx = 0;
  x.forEach((xi, i) => {
    sxy += (xi - mx) * (y[i]! - my);
    sxx += (xi - mx) ** 2;
  });
  return sxy / sxx;
}

/**
 * Per group and method: the exponent k of W2 (optimal) ∝ width^k fitted on log-log axes over the
 * items with a positive W2, beside −1/Dim(S) of A at the widest item. Groups whose size does not
 * take at least three values among those items (or that have no Dim(S)) get no entry.
 */
function widthScaling(items: readonly SeriesItem[], variable: string, numeric: boolean, groups: readonly SeriesLayer[]): WidthScaling[] | null {
  if (variable !== SERIES_VARIABLES.width || !numeric || new Set(items.map((i) => i.value)).size < MIN_WIDTHS) return null;
  return groups.flatMap((group) => {
    let widest = 0;
    group.width.forEach((w, i) => {
      if (w > group.width[widest]!) widest = i;
    });
    const dimension = group.dimS.a[widest];
    if (dimension === null || dimension === undefined || !(dimension > 0)) return [];
    return ALL_METHOD_NAMES.flatMap((method) => {
      const optimal = group.wasserstein[method]?.optimal;
      if (!optimal) return [];
      const used = optimal.flatMap((w2, i) => (w2 !== null && w2 > 0 && Number.isFinite(w2) ? [i] : []));
      if (new Set(used.map((i) => group.width[i])).size < MIN_WIDTHS) return [];
      const exponent = leastSquaresSlope(used.map((i) => Math.log(group.width[i]!)), used.map((i) => Math.log(optimal[i]!)));
      return [{ layer: group.layer, method, exponent, theory: -1 / dimension, points: used.length }];
    });
  });
}

/**
 * When the pairs are every unordered pair among three or more checkpoints, each exactly once:
 * their barriers as a symmetric matrix per method. Checkpoints are told apart by the path each
 * report's request names, and listed in order of first appearance, relative to the folder they share.
 */
function barrierMatrix(items: readonly SeriesItem[], methods: readonly MethodName[]): BarrierMatrix | null {
  const files: string[] = [];
  for (const item of items) for (const f of [item.report.request.a, item.report.request.b]) if (!files.includes(f)) files.push(f);
  const n = files.length;
  if (n < MIN_MATRIX_FILES || items.length !== (n * (n - 1)) / 2) return null;
  const cell = new Map<string, SeriesItem>();
  for (const item of items) {
    const i = files.indexOf(item.report.request.a);
    const j = files.indexOf(item.report.request.b);
    const key = `${Math.min(i, j)},${Math.max(i, j)}`;
    if (i === j || cell.has(key)) return null;
    cell.set(key, item);
  }
  const matrix = (method: MethodName, pick: 'loss' | 'accuracy'): SeriesLine[] =>
    files.map((_, i) => files.map((__, j) => (i === j ? null : cell.get(`${Math.min(i, j)},${Math.max(i, j)}`)!.report.methods[method]?.barrier?.[pick] ?? null)));
  return {
    files: withoutSharedFolder(files),
    loss: Object.fromEntries(methods.map((m) => [m, matrix(m, 'loss')])),
    accuracy: Object.fromEntries(methods.map((m) => [m, matrix(m, 'accuracy')])),
  };
}

/** Paths with the folders they all share taken off the front ("runs/seed0.pt", "runs/seed1.pt" → "seed0.pt", "seed1.pt"). */
export function withoutSharedFolder(files: readonly string[]): string[] {
  const parts = files.map((f) => f.split(/[\\/]/));
  let shared = 0;
  while (parts.every((p) => p.length > shared + 1 && p[shared] === parts[0]![shared])) shared++;
  return parts.map((p) => p.slice(shared).join('/'));
}

/** The series figures of `items` (in the manifest's order); `numeric` when every value is a number. */
export function seriesFigures(items: readonly SeriesItem[], variable: string, numeric: boolean): SeriesFigures {
  const methods = methodsRun(items);
  const groups = layers(items, methods);
  return {
    barriers: barriers(items, methods),
    layers: groups,
    why: why(items, methods),
    widthScaling: widthScaling(items, variable, numeric, groups),
    barrierMatrix: barrierMatrix(items, methods),
  };
}

/** The series report of finished items, in the manifest's order whatever order they finished in. */
export function seriesReport(series: { readonly manifest: string | null; readonly variable: string }, items: readonly SeriesItem[]): SeriesReport {
  const ordered = [...items].sort((x, y) => x.index - y.index);
  const numeric = ordered.every((item) => typeof item.value === 'number');
  return {
    version: SERIES_REPORT_VERSION,
    createdAt: new Date().toISOString(),
    tool: ordered[0]?.report.tool ?? 'merge-lens',
    manifest: series.manifest,
    variable: series.variable,
    numeric,
    items: ordered,
    figures: seriesFigures(ordered, series.variable, numeric),
  };
}
