/**
 * `merge-lens compare --html`: the comparison as one self-contained page, tables and SVG
 * figures inline, no script and nothing fetched (its Content-Security-Policy forbids both), so
 * it can be mailed, archived, or printed into a paper's appendix as it is.
 */
import { bestMethod } from '../shared/bestMethod';
import type { CompareReport, DatasetSummary, MethodName, MethodResult } from '../shared/compareReport';
import { formatNumber, formatOptional, formatPercent, formatScientific } from '../shared/presentation/formatNumbers';
import { layerLabel } from '../shared/presentation/layerLabel';
import { METHOD_STYLE, OKABE_ITO, methodsOf } from '../shared/presentation/methodStyles';
import { nearestIndex } from '../shared/presentation/nearestIndex';
import { escapeHtml } from './htmlEscape';
import { groupedBarChart, lineChart, type LineSeries, type SeriesStyle } from './svgCharts';
import { colorLegend, heatmap, permutationMatrix } from './svgHeatmaps';
import { finiteExtent } from './svgScales';

const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/** A method's look (METHOD_STYLE) as an SVG series draws it: the paper colour, the dash as a stroke-dasharray. */
function methodStyle(method: MethodName): SeriesStyle {
  const { label, color, dash, marker } = METHOD_STYLE[method];
  return { name: label, color: color.light, marker, ...(dash.length > 0 ? { dash: dash.join(' ') } : {}) };
}

const STYLE = `
body { font-family: Georgia, 'Times New Roman', serif; color: #222; background: #fff; max-width: 1060px; margin: 28px auto; padding: 0 24px; line-height: 1.45; }
h1 { font-size: 23px; margin: 0 0 4px; font-weight: normal; }
h2 { font-size: 16px; margin: 30px 0 8px; font-weight: bold; }
.subtitle { color: #555; margin: 0 0 14px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; font-size: 13.5px; margin: 0; }
dl.facts dt { color: #555; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.warnings { border-left: 4px solid ${OKABE_ITO.vermillion}; background: #fdf1e8; padding: 8px 14px; margin: 16px 0; font-size: 14px; }
.warnings ul { margin: 4px 0; padding-left: 20px; }
table { border-collapse: collapse; font-family: Helvetica, Arial, sans-serif; font-size: 12.5px; margin: 6px 0 4px; border-top: 1.5px solid #222; border-bottom: 1.5px solid #222; }
th, td { padding: 4px 12px; text-align: left; vertical-align: top; }
td:first-child { white-space: nowrap; }
thead th { border-bottom: 0.8px solid #222; font-weight: bold; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.invalid td { background: #fbeaea; }
.fail { color: #b00020; font-weight: bold; }
.ok { color: #1b6e3a; }
.caption { font-size: 13.5px; margin: 6px 0 0; max-width: 980px; }
.caption b { font-weight: bold; }
figure { margin: 22px 0 10px; page-break-inside: avoid; }
.panels { display: flex; flex-wrap: wrap; gap: 8px 22px; align-items: flex-start; }
.panel-label { font-family: Helvetica, Arial, sans-serif; font-size: 12px; font-weight: bold; margin: 0 0 2px 4px; }
.details { font-family: Helvetica, Arial, sans-serif; font-size: 12px; color: #444; }
.moved { margin: 0 0 0 46px; }
footer { margin: 34px 0 10px; font-size: 12px; color: #666; border-top: 0.8px solid #ccc; padding-top: 8px; }
@media print { body { margin: 0; max-width: none; } h2 { page-break-after: avoid; } }
`;

function last<T>(values: readonly T[]): T | undefined {
  return values[values.length - 1];
}

/** A cell whose measurement needs data the comparison did not have. */
const NONE = '–';

function header(report: CompareReport): string {
  const { a, b } = report.checkpoints;
  const arch = report.architecture;
  const widths = [arch.inputSize, ...report.layers.map((l) => l.width)].join(' → ');
  const data = (d: DatasetSummary | undefined): string =>
    d ? `${escapeHtml(d.file)} (${d.count} examples, input ${escapeHtml(d.inputShape.join('×'))}, ${d.numClasses} classes)` : 'none (weights only)';
  const facts: [string, string][] = [
    ['Model A', `${escapeHtml(a.file)} <span class="details">(${escapeHtml(a.format)})</span>`],
    ['Model B', `${escapeHtml(b.file)} <span class="details">(${escapeHtml(b.format)})</span>`],
    [
      'Architecture',
      arch.kind === 'mlp'
        ? `MLP ${escapeHtml(widths)}, ${escapeHtml(arch.activation)}`
        : `convolutional, ${escapeHtml(arch.inputShape.join('×'))} input, ${report.layers.length} layers with weights, ${report.groups.length} permutation groups (${report.groups.filter((g) => g.layers.length > 1).length} residual)${report.bnReset === null ? '' : `; BatchNorm reset ${report.bnReset ? 'on' : 'off'}`}`,
    ],
    ['Evaluation data', data(report.data?.evaluation)],
    ['Alignment data', data(report.data?.fit)],
    ['Path', report.data
      ? `${report.alphas.length} values of α from ${formatNumber(report.alphas[0] ?? 0, 2)} to ${formatNumber(last(report.alphas) ?? 1, 2)}`
      : 'not measured: it needs evaluation data'],
    ['Backend', `TensorFlow.js ${escapeHtml(report.backend)}`],
  ];
  const warnings = report.warnings.length === 0
    ? ''
    : `<div class="warnings"><b>Warnings</b><ul>${report.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul></div>`;
  return (
    `<h1>Linear mode connectivity of two checkpoints</h1>` +
    `<p class="subtitle">θ(α) = (1−α)·θ<sub>A</sub> + α·π(θ<sub>B</sub>), with π the permutation of B's hidden units each method finds.</p>` +
    `<dl class="facts">${facts.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>${warnings}`
  );
}

function barrierTable(report: CompareReport, methods: readonly [MethodName, MethodResult][]): string {
  const middle = nearestIndex(report.alphas, 0.5);
  const rows = methods.map(([name, r]) => {
    const equivalence = r.equivalent
      ? `<span class="ok">✓ passed</span> <span class="details">(${escapeHtml(formatScientific(r.equivalenceError))})</span>`
      : `<span class="fail">✗ failed</span> <span class="details">(output difference ${escapeHtml(formatScientific(r.equivalenceError))}; result invalid)</span>`;
    return (
      `<tr${r.equivalent ? '' : ' class="invalid"'}><td>${escapeHtml(methodStyle(name).name)}</td>` +
      `<td class="num">${r.barrier ? formatNumber(r.barrier.loss, 4) : NONE}</td>` +
      `<td class="num">${r.barrier ? formatPercent(r.barrier.accuracy) : NONE}</td>` +
      `<td class="num">${r.path ? formatPercent(r.path.accuracy[0]) : NONE}</td>` +
      `<td class="num">${r.path ? formatPercent(last(r.path.accuracy)) : NONE}</td>` +
      `<td class="num">${r.path ? formatPercent(r.path.accuracy[middle]) : NONE}</td>` +
      `<td>${equivalence}</td>` +
      `<td class="num">${formatNumber(r.seconds, 2)} s</td></tr>`
    );
  });
  const details = methods
    .filter(([, r]) => Object.keys(r.details).length > 0)
    .map(([name, r]) => {
      const items = Object.entries(r.details).map(([k, v]) => `${escapeHtml(k)} = ${escapeHtml(typeof v === 'number' ? formatDetail(v) : v)}`);
      return `<div><b>${escapeHtml(methodStyle(name).name)}</b>: ${items.join('; ')}</div>`;
    })
    .join('');
  return (
    `<h2>Table 1. Barriers along the path</h2>` +
    `<table><thead><tr><th>Method</th><th class="num">Loss barrier</th><th class="num">Accuracy barrier</th><th class="num">Accuracy A (α=${formatNumber(report.alphas[0] ?? 0, 2)})</th>` +
    `<th class="num">Accuracy B (α=${formatNumber(last(report.alphas) ?? 1, 2)})</th><th class="num">Accuracy at α=${formatNumber(report.alphas[middle] ?? 0.5, 2)}</th>` +
    `<th>Equivalence check</th><th class="num">Alignment</th></tr></thead><tbody>${rows.join('')}</tbody></table>` +
    `<p class="caption">Loss barrier: max<sub>α</sub> [L(α) − ((1−α)L(0) + αL(1))]; accuracy barrier: the largest drop below the straight line between the endpoints' accuracies. ` +
    `The equivalence check runs π(B) and B on the same inputs (${report.equivalenceInputs === 'random' ? '256 seeded standard-normal inputs, as there is no data' : 'the first 256 evaluation samples'}): ` +
    `a permutation must not change B's outputs (largest relative difference below 10⁻⁵). Backend: ${escapeHtml(report.backend)}.</p>` +
    (report.data ? '' : `<p class="caption">Weights only: no evaluation data was given, so the path, the barriers, the per-layer barriers and LLFC (Figures 1–3) are not measured, and unit correlations are n/a. The matching and Dim(S) need only the weights.</p>`) +
    (details ? `<div class="details">${details}</div>` : '')
  );
}

function formatDetail(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e6 ? formatNumber(v, 4) : formatScientific(v, 3);
}

function pathFigure(report: CompareReport, all: readonly [MethodName, MethodResult][]): string {
  const methods = all.filter((m): m is [MethodName, MethodResult & { path: NonNullable<MethodResult['path']> }] => m[1].path !== null);
  if (methods.length === 0) return '';
  type Measured = (typeof methods)[number][1];
  const series = (pick: (r: Measured) => readonly number[]): LineSeries[] =>
    methods.map(([name, r]) => ({ ...methodStyle(name), points: report.alphas.map((a, i) => [a, pick(r)[i] ?? NaN] as const) }));
  // Every method shares the endpoints (π(B) computes what B computes): one straight line serves all.
  const reference = (pick: (r: Measured) => readonly number[]): LineSeries | undefined => {
    const first = methods[0]?.[1];
    if (!first || report.alphas.length < 2) return undefined;
    const values = pick(first);
    return {
      name: 'straight line between endpoints',
      color: '#8c8c8c',
      dash: '2 3',
      points: [[report.alphas[0]!, values[0] ?? NaN], [last(report.alphas)!, last(values) ?? NaN]],
    };
  };
  const chart = (label: string, pick: (r: Measured) => readonly number[], percentAxis: boolean): string => {
    const ref = reference(pick);
    return lineChart({
      width: 505,
      height: 330,
      ariaLabel: `${label} along the interpolation path, one line per method`,
      x: { label: 'α (0 = model A, 1 = model B aligned)' },
      y: { label, percent: percentAxis },
      series: series(pick),
      ...(ref ? { reference: ref } : {}),
    });
  };
  return (
    `<figure><div class="panels">` +
    `<div><p class="panel-label">(a) Loss</p>${chart('cross-entropy loss', (r) => r.path.loss, false)}</div>` +
    `<div><p class="panel-label">(b) Accuracy</p>${chart('accuracy', (r) => r.path.accuracy, true)}</div>` +
    `</div><p class="caption"><b>Figure 1.</b> Evaluation loss and accuracy of θ(α) along the linear path between A and each method's aligned B. ` +
    `A barrier is the height of a curve above the grey straight line between its endpoints.</p></figure>`
  );
}

function layerBarrierFigure(report: CompareReport, methods: readonly [MethodName, MethodResult][]): string {
  const order = report.layers.map((l) => l.name);
  const named = new Set(methods.flatMap(([, r]) => r.layerBarriers.map((b) => b.layer)));
  const categories = [...order.filter((n) => named.has(n)), ...[...named].filter((n) => !order.includes(n))];
  if (categories.length === 0) return '';
  const bars = (pick: 'loss' | 'accuracy') =>
    methods.map(([name, r]) => ({ ...methodStyle(name), values: categories.map((c) => r.layerBarriers.find((b) => b.layer === c)?.[pick] ?? NaN) }));
  const width = Math.min(505, Math.max(300, 120 + categories.length * methods.length * 34));
  const chart = (label: string, pick: 'loss' | 'accuracy') =>
    groupedBarChart({ width, height: 300, ariaLabel: `${label} per layer, one bar per method`, categories: categories.map(layerLabel), xLabel: 'layer interpolated', y: { label, percent: pick === 'accuracy', includeZero: true }, series: bars(pick) });
  return (
    `<figure><div class="panels">` +
    `<div><p class="panel-label">(a) Loss barrier</p>${chart('loss barrier', 'loss')}</div>` +
    `<div><p class="panel-label">(b) Accuracy barrier</p>${chart('accuracy barrier', 'accuracy')}</div>` +
    `</div><p class="caption"><b>Figure 2.</b> Per-layer barriers: only the named layer is interpolated between A and aligned B, every other layer held at A's values.</p></figure>`
  );
}

function llfcFigure(report: CompareReport, methods: readonly [MethodName, MethodResult][]): string {
  const withLlfc = methods.filter(([, r]) => r.llfc.length > 0);
  if (withLlfc.length === 0) return '';
  const [lo] = finiteExtent(withLlfc.flatMap(([, r]) => r.llfc.flatMap((l) => l.cosine)));
  // One scale for every method, up to a cosine of 1, starting at a round value below the lowest.
  const low = Number.isFinite(lo) ? Math.min(0.95, Math.floor(lo * 20) / 20) : 0;
  const domain: [number, number] = [low, 1];
  const maps = withLlfc.map(([name, r]) =>
    heatmap({
      ariaLabel: `layerwise feature cosine along the path for ${methodStyle(name).name}`,
      title: methodStyle(name).name,
      rows: r.llfc.map((l) => layerLabel(l.layer)),
      rowNotes: r.llfc.map((l) => `baseline ${formatNumber(l.baseline, 3)}`),
      columns: report.alphas,
      values: r.llfc.map((l) => l.cosine),
      domain,
      xLabel: 'α',
      valueLabel: 'cosine',
      width: 500,
    }),
  );
  return (
    `<figure><div class="panels">${maps.map((m) => `<div>${m}</div>`).join('')}</div>` +
    `<div>${colorLegend({ ariaLabel: 'colour scale of the feature cosine', domain, label: 'mean cosine between the features of θ(α) and the mix of the endpoints\' features', width: 500 })}</div>` +
    `<p class="caption"><b>Figure 3.</b> Layerwise linear feature connectivity: for each hidden layer and α, the mean over samples of cos(f(θ(α)), (1−α)f(θ<sub>A</sub>) + αf(π(θ<sub>B</sub>))). ` +
    `Close to 1 everywhere means the features of the merged network are the mix of the endpoints' features. ` +
    `Right of each row, the baseline: the mean cosine between the endpoints' own features, cos(f(θ<sub>A</sub>), f(π(θ<sub>B</sub>))).</p></figure>`
  );
}

function permutationFigure(report: CompareReport): string {
  const name = bestMethod(report);
  const result = name && report.methods[name];
  if (!name || !result || result.matching.length === 0) return '';
  const style = methodStyle(name);
  const panels = result.matching.map((m) => {
    const moved = m.permutation.filter((j, i) => j !== i).length;
    const n = m.permutation.length;
    const binned = n > 64 ? ` (blocks of ${formatNumber(n / 64, n % 64 === 0 ? 0 : 1)} units)` : '';
    return (
      `<div>${permutationMatrix({ ariaLabel: `permutation of layer ${m.layer} found by ${style.name}`, title: `${layerLabel(m.layer)}${binned}`, permutation: m.permutation, size: 220, color: style.color })}` +
      `<p class="details moved">${moved} of ${n} units moved</p></div>`
    );
  });
  return (
    `<figure><div class="panels">${panels.join('')}</div>` +
    `<p class="caption"><b>Figure 4.</b> The permutations ${escapeHtml(style.name)} found (${report.data ? 'the method with the lowest loss barrier that passed the equivalence check' : 'the first alignment that passed the equivalence check; weights only, there is no barrier to rank by'}): ` +
    `A's unit i (row) is matched with B's unit π(i) (column). Both axes keep the units' own order, so the identity is the dashed diagonal; wide layers are drawn in blocks, shaded by the share of their units matched there.</p></figure>`
  );
}

function matchingTable(methods: readonly [MethodName, MethodResult][]): string {
  const rows = methods.flatMap(([name, r]) =>
    r.matching.map((m) => {
      return (
        `<tr><td>${escapeHtml(m.layer)}</td><td>${escapeHtml(methodStyle(name).name)}</td>` +
        `<td class="num">${formatNumber(m.costBefore, 3)}</td><td class="num">${formatNumber(m.costAfter, 3)}</td>` +
        `<td class="num">${formatOptional(m.correlationBefore, 3)}</td><td class="num">${formatOptional(m.correlationAfter, 3)}</td>` +
        `<td class="num">${formatNumber(m.wasserstein.identity, 3)}</td><td class="num">${formatNumber(m.wasserstein.aligned, 3)}</td><td class="num">${formatNumber(m.wasserstein.optimal, 3)}</td>` +
        `<td class="num">${m.permutation.filter((j, i) => j !== i).length} / ${m.permutation.length}</td></tr>`
      );
    }),
  );
  if (rows.length === 0) return '';
  return (
    `<h2>Table 2. How well the hidden units are matched</h2>` +
    `<table><thead><tr><th>Layer</th><th>Method</th><th class="num">Weight distance before</th><th class="num">after</th>` +
    `<th class="num">Unit correlation before</th><th class="num">after</th><th class="num">W2 before</th><th class="num">after</th><th class="num">optimal</th><th class="num">Units moved</th></tr></thead><tbody>${rows.join('')}</tbody></table>` +
    `<p class="caption">Weight distance: ‖W<sub>A</sub> − P·W<sub>B</sub>·Q<sup>T</sup>‖ / ‖W<sub>A</sub>‖ for the layer's weights, with no permutation (before) and with the permutations found (after). ` +
    `Unit correlation: mean Pearson correlation of matched units' activations on the alignment data. ` +
    `W2: the Wasserstein-2 distance between the layer's neurons in A and B (each unit a point, the parameters that write it; Ferbach et al.), with no permutation (before), the method's (after) and the best one given the method's permutation of the inputs (optimal); Dim(S) is in Table 3.</p>`
  );
}

function dimensionTable(report: CompareReport): string {
  if (report.dimS.length === 0) return '';
  const rows = report.dimS.map((d) => `<tr><td>${escapeHtml(d.layer)}</td><td class="num">${formatNumber(d.a, 2)}</td><td class="num">${formatNumber(d.b, 2)}</td></tr>`);
  return (
    `<h2>Table 3. Effective dimension of each layer's weights</h2>` +
    `<table><thead><tr><th>Layer</th><th class="num">Dim(S), A</th><th class="num">Dim(S), B</th></tr></thead><tbody>${rows.join('')}</tbody></table>` +
    `<p class="caption">Dim(S) = tr(S)² / tr(S²), S the covariance of the layer's unit weight vectors: low values mean a few directions carry the weights.</p>`
  );
}

/** The whole report as one HTML document (UTF-8). */
export function renderHtmlReport(report: CompareReport): string {
  const methods = methodsOf(report);
  const body = methods.length === 0
    ? `${header(report)}<p>No method produced a result.</p>`
    : header(report) +
      barrierTable(report, methods) +
      pathFigure(report, methods) +
      layerBarrierFigure(report, methods) +
      llfcFigure(report, methods) +
      permutationFigure(report) +
      matchingTable(methods) +
      dimensionTable(report);
  return (
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">` +
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>Merge Lens: ${escapeHtml(baseName(report.checkpoints.a.file))} vs ${escapeHtml(baseName(report.checkpoints.b.file))}</title>` +
    `<style>${STYLE}</style></head><body>${body}` +
    `<footer>Made by ${escapeHtml(report.tool)} on ${escapeHtml(report.createdAt)}. This page is self-contained: no scripts, nothing loaded from elsewhere.</footer>` +
    `</body></html>\n`
  );
}

/** The file name without its folders, whichever separator the report was written with. */
function baseName(file: string): string {
  return file.split(/[\\/]/).pop() ?? file;
}
