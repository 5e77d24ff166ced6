/**
 * `merge-lens series --html`: a series of comparisons as one self-contained page, the figures a
 * paper would show along the series' variable (barriers, W2 and Dim(S), LLFC and its two
 * conditions, the log-log view of W2 against width, the barrier matrix of all pairs among N
 * checkpoints) and a table of the pairs. Every number comes from the report's figures, which the
 * Series panel draws too.
 */
import { ALL_METHOD_NAMES, type MethodName } from '../shared/compareReport';
import { formatNumber, formatPercent } from '../shared/presentation/formatNumbers';
import { layerLabel } from '../shared/presentation/layerLabel';
import { CONDITION_TEXT } from '../shared/presentation/llfcConditions';
import { DISTANCE_TEXT, MODEL_STYLE } from '../shared/presentation/neuronDistances';
import { hasLogarithmicAxis, type SeriesLayer, type SeriesLine, type SeriesReport, type WidthScaling } from '../shared/seriesReport';
import { escapeHtml } from './htmlEscape';
import { reportPage } from './reportPage';
import { meanOptimalW2 } from './seriesTable';
import { groupedBarChart, lineChart, methodStyle, type AxisOptions, type LineSeries, type SeriesStyle } from './svgCharts';
import { colorLegend, matrixHeatmap } from './svgHeatmaps';
import { finiteExtent } from './svgScales';

const CHART = { width: 505, height: 330 } as const;
/** Before alignment (the identity), the same for every method: one grey line. */
const BEFORE_STYLE: SeriesStyle = { name: 'before alignment', color: '#8c8c8c', dash: '6 4', marker: 'circle' };
/** A method's companion line (its optimum, its shuffled baseline): its colour, dotted. */
const COMPANION_DASH = '1.5 2.5';

const SERIES_STYLE = `
.scaling td.num { min-width: 70px; }
`;

/** A curve along the series: one value per item (null where the item has none), and its look. */
interface Curve extends SeriesStyle {
  readonly line: SeriesLine;
  /** x per item when it is not the item's value (a group's width in the log-log view). */
  readonly xs?: readonly number[];
  /** A method's companion (its optimum, its shuffled baseline): dotted as a line, outlined as a bar. */
  readonly companion?: boolean;
}

/** The x axis of every figure along the variable. */
interface Along {
  readonly report: SeriesReport;
  /** Numeric values on a line (logarithmic for width); names as categories. */
  readonly numeric: boolean;
  readonly log: boolean;
}

function hasValue(line: SeriesLine): boolean {
  return line.some((v) => v !== null && Number.isFinite(v));
}

function methodsIn(present: Partial<Record<MethodName, unknown>>): MethodName[] {
  return ALL_METHOD_NAMES.filter((m) => present[m] !== undefined);
}

function companion(style: SeriesStyle, suffix: string): SeriesStyle & { companion: true } {
  return { ...style, name: `${style.name}, ${suffix}`, dash: COMPANION_DASH, companion: true };
}

/**
 * One chart of curves along the variable: lines over a number line (points in order of x), or
 * grouped bars when the values are names. `label` is the y axis's title.
 */
function chart(along: Along, label: string, curves: readonly Curve[], y: Omit<AxisOptions, 'label'> = {}, x?: AxisOptions): string {
  const { report } = along;
  const shown = curves.filter((c) => hasValue(c.line));
  const ariaLabel = `${label} against ${x?.label ?? report.variable}, one line per ${shown.length > 1 ? 'curve' : 'value'}`;
  if (!along.numeric && !x) {
    return groupedBarChart({
      width: CHART.width,
      height: CHART.height,
      ariaLabel,
      categories: report.items.map((item) => String(item.value)),
      xLabel: report.variable,
      y: { label, ...y, includeZero: true },
      series: shown.map((c) => ({ ...c, values: c.line.map((v) => v ?? NaN), outline: c.companion === true })),
    });
  }
  const series: LineSeries[] = shown.map((c) => ({
    ...c,
    points: c.line
      .map((v, i) => [c.xs ? c.xs[i]! : Number(report.items[i]!.value), v ?? NaN] as const)
      .sort((p, q) => p[0] - q[0]),
  }));
  return lineChart({ ...CHART, ariaLabel, x: x ?? { label: report.variable, log: along.log }, y: { label, ...y }, series });
}

function figure(panels: readonly [string, string][], caption: string): string {
  const body = panels.map(([title, svg]) => `<div><p class="panel-label">${escapeHtml(title)}</p>${svg}</div>`).join('');
  return `<figure><div class="panels">${body}</div><p class="caption">${caption}</p></figure>`;
}

function fileName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

function header(report: SeriesReport): string {
  const first = report.items[0]!.report;
  const methods = methodsIn(report.figures.barriers);
  const arch = first.architecture;
  const architecture = arch.kind === 'mlp'
    ? `MLP, ${first.layers.length} layers with weights on ${arch.inputSize} inputs, ${escapeHtml(arch.activation)}`
    : `convolutional, ${escapeHtml(arch.inputShape.join('×'))} input, ${first.layers.length} layers with weights, ${first.groups.length} permutation groups`;
  const facts: [string, string][] = [
    ['Manifest', report.manifest === null ? 'made in the editor from selected files' : escapeHtml(report.manifest)],
    ['Variable', `${escapeHtml(report.variable)} (${report.items.length} pair${report.items.length === 1 ? '' : 's'}: ${report.items.map((i) => escapeHtml(String(i.value))).join(', ')})`],
    ['Architecture', architecture],
    ['Evaluation data', first.data ? `${escapeHtml(first.data.evaluation.file)} (${first.data.evaluation.count} examples; fit on ${first.data.fit.count})` : 'none (weights only)'],
    ['Methods', methods.map((m) => escapeHtml(methodStyle(m).name)).join(', ')],
    ['Path', first.data ? `${first.alphas.length} values of α from 0 to 1` : 'not measured: it needs evaluation data'],
    ['Backend', `TensorFlow.js ${escapeHtml(first.backend)}`],
  ];
  const warnings = report.items.flatMap((item) => item.report.warnings.map((w) => `${report.variable} ${item.value}: ${w}`));
  return (
    `<h1>A series of comparisons along ${escapeHtml(report.variable)}</h1>` +
    `<p class="subtitle">Each pair: θ(α) = (1−α)·θ<sub>A</sub> + α·π(θ<sub>B</sub>), π the permutation of B's hidden units each method finds.</p>` +
    `<dl class="facts">${facts.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>` +
    (warnings.length === 0 ? '' : `<div class="warnings"><b>Warnings</b><ul>${warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul></div>`)
  );
}

function barrierFigure(along: Along, n: number): string {
  const { barriers } = along.report.figures;
  const methods = methodsIn(barriers);
  if (!methods.some((m) => hasValue(barriers[m]!.loss))) {
    return `<h2>Figure ${n}. Barriers</h2><p class="caption">Weights only: no evaluation data was given, so no path and no barriers. W2 and Dim(S) below need none.</p>`;
  }
  const curves = (pick: 'loss' | 'accuracy') => methods.map((m) => ({ ...methodStyle(m), line: barriers[m]![pick] }));
  return figure(
    [
      ['(a) Loss barrier', chart(along, 'loss barrier', curves('loss'), { includeZero: true })],
      ['(b) Accuracy barrier', chart(along, 'accuracy barrier', curves('accuracy'), { includeZero: true, percent: true })],
    ],
    `<b>Figure ${n}.</b> Barriers against ${escapeHtml(along.report.variable)}, per method: the largest rise of the evaluation loss along the linear path above the straight line between its ends (a), and the largest fall of the accuracy below it (b).`,
  );
}

function layerFigure(along: Along, layer: SeriesLayer, n: number): string {
  const methods = methodsIn(layer.wasserstein);
  const first = methods[0] && layer.wasserstein[methods[0]]!;
  const w2: Curve[] = [
    ...(first ? [{ ...BEFORE_STYLE, line: first.identity }] : []),
    ...methods.filter((m) => m !== 'naive').flatMap((m) => [
      { ...methodStyle(m), line: layer.wasserstein[m]!.aligned },
      { ...companion(methodStyle(m), DISTANCE_TEXT.optimal), line: layer.wasserstein[m]!.optimal },
    ]),
  ];
  const dims: Curve[] = (['a', 'b'] as const).map((side) => ({ name: MODEL_STYLE[side].label, color: MODEL_STYLE[side].color.light, marker: side === 'a' ? 'square' : 'diamond', ...(side === 'b' ? { dash: '6 4' } : {}), line: layer.dimS[side] }));
  const name = escapeHtml(layerLabel(layer.layer));
  return figure(
    [
      [`(a) W2, ${layerLabel(layer.layer)}`, chart(along, DISTANCE_TEXT.w2Axis, w2, { includeZero: true })],
      [`(b) Dim(S), ${layerLabel(layer.layer)}`, chart(along, DISTANCE_TEXT.dimSAxis, dims, { includeZero: true })],
    ],
    `<b>Figure ${n}.</b> The neurons of ${name} (${layer.width.every((w) => w === layer.width[0]) ? `${layer.width[0]} units` : `${layer.width.join(', ')} units`}) against ${escapeHtml(along.report.variable)}. ` +
      `(a) W2 between A's and B's neurons before alignment (grey), after each method (solid) and at the optimum given the method's permutation of the inputs (${along.numeric ? 'dotted' : 'outlined'}). ` +
      `(b) Dim(S) of A and B. ${escapeHtml(DISTANCE_TEXT.notes.dimS)}`,
  );
}

function whyFigure(along: Along, n: number): string {
  const { why } = along.report.figures;
  const curves = (line: (w: (typeof why)[number]) => SeriesLine, shuffled?: (w: (typeof why)[number]) => SeriesLine): Curve[] =>
    why.flatMap((w) => [{ ...methodStyle(w.method), line: line(w) }, ...(shuffled ? [{ ...companion(methodStyle(w.method), CONDITION_TEXT.shuffled), line: shuffled(w) }] : [])]);
  const llfc = curves((w) => w.llfcCosine);
  const additivity = curves((w) => w.additivity, (w) => w.additivityShuffled);
  const commutativity = curves((w) => w.commutativity, (w) => w.commutativityShuffled);
  const panels: [string, string][] = [];
  const missing: string[] = [];
  const add = (title: string, axis: string, list: Curve[], y: Omit<AxisOptions, 'label'> = {}) => {
    if (list.some((c) => hasValue(c.line))) panels.push([title, chart(along, axis, list, y)]);
    else missing.push(title.replace(/^\([a-z]\) /, ''));
  };
  add('(a) LLFC cosine', 'LLFC cosine at α ≈ 0.5', llfc);
  add(`(b) ${CONDITION_TEXT.additivity}`, CONDITION_TEXT.additivityAxis, additivity, { includeZero: true });
  add(`(c) ${CONDITION_TEXT.commutativity}`, CONDITION_TEXT.commutativityAxis, commutativity, { includeZero: true });
  const absent = missing.length === 0 ? '' : ` Not measured on these pairs: ${missing.join(', ')} (they are measured on evaluation data, with LLFC samples above 0).`;
  if (panels.length === 0) return `<h2>Figure ${n}. Why LLFC holds</h2><p class="caption">${escapeHtml(absent.trim())}</p>`;
  return figure(
    panels,
    `<b>Figure ${n}.</b> Why LLFC holds, against ${escapeHtml(along.report.variable)}, per method: the LLFC cosine at the α nearest 0.5 averaged over the activations, weak additivity (${escapeHtml(CONDITION_TEXT.additivityFormula)}, averaged over the activations) and commutativity (${escapeHtml(CONDITION_TEXT.commutativityFormula)}, averaged over the layers); ${along.numeric ? 'dotted' : 'outlined'}, each condition with B's samples shuffled against A's, what "small" means.${escapeHtml(absent)}`,
  );
}

/** The least-squares line through the used points passes through their centroid on log-log axes: drawn from it at slope `slope`. */
function lineThroughCentroid(widths: readonly number[], w2: readonly number[], slope: number): (readonly [number, number])[] {
  const mx = widths.reduce((s, w) => s + Math.log(w), 0) / widths.length;
  const my = w2.reduce((s, v) => s + Math.log(v), 0) / w2.length;
  const [lo, hi] = finiteExtent(widths);
  return [lo, hi].map((w) => [w, Math.exp(my + slope * (Math.log(w) - mx))] as const);
}

function scalingFigure(along: Along, scaling: readonly WidthScaling[], n: number): string {
  const { figures } = along.report;
  const panels: [string, string][] = [];
  for (const layer of figures.layers) {
    const fits = scaling.filter((s) => s.layer === layer.layer);
    if (fits.length === 0) continue;
    // The theory's rate is the layer's (Dim(S) of A at the widest pair): one line, through the first method's centroid.
    let theory: LineSeries | null = null;
    const series: LineSeries[] = fits.flatMap((fit) => {
      const optimal = layer.wasserstein[fit.method]!.optimal;
      const used = optimal.flatMap((v, i) => (v !== null && v > 0 ? [i] : []));
      const widths = used.map((i) => layer.width[i]!);
      const values = used.map((i) => optimal[i]!);
      const style = methodStyle(fit.method);
      theory ??= { name: `rate −1/Dim(S) = ${formatNumber(fit.theory, 3)}`, color: BEFORE_STYLE.color, dash: COMPANION_DASH, points: lineThroughCentroid(widths, values, fit.theory) };
      return [
        { name: `${style.name}: k = ${formatNumber(fit.exponent, 3)}`, color: style.color, marker: style.marker, points: widths.map((w, k) => [w, values[k]!] as const).sort((p, q) => p[0] - q[0]) },
        { name: `${style.name}, least-squares fit`, color: style.color, dash: '5 3', points: lineThroughCentroid(widths, values, fit.exponent), unlisted: true },
      ];
    });
    if (theory) series.push(theory);
    panels.push([
      `(${String.fromCharCode(97 + panels.length)}) ${layerLabel(layer.layer)}`,
      lineChart({ ...CHART, ariaLabel: `W2 at the optimum against width of ${layer.layer}, logarithmic axes`, x: { label: 'width (units in the layer), log scale', log: true }, y: { label: 'W2 at the optimum, log scale', log: true }, series }),
    ]);
  }
  const rows = scaling.map(
    (s) => `<tr><td>${escapeHtml(layerLabel(s.layer))}</td><td>${escapeHtml(methodStyle(s.method).name)}</td><td class="num">${formatNumber(s.exponent, 3)}</td><td class="num">${formatNumber(s.theory, 3)}</td><td class="num">${s.points}</td></tr>`,
  );
  return (
    (panels.length === 0 ? '' : figure(
      panels,
      `<b>Figure ${n}.</b> W2 between A's and B's neurons at the optimum against the layer's width, both axes logarithmic (Ferbach et al.): each method's points and its least-squares line (dashed, in its colour) of slope k, and through the first method's centroid a line of slope −1/Dim(S) (grey, dotted), Dim(S) of A at the widest pair: the rate at which the empirical measure of n points in Dim(S) dimensions approaches its limit.`,
    )) +
    `<table class="scaling"><thead><tr><th>Layer</th><th>Method</th><th class="num">Fitted k</th><th class="num">−1/Dim(S)</th><th class="num">Pairs fitted</th></tr></thead><tbody>${rows.join('')}</tbody></table>` +
    `<p class="caption">k: the least-squares slope of log W2 (optimal) against log width over the pairs with a positive W2; W2 ∝ width<sup>k</sup>. −1/Dim(S): the theory's rate, Dim(S) of A's layer at the widest pair.</p>`
  );
}

function matrixFigure(report: SeriesReport, n: number): string {
  const matrix = report.figures.barrierMatrix!;
  const methods = methodsIn(matrix.loss).filter((m) => matrix.loss[m]!.some((row) => hasValue(row)));
  if (methods.length === 0) return '';
  const [, hi] = finiteExtent(methods.flatMap((m) => matrix.loss[m]!.flat().map((v) => v ?? NaN)));
  const domain: [number, number] = [0, Number.isFinite(hi) && hi > 0 ? hi : 1];
  const maps = methods.map((m) => [
    methodStyle(m).name,
    matrixHeatmap({ ariaLabel: `loss barrier of every pair among the checkpoints, ${methodStyle(m).name}`, title: methodStyle(m).name, labels: matrix.files, values: matrix.loss[m]!, domain, valueLabel: 'loss barrier' }),
  ] as [string, string]);
  return (
    `<figure><div class="panels">${maps.map(([, svg]) => `<div>${svg}</div>`).join('')}</div>` +
    `<div>${colorLegend({ ariaLabel: 'colour scale of the loss barrier', domain, label: 'loss barrier', width: 420 })}</div>` +
    `<p class="caption"><b>Figure ${n}.</b> The loss barrier of every pair among the ${matrix.files.length} checkpoints, per method, on one colour scale; the diagonal (a checkpoint with itself) is grey. Their accuracy barriers are in the table.</p></figure>`
  );
}

function itemsTable(report: SeriesReport): string {
  const { figures } = report;
  const rows = report.items.flatMap((item, i) =>
    methodsIn(item.report.methods).map((m, k) => {
      const r = item.report.methods[m]!;
      const first = k === 0;
      const cell = (v: number | null | undefined, f: (v: number) => string) => (v === null || v === undefined ? '–' : f(v));
      return (
        `<tr${r.equivalent ? '' : ' class="invalid"'}>` +
        `<td>${first ? escapeHtml(String(item.value)) : ''}</td><td>${first ? escapeHtml(fileName(item.report.request.a)) : ''}</td><td>${first ? escapeHtml(fileName(item.report.request.b)) : ''}</td>` +
        `<td>${escapeHtml(methodStyle(m).name)}</td>` +
        `<td class="num">${cell(figures.barriers[m]?.loss[i], (v) => formatNumber(v, 4))}</td>` +
        `<td class="num">${cell(figures.barriers[m]?.accuracy[i], (v) => formatPercent(v))}</td>` +
        `<td class="num">${cell(meanOptimalW2(report, m, i), (v) => formatNumber(v, 4))}</td>` +
        `<td class="num">${cell(figures.why.find((w) => w.method === m)?.llfcCosine[i], (v) => formatNumber(v, 4))}</td>` +
        `<td>${r.equivalent ? '<span class="ok">✓</span>' : '<span class="fail">✗ invalid</span>'}</td></tr>`
      );
    }),
  );
  return (
    `<h2>Table 1. The pairs</h2>` +
    `<table><thead><tr><th>${escapeHtml(report.variable)}</th><th>A</th><th>B</th><th>Method</th><th class="num">Loss barrier</th><th class="num">Accuracy barrier</th><th class="num">W2 optimal</th><th class="num">LLFC cosine</th><th>Equivalence</th></tr></thead><tbody>${rows.join('')}</tbody></table>` +
    `<p class="caption">In the manifest's order. W2 optimal: the neurons' Wasserstein-2 distance at the optimum, mean over the permutation groups; LLFC cosine: at the α nearest 0.5, mean over the activations. Equivalence: π(B) reproduces B's outputs (otherwise the method's numbers for that pair are invalid).</p>`
  );
}

/** The series report as one HTML document (UTF-8). */
export function renderSeriesHtml(report: SeriesReport): string {
  const title = `Merge Lens: a series along ${report.variable}`;
  const footer = `Made by ${report.tool} on ${report.createdAt}.`;
  if (report.items.length === 0) return reportPage({ title, footer, body: '<h1>A series of comparisons</h1><p>The series has no finished pair.</p>' });
  const along: Along = { report, numeric: report.numeric, log: hasLogarithmicAxis(report) };
  const parts = [header(report), itemsTable(report)];
  let n = 0;
  parts.push(barrierFigure(along, ++n));
  for (const layer of report.figures.layers) parts.push(layerFigure(along, layer, ++n));
  parts.push(whyFigure(along, ++n));
  const scaling = report.figures.widthScaling;
  if (scaling && scaling.length > 0) parts.push(`<h2>Ferbach et al.'s rate: W2 against width</h2>${scalingFigure(along, scaling, ++n)}`);
  if (report.figures.barrierMatrix) parts.push(`<h2>All pairs among ${report.figures.barrierMatrix.files.length} checkpoints</h2>${matrixFigure(report, ++n)}`);
  return reportPage({ title, footer, body: parts.join(''), extraStyle: SERIES_STYLE });
}
