/**
 * `merge-lens compare --html`: the comparison as one self-contained page, tables and SVG
 * figures inline, no script and nothing fetched (its Content-Security-Policy forbids both), so
 * it can be mailed, archived, or printed into a paper's appendix as it is.
 */
import { bestMethod } from '../shared/bestMethod';
import { isRepaired, type CompareReport, type DatasetSummary, type LayerMatching, type LayerSummary, type MethodName, type MethodResult } from '../shared/compareReport';
import { describeData } from '../shared/presentation/describeData';
import { formatNumber, formatOptional, formatPercent, formatScientific } from '../shared/presentation/formatNumbers';
import { layerLabel } from '../shared/presentation/layerLabel';
import { CONDITION_TEXT, conditionRows, conditionsMissing, formatCondition, llfcAlphaIndex, type ConditionRow } from '../shared/presentation/llfcConditions';
import { methodsOf } from '../shared/presentation/methodStyles';
import { DISTANCE_TEXT, MODEL_STYLE, dimensionOf } from '../shared/presentation/neuronDistances';
import { nearestIndex } from '../shared/presentation/nearestIndex';
import { HEAD_TEXT, headDomain, headMovesText } from '../shared/presentation/headMatching';
import { describeTransformer, groupLabel, layerNameLabel, llfcLabel, nameLabel, transformerOutline } from '../shared/presentation/transformerParts';
import { escapeHtml } from './htmlEscape';
import { reportPage } from './reportPage';
import { groupedBarChart, lineChart, methodStyle, type BarSeries, type LineSeries } from './svgCharts';
import { colorLegend, headHeatmap, heatmap, permutationMatrix } from './svgHeatmaps';
import { finiteExtent } from './svgScales';

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
    d ? `${escapeHtml(d.file)} (${escapeHtml(describeData(d))})` : 'none (weights only)';
  const facts: [string, string][] = [
    ['Model A', `${escapeHtml(a.file)} <span class="details">(${escapeHtml(a.format)})</span>`],
    ['Model B', `${escapeHtml(b.file)} <span class="details">(${escapeHtml(b.format)})</span>`],
    [
      'Architecture',
      arch.kind === 'mlp'
        ? `MLP ${escapeHtml(widths)}, ${escapeHtml(arch.activation)}`
        : arch.kind === 'transformer'
        ? escapeHtml(describeTransformer(report))
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
    (report.data ? '' : `<p class="caption">Weights only: no evaluation data was given, so the path, the barriers, the per-layer barriers, LLFC and its conditions (Figures 1–4, Table 2) are not measured, and unit correlations and covariance W2 are n/a. The matching, W2 and Dim(S) need only the weights.</p>`) +
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
  // A transformer's barriers are per part (embeddings, each block's attention, MLP and whole block, the head), in network order.
  const outline = transformerOutline(report);
  const order = outline ? outline.parts.map((p) => p.name) : report.layers.map((l) => l.name);
  const named = new Set(methods.flatMap(([, r]) => r.layerBarriers.map((b) => b.layer)));
  const categories = [...order.filter((n) => named.has(n)), ...[...named].filter((n) => !order.includes(n))];
  if (categories.length === 0) return '';
  const bars = (pick: 'loss' | 'accuracy') =>
    methods.map(([name, r]) => ({ ...methodStyle(name), values: categories.map((c) => r.layerBarriers.find((b) => b.layer === c)?.[pick] ?? NaN) }));
  const width = Math.min(505, Math.max(300, 120 + categories.length * methods.length * 34));
  const chart = (label: string, pick: 'loss' | 'accuracy') =>
    groupedBarChart({ width, height: 300, ariaLabel: `${label} per ${outline ? 'part' : 'layer'}, one bar per method`, categories: categories.map((c) => nameLabel(report, c)), xLabel: outline ? 'part interpolated' : 'layer interpolated', y: { label, percent: pick === 'accuracy', includeZero: true }, series: bars(pick) });
  return (
    `<figure><div class="panels">` +
    `<div><p class="panel-label">(a) Loss barrier</p>${chart('loss barrier', 'loss')}</div>` +
    `<div><p class="panel-label">(b) Accuracy barrier</p>${chart('accuracy barrier', 'accuracy')}</div>` +
    `</div><p class="caption"><b>Figure 2.</b> ${outline ? 'Per-part barriers: only the named part (the embeddings, a block\'s attention or MLP with the norm before it, a whole block, or the final norm and head) is interpolated between A and aligned B, every other part held at A\'s values.' : 'Per-layer barriers: only the named layer is interpolated between A and aligned B, every other layer held at A\'s values.'}</p></figure>`
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
      rows: r.llfc.map((l) => llfcLabel(report, l.layer)),
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

/** A chart's width for this many bars: two charts to a row while 16 px a bar fits, else the page's whole width, one chart a row (a deep network). */
function pairedBarsWidth(bars: number): number {
  const needed = 120 + bars * 16;
  return needed <= 505 ? Math.max(320, needed) : 1000;
}

/** Bars for each method, filled, and with `reference` an outlined companion beside each (left out of the legend; the caption says what it is). */
function methodBars(
  methods: readonly [MethodName, MethodResult][],
  categories: readonly string[],
  value: (method: MethodName, category: string) => number,
  reference?: { readonly name: string; readonly value: (method: MethodName, category: string) => number },
): BarSeries[] {
  return methods.flatMap(([name]) => {
    const style = methodStyle(name);
    return [
      { ...style, values: categories.map((c) => value(name, c)) },
      ...(reference ? [{ ...style, name: `${style.name}, ${reference.name}`, values: categories.map((c) => reference.value(name, c)), outline: true, unlisted: true }] : []),
    ];
  });
}

/** LLFC beside the two conditions it follows from (Zhou et al. 2023, section 5): Figure 4 and Table 2, or why they are missing. */
function whySection(report: CompareReport, methods: readonly [MethodName, MethodResult][]): string {
  const heading = `<h2>${escapeHtml(CONDITION_TEXT.title)}</h2>`;
  const measured = methods.filter(([, r]) => r.conditions !== null);
  if (measured.length === 0) return `${heading}<p class="caption">${escapeHtml(conditionsMissing(report))}</p>`;
  const middle = llfcAlphaIndex(report);
  const alpha = report.alphas[middle] ?? 0.5;
  const rows = new Map<MethodName, ConditionRow[]>(measured.map(([m, r]) => [m, conditionRows(report, r)]));
  // Every method measures the same activations and layers: the first one's rows name them.
  const layers = rows.get(measured[0]![0])!.map((r) => r.layer);
  const rowOf = (method: MethodName, layer: string) => rows.get(method)!.find((r) => r.layer === layer) ?? null;
  const cosine = (method: MethodName, layer: string) => rowOf(method, layer)?.llfc?.cosine[middle] ?? NaN;

  // A row is a layer with the activation after it, or a transformer block's output (the residual stream after it).
  const blocks = new Set(transformerOutline(report)?.blocks.map((b) => b.name) ?? []);
  const categories = layers.map((l) => (blocks.has(l) ? llfcLabel(report, l) : layerNameLabel(report, l)));
  const byLabel = (f: (row: ConditionRow | null) => number | undefined) => (method: MethodName, label: string) => f(rowOf(method, layers[categories.indexOf(label)]!)) ?? NaN;
  const [lowest] = finiteExtent(measured.flatMap(([m]) => layers.map((l) => cosine(m, l))));
  // The LLFC heatmaps' scale: up to 1, from a round value below the lowest cosine.
  const low = Number.isFinite(lowest) ? Math.min(0.95, Math.floor(lowest * 20) / 20) : 0;
  const width = pairedBarsWidth(categories.length * measured.length * 2);
  const chart = (title: string, axis: string, series: BarSeries[], domain?: readonly [number, number]) => {
    const ariaLabel = `${title} (${axis}) per layer, one bar per method${series.some((b) => b.outline) ? ' beside its shuffled baseline (outlined)' : ''}`;
    return groupedBarChart({ width, height: 320, ariaLabel, categories, xLabel: 'layer', y: { label: axis }, series, ...(domain ? { domain } : {}) });
  };
  const shuffled = CONDITION_TEXT.shuffled;
  const figure =
    `<figure><div class="panels">` +
    `<div><p class="panel-label">(a) ${escapeHtml(CONDITION_TEXT.cosine(alpha))}</p>${chart('LLFC cosine', `mean cosine at α = ${formatNumber(alpha, 2)}`, methodBars(measured, categories, byLabel((r) => r?.llfc?.cosine[middle])), [low, 1])}</div>` +
    `<div><p class="panel-label">(b) ${escapeHtml(`${CONDITION_TEXT.additivity}: ${CONDITION_TEXT.additivityFormula}`)}</p>${chart(CONDITION_TEXT.additivity, CONDITION_TEXT.additivityAxis, methodBars(measured, categories, byLabel((r) => r?.additivity?.dissimilarity.flat), { name: shuffled, value: byLabel((r) => r?.additivity?.shuffled.dissimilarity.flat) }))}</div>` +
    `<div><p class="panel-label">(c) ${escapeHtml(`${CONDITION_TEXT.commutativity}: ${CONDITION_TEXT.commutativityFormula}`)}</p>${chart(CONDITION_TEXT.commutativity, CONDITION_TEXT.commutativityAxis, methodBars(measured, categories, byLabel((r) => r?.commutativity?.distance), { name: shuffled, value: byLabel((r) => r?.commutativity?.shuffled.distance) }))}</div>` +
    `</div><p class="caption"><b>Figure 4.</b> ${escapeHtml(`Per layer and method, on ${measured[0]![1].conditions!.samples} evaluation samples. ${CONDITION_TEXT.solidOutlined} ${CONDITION_TEXT.notes.llfc} ${CONDITION_TEXT.notes.additivity} ${CONDITION_TEXT.notes.commutativity} ${CONDITION_TEXT.notes.shuffled}`)}</p></figure>`;

  const body = layers.flatMap((layer) =>
    measured.map(([m], k) => {
      const row = rowOf(m, layer);
      const first = k === 0 ? `<td rowspan="${measured.length}">${escapeHtml(blocks.has(layer) ? llfcLabel(report, layer) : layer)}</td>` : '';
      return (
        `<tr${k === 0 ? ' class="layer-start"' : ''}>${first}<td>${escapeHtml(methodStyle(m).name)}</td>` +
        `<td class="num">${row?.llfc ? formatNumber(row.llfc.cosine[middle] ?? NaN, 4) : NONE}</td>` +
        `<td class="num">${formatCondition(row?.additivity?.dissimilarity.flat)}</td><td class="num">${formatCondition(row?.additivity?.shuffled.dissimilarity.flat)}</td>` +
        `<td class="num">${formatCondition(row?.commutativity?.distance)}</td><td class="num">${formatCondition(row?.commutativity?.shuffled.distance)}</td></tr>`
      );
    }),
  );
  const table =
    `<h2>Table 2. LLFC and its two conditions per layer</h2>` +
    `<table class="why"><thead><tr><th>Layer</th><th>Method</th><th class="num">${escapeHtml(CONDITION_TEXT.cosine(alpha))}</th>` +
    `<th class="num">${escapeHtml(CONDITION_TEXT.additivityColumn)}</th><th class="num">${shuffled}</th><th class="num">${escapeHtml(CONDITION_TEXT.commutativityColumn)}</th><th class="num">${shuffled}</th></tr></thead>` +
    `<tbody>${body.join('')}</tbody></table>` +
    `<p class="caption">${escapeHtml(`${CONDITION_TEXT.notes.pairing} A dash: the row has no such measurement. Weak additivity is over the whole flattened tensor; the JSON report also holds the mean over samples and the coefficient ⟨u, v⟩/‖v‖², and commutativity's 1 − cos.`)}</p>`;
  return heading + figure + table;
}

function permutationFigure(report: CompareReport): string {
  const name = bestMethod(report);
  const result = name && report.methods[name];
  if (!name || !result || result.matching.length === 0) return '';
  const style = methodStyle(name);
  const transformer = transformerOutline(report) !== null;
  const panels = result.matching.map((m) => {
    const moved = m.permutation.filter((j, i) => j !== i).length;
    const n = m.permutation.length;
    const binned = n > 64 ? ` (blocks of ${formatNumber(n / 64, n % 64 === 0 ? 0 : 1)} units)` : '';
    return (
      `<div>${permutationMatrix({ ariaLabel: `permutation of ${transformer ? groupLabel(report, m.layer) : `layer ${m.layer}`} found by ${style.name}`, title: `${transformer ? groupLabel(report, m.layer) : layerLabel(m.layer)}${binned}`, permutation: m.permutation, size: 220, color: style.color })}` +
      `<p class="details moved">${moved} of ${n} units moved</p></div>`
    );
  });
  return (
    `<figure><div class="panels">${panels.join('')}</div>` +
    `<p class="caption"><b>Figure 5.</b> The permutations ${escapeHtml(style.name)} found (${report.data ? 'the method with the lowest loss barrier that passed the equivalence check' : 'the first alignment that passed the equivalence check; weights only, there is no barrier to rank by'}): ` +
    `A's unit i (row) is matched with B's unit π(i) (column). Both axes keep the units' own order, so the identity is the dashed diagonal; wide layers are drawn in blocks, shaded by the share of their units matched there.</p></figure>`
  );
}

/**
 * Table 3: per layer, how well each method matches its units (weight distance, unit correlation,
 * W2 and covariance W2) beside the layer's Dim(S). What does not depend on the method (every
 * "before", Dim(S)) is printed once per layer; a layer with no matching of its own keeps its Dim(S) row.
 */
function matchingTable(report: CompareReport, methods: readonly [MethodName, MethodResult][]): string {
  if (!methods.some(([, r]) => r.matching.length > 0) && report.dimS.length === 0) return '';
  const optional = (v: number | undefined) => (v === undefined ? NONE : formatNumber(v, 3));
  // A transformer's residual stream is matched as a group that no layer names: it leads, as its embeddings do.
  const outline = transformerOutline(report);
  const residual = outline?.residual ?? null;
  const entries: readonly Pick<LayerSummary, 'name' | 'permuted' | 'group'>[] = [
    ...(residual && !report.layers.some((l) => l.name === residual) ? [{ name: residual, permuted: true, group: residual }] : []),
    ...report.layers,
  ];
  const label = (name: string, matched: boolean) => (outline ? (matched ? groupLabel(report, name) : layerNameLabel(report, name)) : name);
  const rows = entries.flatMap((layer) => {
    const dim = report.dimS.find((d) => d.layer === layer.name);
    const dims = [dim?.a, dim?.b].map((v) => `<td class="num">${v === undefined ? NONE : formatNumber(v, 2)}</td>`);
    const matched = methods.flatMap(([name, r]) => {
      const m = r.matching.find((x) => x.layer === layer.name);
      return m ? [[name, m] as const] : [];
    });
    if (matched.length === 0) {
      if (!dim) return [];
      const why = !layer.permuted ? 'not matched: the outputs keep their order' : `matched with the group of ${outline ? groupLabel(report, layer.group ?? layer.name) : (layer.group ?? layer.name)}`;
      // The method and the ten distance columns.
      return [`<tr class="layer-start"><td>${escapeHtml(label(layer.name, false))}</td><td colspan="11" class="details">${escapeHtml(why)}</td>${dims.join('')}<td></td></tr>`];
    }
    const span = (cell: string) => cell.replace('<td', `<td rowspan="${matched.length}"`);
    const [, first] = matched[0]!;
    return matched.map(([name, m], k) => {
      const w = m.wasserstein;
      const once = (cell: string) => (k === 0 ? span(cell) : '');
      return (
        `<tr${k === 0 ? ' class="layer-start"' : ''}>${once(`<td>${escapeHtml(label(m.layer, true))}</td>`)}<td>${escapeHtml(methodStyle(name).name)}</td>` +
        once(`<td class="num">${formatNumber(first.costBefore, 3)}</td>`) + `<td class="num">${formatNumber(m.costAfter, 3)}</td>` +
        once(`<td class="num">${formatOptional(first.correlationBefore, 3)}</td>`) + `<td class="num">${formatOptional(m.correlationAfter, 3)}</td>` +
        once(`<td class="num">${formatNumber(first.wasserstein.identity, 3)}</td>`) + `<td class="num">${formatNumber(w.aligned, 3)}</td><td class="num">${formatNumber(w.optimal, 3)}</td>` +
        once(`<td class="num">${optional(first.wasserstein.covariance?.identity)}</td>`) + `<td class="num">${optional(w.covariance?.aligned)}</td><td class="num">${optional(w.covariance?.optimal)}</td>` +
        dims.map(once).join('') +
        `<td class="num">${m.permutation.filter((j, i) => j !== i).length} / ${m.permutation.length}</td></tr>`
      );
    });
  });
  if (rows.length === 0) return '';
  const w2 = DISTANCE_TEXT.w2;
  const sub = (names: readonly string[]) => names.map((n) => `<th class="num">${escapeHtml(n)}</th>`).join('');
  const { before, after, optimal } = DISTANCE_TEXT;
  return (
    `<h2>Table 3. How well the hidden units are matched, and each layer's effective dimension</h2>` +
    `<table class="wide"><thead>` +
    `<tr><th rowspan="2">Layer</th><th rowspan="2">Method</th><th class="group" colspan="2">Weight distance</th><th class="group" colspan="2">Unit correlation</th>` +
    `<th class="group" colspan="3">${w2}</th><th class="group" colspan="3">${escapeHtml(DISTANCE_TEXT.covariance)}</th><th class="group" colspan="2">${DISTANCE_TEXT.dimS}</th><th class="num" rowspan="2">Units moved</th></tr>` +
    `<tr>${sub([before, after, before, after, before, after, optimal, before, after, optimal, 'A', 'B'])}</tr>` +
    `</thead><tbody>${rows.join('')}</tbody></table>` +
    `<p class="caption">Weight distance: ‖W<sub>A</sub> − P·W<sub>B</sub>·Q<sup>T</sup>‖ / ‖W<sub>A</sub>‖ for the layer's weights, with no permutation (before) and with the permutations found (after). ` +
    `Unit correlation: mean Pearson correlation of matched units' activations on the alignment data. ` +
    `${escapeHtml(`${DISTANCE_TEXT.notes.w2} ${DISTANCE_TEXT.notes.covariance} ${DISTANCE_TEXT.notes.dimS}`)} ` +
    `Every "before" and Dim(S) are the same for each method, printed once per layer.${report.groups.some((g) => g.layers.length > 1) ? ` ${escapeHtml(DISTANCE_TEXT.notes.residual)}` : ''}</p>`
  );
}

/** Figure 6: per matched layer, W2 after each alignment and at its optimum, beside Dim(S) of A and B (and covariance W2 when measured). */
function distanceFigure(report: CompareReport, methods: readonly [MethodName, MethodResult][]): string {
  // A REPAIR variant shares its alignment's matching: one set of bars per alignment.
  const alignments = methods.filter(([m, r]) => !isRepaired(m) && r.matching.length > 0);
  // A transformer's groups in network order (its residual stream is no layer's); another network's matched layers.
  const outline = transformerOutline(report);
  const layers = (outline ? report.groups.map((g) => g.name) : report.layers.map((l) => l.name)).filter((n) => alignments.some(([, r]) => r.matching.some((m) => m.layer === n)));
  if (layers.length === 0) return '';
  const categories = layers.map((l) => (outline ? groupLabel(report, l) : layerLabel(l)));
  const distance = (pick: (m: LayerMatching) => { readonly aligned: number; readonly optimal: number } | null, key: 'aligned' | 'optimal') =>
    (method: MethodName, label: string) => {
      const m = report.methods[method]!.matching.find((x) => x.layer === layers[categories.indexOf(label)]);
      return (m && pick(m)?.[key]) ?? NaN;
    };
  const width = pairedBarsWidth(categories.length * alignments.length * 2);
  const chart = (label: string, series: BarSeries[]) => {
    const ariaLabel = `${label} per layer${series.some((b) => b.outline) ? ', after each alignment beside the optimum (outlined)' : ', model A beside model B'}`;
    return groupedBarChart({ width, height: 320, ariaLabel, categories, xLabel: outline ? 'permutation group (its units)' : 'layer (its units)', y: { label, includeZero: true }, series });
  };
  const distances = (pick: (m: LayerMatching) => { readonly aligned: number; readonly optimal: number } | null) =>
    methodBars(alignments, categories, distance(pick, 'aligned'), { name: DISTANCE_TEXT.optimal, value: distance(pick, 'optimal') });
  const covariance = alignments.some(([, r]) => r.matching.some((m) => m.wasserstein.covariance !== null));
  const dims = (['a', 'b'] as const).map((model): BarSeries => ({
    name: MODEL_STYLE[model].label,
    color: MODEL_STYLE[model].color.light,
    values: layers.map((l) => dimensionOf(report, { layer: l })?.[model] ?? NaN),
  }));
  return (
    `<figure><div class="panels">` +
    `<div><p class="panel-label">(a) ${escapeHtml(DISTANCE_TEXT.w2Axis)}</p>${chart(DISTANCE_TEXT.w2Axis, distances((m) => m.wasserstein))}</div>` +
    `<div><p class="panel-label">(b) ${escapeHtml(DISTANCE_TEXT.dimS)} of each model</p>${chart(DISTANCE_TEXT.dimSAxis, dims)}</div>` +
    (covariance ? `<div><p class="panel-label">(c) ${escapeHtml(DISTANCE_TEXT.covarianceAxis)}</p>${chart(DISTANCE_TEXT.covarianceAxis, distances((m) => m.wasserstein.covariance))}</div>` : '') +
    `</div><p class="caption"><b>Figure 6.</b> Neurons as points: W2 between A's and B's neurons after each alignment (filled; naive: before alignment) and the optimum given the alignment's inputs (outlined), beside Dim(S) of each model${covariance ? ', and the covariance-weighted W2' : ''}. The numbers are in Table 3.</p></figure>`
  );
}

/**
 * A transformer's head-to-head similarity per attention, one row of maps per alignment (a REPAIR
 * variant shares its alignment's), on one colour scale, the matched pairs framed.
 */
function headsFigure(report: CompareReport, methods: readonly [MethodName, MethodResult][]): string {
  const withHeads = methods.filter(([m, r]) => !isRepaired(m) && (r.heads?.length ?? 0) > 0);
  if (withHeads.length === 0) return '';
  const outline = transformerOutline(report);
  const blockLabel = (block: string) => outline?.blocks.find((b) => b.name === block)?.label ?? block;
  const domain = headDomain(withHeads.flatMap(([, r]) => r.heads!));
  const rows = withHeads.map(([name, r]) => {
    const style = methodStyle(name);
    const maps = r.heads!.map((h) =>
      `<div>${headHeatmap({ ariaLabel: `head-to-head similarity in ${blockLabel(h.block)}'s attention, ${style.name}`, title: `${blockLabel(h.block)} · attention`, similarity: h.similarity, count: h.count, permutation: h.permutation, domain, valueLabel: 'similarity' })}` +
      `<p class="details moved">${escapeHtml(headMovesText(h))}</p></div>`,
    );
    return `<p class="panel-label">${escapeHtml(style.name)}</p><div class="panels">${maps.join('')}</div>`;
  });
  return (
    `<figure>${rows.join('')}` +
    `<div>${colorLegend({ ariaLabel: 'colour scale of the head similarity', domain, label: HEAD_TEXT.scale, width: 500 })}</div>` +
    `<p class="caption"><b>Figure 7.</b> ${escapeHtml(`${HEAD_TEXT.title}. ${HEAD_TEXT.caption} Columns keep B's own order.`)}</p></figure>`
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
      whySection(report, methods) +
      permutationFigure(report) +
      headsFigure(report, methods) +
      matchingTable(report, methods) +
      distanceFigure(report, methods);
  return reportPage({
    title: `Merge Lens: ${baseName(report.checkpoints.a.file)} vs ${baseName(report.checkpoints.b.file)}`,
    body,
    footer: `Made by ${report.tool} on ${report.createdAt}.`,
  });
}

/** The file name without its folders, whichever separator the report was written with. */
function baseName(file: string): string {
  return file.split(/[\\/]/).pop() ?? file;
}
