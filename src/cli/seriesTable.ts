import type { MethodName } from '../shared/compareReport';
import { formatNumber, formatPercent } from '../shared/presentation/formatNumbers';
import { layerLabel } from '../shared/presentation/layerLabel';
import { methodsOf } from '../shared/presentation/methodStyles';
import type { SeriesReport } from '../shared/seriesReport';

/** Item `i`'s W2 at the optimum for `method`, averaged over the permutation groups; null when it has none. */
export function meanOptimalW2(report: SeriesReport, method: MethodName, i: number): number | null {
  const values = report.figures.layers.flatMap((layer) => {
    const v = layer.wasserstein[method]?.optimal[i];
    return v === null || v === undefined ? [] : [v];
  });
  return values.length === 0 ? null : values.reduce((s, v) => s + v, 0) / values.length;
}

/** A value the series figures hold, or '–' where an item has none. */
const cell = (value: number | null | undefined, format: (v: number) => string) => (value === null || value === undefined ? '–' : format(value));

/** The summary `merge-lens series` prints: a row per item and method. */
export function formatSeriesTable(report: SeriesReport): string {
  const { figures } = report;
  const rows = [[report.variable, 'method', 'loss barrier', 'acc. barrier', 'W2 optimal', 'LLFC cosine']];
  report.items.forEach((item, i) => {
    for (const [method] of methodsOf(item.report)) {
      rows.push([
        String(item.value),
        method,
        cell(figures.barriers[method]?.loss[i], (v) => formatNumber(v, 4)),
        cell(figures.barriers[method]?.accuracy[i], (v) => formatPercent(v)),
        cell(meanOptimalW2(report, method, i), (v) => formatNumber(v, 4)),
        cell(figures.why.find((w) => w.method === method)?.llfcCosine[i], (v) => formatNumber(v, 4)),
      ]);
    }
  });
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const lines = rows.map((r) => r.map((text, c) => (c < 2 ? text.padEnd(widths[c]!) : text.padStart(widths[c]!))).join('  ').trimEnd());
  const scaling = (figures.widthScaling ?? []).map(
    (s) => `W2 ∝ width^k, ${layerLabel(s.layer)}, ${s.method}: k = ${formatNumber(s.exponent, 3)} over ${s.points} widths; −1/Dim(S) = ${formatNumber(s.theory, 3)}`,
  );
  const notes = [
    'W2 optimal: the neurons\' Wasserstein-2 distance at the optimum, mean over the permutation groups; LLFC cosine: at the α nearest 0.5, mean over the activations.',
    ...scaling,
    ...report.items.flatMap((item) => item.report.warnings.map((w) => `warning (${report.variable} ${item.value}): ${w}`)),
  ];
  return [...lines, '', ...notes].join('\n');
}
