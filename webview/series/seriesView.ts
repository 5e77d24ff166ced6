/**
 * The Series panel's page for one series report: its figures (computed once by the engine, the
 * same numbers as the series HTML report) as charts along the series' variable, a table of the
 * pairs, and the N×N barrier matrix when the pairs are every pair among N checkpoints. A click on
 * a point or a row asks the host to open that pair in the results panel.
 */
import { ALL_METHOD_NAMES, type MethodName } from '../../src/shared/compareReport';
import { formatNumber, formatOptional, formatPercent } from '../../src/shared/presentation/formatNumbers';
import { layerLabel } from '../../src/shared/presentation/layerLabel';
import { METHOD_STYLE, type Marker } from '../../src/shared/presentation/methodStyles';
import { viridis } from '../../src/shared/presentation/viridis';
import type { SeriesToHost } from '../../src/shared/seriesPanelProtocol';
import type { SeriesViewState } from '../../src/shared/seriesViewState';
import { hasLogarithmicAxis, type SeriesLine, type SeriesReport } from '../../src/shared/seriesReport';
import type { ChartTheme } from '../panel/chartTheme';
import { chartCanvas, type AxisSpec } from '../panel/charts';
import { dataDetails, element, table } from '../panel/dom';
import { Disposer } from '../panel/tabView';
import { seriesChart, type ItemPosition, type SeriesAxis, type SeriesCurve, type SeriesPoint } from './seriesChart';

export interface SeriesContext {
  readonly report: SeriesReport;
  readonly theme: ChartTheme;
  readonly state: () => SeriesViewState;
  readonly update: (patch: Partial<SeriesViewState>) => void;
  readonly post: (message: SeriesToHost) => void;
}

/** What a curve is drawn from: a line of the figures, and how it looks. */
interface CurveSpec {
  readonly label: string;
  readonly color: string;
  readonly dash: readonly number[];
  readonly marker: Marker;
  readonly line: SeriesLine;
  readonly secondary?: boolean;
  /** x per item when it is not the series' variable (the log-log view's widths). */
  readonly xs?: readonly number[];
  /** A guide drawn through some pairs only (the theory's slope): no gap to note, no column in the numbers. */
  readonly guide?: boolean;
}

interface Figure {
  /** The canvas's data-chart name. */
  readonly name: string;
  readonly caption: string;
  readonly y: SeriesAxis;
  readonly curves: readonly CurveSpec[];
  /** Overrides the series' x axis (the log-log view). */
  readonly x?: SeriesAxis;
  readonly items?: readonly ItemPosition[];
  /** Why a chart with nothing to draw is empty: said in its place. */
  readonly missing: string;
}

const SHUFFLED_DASH = [2, 3];
const OPTIMAL_DASH = [1.5, 2.5];
const BEFORE_DASH = [6, 4];

/** A file's name without its folders, on either platform's separators. */
function fileName(path: string): string {
  return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
}

function hasValue(line: SeriesLine): boolean {
  return line.some((v) => v !== null && Number.isFinite(v));
}

/** The methods in the canonical order, of those `present` names. */
function methodsIn(present: Partial<Record<MethodName, unknown>>): MethodName[] {
  return ALL_METHOD_NAMES.filter((m) => present[m] !== undefined);
}

/** Where each pair lies along the variable: its value on a number line, or its place in order when the values are names. */
function itemPositions(report: SeriesReport): ItemPosition[] {
  return report.items.map((item, i) => ({ item: item.index, x: report.numeric ? Number(item.value) : i, label: String(item.value) }));
}

function methodCurve(theme: ChartTheme, method: MethodName, line: SeriesLine, secondary = false): CurveSpec {
  const style = METHOD_STYLE[method];
  return {
    label: secondary ? `${style.label}, shuffled` : style.label,
    color: theme.methodColor(method),
    dash: secondary ? SHUFFLED_DASH : style.dash,
    marker: style.marker,
    line,
    secondary,
  };
}

export function renderSeries(container: HTMLElement, ctx: SeriesContext): Disposer {
  const disposer = new Disposer();
  const { report, theme } = ctx;
  const positions = itemPositions(report);
  const xAxis: SeriesAxis = { title: report.variable, log: hasLogarithmicAxis(report), names: !report.numeric };
  const open = (item: number) => ctx.post({ type: 'openPair', index: item });

  /** A figure: its chart (or what is missing), a caption and its numbers as a table. */
  const figure = (spec: Figure): HTMLElement => {
    const box = element('figure', undefined, 'figure series-figure');
    const items = spec.items ?? positions;
    const curves: SeriesCurve[] = spec.curves
      .map((c) => ({
        label: c.label,
        color: c.color,
        dash: c.dash,
        marker: c.marker,
        secondary: c.secondary ?? false,
        points: c.line.flatMap((y, i): SeriesPoint[] => {
          const x = c.xs ? c.xs[i]! : items[i]!.x;
          return y !== null && Number.isFinite(y) && (!spec.y.log || y > 0) && (!(spec.x ?? xAxis).log || x > 0) ? [{ x, y, item: items[i]!.item }] : [];
        }),
      }))
      .filter((c) => c.points.length > 0);
    if (curves.length === 0) {
      box.append(element('p', spec.missing, 'note missing'));
      box.dataset.missing = spec.name;
      return box;
    }
    const { box: chartBox, canvas } = chartCanvas(`${spec.y.title} against ${(spec.x ?? xAxis).title}`);
    canvas.dataset.chart = spec.name;
    box.append(chartBox, element('figcaption', spec.caption, 'caption'));
    const measured = spec.curves.filter((c) => !c.guide);
    if (measured.some((c) => c.line.some((v) => v === null))) box.append(element('p', 'Pairs without a value are left out of a line.', 'note'));
    const head = [(spec.x ?? xAxis).title, ...measured.map((c) => c.label)];
    const rows = report.items.map((item, i) => [
      // The x each row is drawn at: the layer's width on the log-log view, else the pair's value.
      String(spec.curves.find((c) => c.xs)?.xs?.[i] ?? item.value),
      ...measured.map((c) => (spec.y.percent ? formatPercent(c.line[i]) : formatValue(c.line[i] ?? null))),
    ]);
    box.append(dataDetails('Numbers', table(null, head, rows), canvas));
    // Drawn once the canvas is in the page: Chart.js sizes it to its box.
    requestAnimationFrame(() => {
      if (!canvas.isConnected) return;
      disposer.chart(seriesChart(canvas, { x: spec.x ?? xAxis, y: spec.y, items, curves, onClickItem: open }, theme));
    });
    return box;
  };

  const section = (id: string, title: string, ...children: (HTMLElement | null)[]): HTMLElement => {
    const node = element('section', undefined, 'series-section');
    node.id = id;
    node.append(element('h2', title), ...children.filter((c): c is HTMLElement => c !== null));
    return node;
  };
  const pair = (...figures: HTMLElement[]) => {
    const row = element('div', undefined, 'panels');
    row.append(...figures);
    return row;
  };

  container.replaceChildren();
  if (report.items.length === 0) {
    container.append(element('p', 'This series has no finished pairs: nothing to draw.', 'note missing'));
    return disposer;
  }

  const { figures } = report;
  const barrierMethods = methodsIn(figures.barriers);
  const withData = barrierMethods.some((m) => hasValue(figures.barriers[m]!.loss));
  const noData = 'Weights only: no evaluation data was given, so no barriers. W2 and Dim(S) below need none.';

  container.append(
    section(
      'series-barriers',
      `Barriers against ${report.variable}`,
      withData ? null : element('p', noData, 'note missing'),
      withData
        ? pair(
            figure({
              name: 'series-loss',
              caption: 'Loss barrier of each pair: the largest rise of the loss along the path above the straight line between its ends.',
              y: { title: 'loss barrier' },
              curves: barrierMethods.map((m) => methodCurve(theme, m, figures.barriers[m]!.loss)),
              missing: noData,
            }),
            figure({
              name: 'series-accuracy',
              caption: 'Accuracy barrier of each pair: the largest fall of the accuracy below the straight line.',
              y: { title: 'accuracy barrier', percent: true },
              curves: barrierMethods.map((m) => methodCurve(theme, m, figures.barriers[m]!.accuracy)),
              missing: noData,
            }),
          )
        : null,
    ),
    section('series-pairs', 'Pairs', element('p', 'Click a row, or a point of any chart, to open that pair in the results panel.', 'caption'), pairsTable(ctx, barrierMethods)),
  );

  const layersSection = section('series-layers', `Neurons against ${report.variable}: W2 and Dim(S) per layer`);
  const scalingSection = figures.widthScaling ? section('series-scaling', 'W2 against width, log-log: the fitted rate beside the theory\'s') : null;
  const layerNames = figures.layers.map((l) => l.layer);
  const chosen = () => figures.layers.find((l) => l.layer === ctx.state().layer) ?? figures.layers[0];
  const layerFigures = element('div');
  const scalingFigure = element('div');
  const drawLayers = () => {
    const layer = chosen();
    if (!layer) {
      layerFigures.replaceChildren(element('p', 'These pairs share no permutation group: no W2 or Dim(S) to follow along the series.', 'note missing'));
      return;
    }
    const name = layerLabel(layer.layer);
    const methods = methodsIn(layer.wasserstein);
    // Before alignment is B as it is (naive's identity); without naive, before aligning this layer only.
    const reference = methods[0];
    const before: CurveSpec[] = reference
      ? [{
          label: reference === 'naive' ? 'before alignment' : `before aligning this layer (${METHOD_STYLE[reference].label})`,
          color: theme.reference,
          dash: BEFORE_DASH,
          marker: 'circle',
          line: layer.wasserstein[reference]!.identity,
          secondary: true,
        }]
      : [];
    const w2: CurveSpec[] = [
      ...before,
      ...methods.filter((m) => m !== 'naive').flatMap((m) => [
        methodCurve(theme, m, layer.wasserstein[m]!.aligned),
        { ...methodCurve(theme, m, layer.wasserstein[m]!.optimal), label: `${METHOD_STYLE[m].label}, optimal`, dash: OPTIMAL_DASH, secondary: true },
      ]),
    ];
    layerFigures.replaceChildren(
      pair(
        figure({
          name: 'series-w2',
          caption: `(${name}) W2 between A's and B's neurons, each the row of [W | b] writing it: before alignment (grey, dashed), after each method's permutation (solid) and at the optimum for the inputs the method permuted (dotted). In Ferbach et al.'s bound W2 falls as the width grows.`,
          y: { title: `W2 between neurons, ${name}` },
          curves: w2,
          missing: 'No W2 was measured on these pairs.',
        }),
        figure({
          name: 'series-dims',
          caption: `(${name}) Dim(S) = tr(S)² / tr(S²), S the covariance of the layer's neuron weight vectors: how many directions they spread over, A's (solid) and B's (dashed).`,
          y: { title: `Dim(S), ${name}` },
          curves: [
            { label: 'model A', color: theme.foreground, dash: [], marker: 'square', line: layer.dimS.a },
            { label: 'model B', color: theme.muted, dash: BEFORE_DASH, marker: 'square', line: layer.dimS.b, secondary: true },
          ],
          missing: 'No Dim(S) was measured on these pairs.',
        }),
      ),
    );
    if (!scalingSection || !figures.widthScaling) return;
    const fits = figures.widthScaling.filter((s) => s.layer === layer.layer);
    const widths = report.items.map((item, i) => ({ item: item.index, x: layer.width[i]!, label: String(layer.width[i]) }));
    const curves: CurveSpec[] = methods.map((m) => {
      const fit = fits.find((s) => s.method === m);
      return { ...methodCurve(theme, m, layer.wasserstein[m]!.optimal), label: `${METHOD_STYLE[m].label}${fit ? `: k = ${formatNumber(fit.exponent, 3)}` : ''}`, xs: layer.width };
    });
    const theory = fits[0] ? theoryLine(fits[0].theory, layer.width, layer.wasserstein[fits[0].method]!.optimal, widths, theme) : null;
    scalingFigure.replaceChildren(
      figure({
        name: 'series-scaling',
        caption: `(${name}) W2 at the optimum against the layer's width, both axes logarithmic; each method's fitted exponent k in W2 ∝ width^k in the legend${theory ? `, and a line of the theory's slope −1/Dim(S) = ${formatNumber(fits[0]!.theory, 3)} (Dim(S) of A at the widest pair) through the first method's points` : ''}.`,
        x: { title: 'width (units in the layer)', log: true },
        y: { title: `W2 at the optimum, ${name}`, log: true },
        items: widths,
        curves: theory ? [...curves, theory] : curves,
        missing: 'No positive W2 at the optimum to draw on logarithmic axes.',
      }),
    );
  };

  if (layerNames.length > 1) {
    const label = element('label', 'Layer');
    label.id = 'series-layer-label';
    const picker = element('vscode-dropdown') as HTMLElement & { value: string };
    picker.id = 'series-layer';
    picker.setAttribute('aria-labelledby', label.id);
    for (const l of layerNames) {
      const option = element('vscode-option', layerLabel(l));
      option.setAttribute('value', l);
      if (l === chosen()?.layer) option.setAttribute('selected', '');
      picker.append(option);
    }
    picker.addEventListener('change', () => {
      ctx.update({ layer: picker.value });
      drawLayers();
    });
    const toolbar = element('div', undefined, 'toolbar');
    const control = element('div', undefined, 'control');
    control.append(label, picker);
    toolbar.append(control);
    layersSection.append(toolbar);
  }
  layersSection.append(layerFigures);
  container.append(layersSection);
  if (scalingSection) {
    scalingSection.append(element('p', 'The layer chosen above; every layer\'s fit in the table.', 'caption'), scalingFigure, scalingTable(report));
    container.append(scalingSection);
  }
  drawLayers();

  container.append(whySection(report, theme, figure, section, pair));
  if (figures.barrierMatrix) container.append(matrixSection(report, section));
  return disposer;
}

/**
 * The theory's rate as a line on the log-log view: slope `slope` through the centroid of the
 * (log width, log W2) points of the first method, from the narrowest pair to the widest.
 */
function theoryLine(slope: number, widths: readonly number[], w2: SeriesLine, items: readonly ItemPosition[], theme: ChartTheme): CurveSpec | null {
  const points = widths.flatMap((x, i) => (w2[i] !== null && w2[i]! > 0 && x > 0 ? [{ x: Math.log(x), y: Math.log(w2[i]!), i }] : []));
  if (points.length < 2) return null;
  const cx = points.reduce((s, p) => s + p.x, 0) / points.length;
  const cy = points.reduce((s, p) => s + p.y, 0) / points.length;
  const ends = [points.reduce((a, p) => (p.x < a.x ? p : a)), points.reduce((a, p) => (p.x > a.x ? p : a))];
  const line: (number | null)[] = items.map(() => null);
  for (const end of ends) line[end.i] = Math.exp(cy + slope * (end.x - cx));
  return { label: `rate −1/Dim(S) = ${formatNumber(slope, 3)}`, color: theme.reference, dash: SHUFFLED_DASH, marker: 'circle', line, secondary: true, xs: widths, guide: true };
}

function formatValue(value: number | null): string {
  if (value === null) return 'n/a';
  return Math.abs(value) >= 1e-3 || value === 0 ? formatNumber(value, 4) : value.toExponential(2);
}

/** One row per pair, in the manifest's order: its value, files and each method's barriers. A row opens its pair. */
function pairsTable(ctx: SeriesContext, methods: readonly MethodName[]): HTMLElement {
  const { report } = ctx;
  const node = element('table', undefined, 'data-table series-items');
  const head = element('tr');
  const columns = [report.variable, 'A', 'B', ...methods.flatMap((m) => [`${m}: loss barrier`, `${m}: accuracy barrier`])];
  columns.forEach((text, c) => {
    const th = element('th', text, c >= 3 ? 'num' : undefined);
    th.setAttribute('scope', 'col');
    head.append(th);
  });
  const thead = element('thead');
  thead.append(head);
  const tbody = element('tbody');
  report.items.forEach((item, i) => {
    const tr = element('tr', undefined, 'pair-row');
    tr.dataset.item = String(item.index);
    tr.tabIndex = 0;
    tr.title = `Open ${fileName(item.report.request.a)} ↔ ${fileName(item.report.request.b)} in the results panel`;
    const value = element('th', String(item.value));
    value.setAttribute('scope', 'row');
    tr.append(value, element('td', fileName(item.report.request.a)), element('td', fileName(item.report.request.b)));
    for (const m of methods) {
      const line = report.figures.barriers[m]!;
      const loss = element('td', formatOptional(line.loss[i], 4), 'num');
      loss.dataset.key = `loss-${m}`;
      const accuracy = element('td', formatPercent(line.accuracy[i]), 'num');
      accuracy.dataset.key = `accuracy-${m}`;
      tr.append(loss, accuracy);
    }
    const open = () => ctx.post({ type: 'openPair', index: item.index });
    tr.addEventListener('click', open);
    tr.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        open();
      }
    });
    tbody.append(tr);
  });
  node.append(thead, tbody);
  const scroller = element('div', undefined, 'table-scroller');
  scroller.append(node);
  return scroller;
}

function scalingTable(report: SeriesReport): HTMLElement {
  const rows = (report.figures.widthScaling ?? []).map((s) => [
    layerLabel(s.layer),
    METHOD_STYLE[s.method].label,
    formatNumber(s.exponent, 3),
    formatNumber(s.theory, 3),
    String(s.points),
  ]);
  const node = table('Fitted exponent k of W2 ∝ width^k (least squares on log W2 against log width) beside −1/Dim(S) of A at the widest pair.', ['layer', 'method', 'k (fitted)', '−1/Dim(S)', 'pairs fitted'], rows, 2);
  node.classList.add('scaling-table');
  return node;
}

type FigureOf = (spec: Figure) => HTMLElement;
type SectionOf = (id: string, title: string, ...children: (HTMLElement | null)[]) => HTMLElement;

function whySection(report: SeriesReport, theme: ChartTheme, figure: FigureOf, section: SectionOf, pair: (...figures: HTMLElement[]) => HTMLElement): HTMLElement {
  const why = report.figures.why;
  const measured = why.some((w) => hasValue(w.additivity) || hasValue(w.commutativity));
  const llfcMeasured = why.some((w) => hasValue(w.llfcCosine));
  const notMeasured = 'LLFC\'s two conditions were not measured on these pairs: they need evaluation data and LLFC samples.';
  const conditions = (name: string, title: string, caption: string, line: (w: (typeof why)[number]) => SeriesLine, shuffled: (w: (typeof why)[number]) => SeriesLine) =>
    figure({
      name,
      caption,
      y: { title } satisfies AxisSpec,
      curves: why.flatMap((w) => [methodCurve(theme, w.method, line(w)), methodCurve(theme, w.method, shuffled(w), true)]),
      missing: notMeasured,
    });
  return section(
    'series-why',
    `Why LLFC holds: the LLFC cosine and its two conditions against ${report.variable}`,
    element('p', 'Zhou et al. derive layerwise linear feature connectivity from weak additivity of the ReLU and commutativity of the layers. Each point is a mean over the network\'s layers; dotted: the same with B\'s samples shuffled against A\'s, what "small" means.', 'caption'),
    llfcMeasured || measured ? null : element('p', 'Weights only: no LLFC or conditions without evaluation data.', 'note missing'),
    llfcMeasured || measured
      ? pair(
          figure({
            name: 'series-llfc',
            caption: 'Mean LLFC cosine at α = 0.5 between the merged network\'s features and the mix of A\'s and B\'s: 1 is linear feature connectivity.',
            y: { title: 'LLFC cosine' },
            curves: why.map((w) => methodCurve(theme, w.method, w.llfcCosine)),
            missing: 'No LLFC was measured on these pairs: it needs evaluation data and LLFC samples.',
          }),
          conditions('series-additivity', 'weak additivity: 1 − cos', 'Weak additivity: 1 − cos(σ(h̃A + h̃B), σ(h̃A) + σ(h̃B)) over the flattened features, mean over activations.', (w) => w.additivity, (w) => w.additivityShuffled),
          conditions('series-commutativity', 'commutativity distance', 'Commutativity: ‖(WA − WB)(HA − HB)‖ / ‖WA·HA + WB·HB‖, mean over layers.', (w) => w.commutativity, (w) => w.commutativityShuffled),
        )
      : null,
  );
}

/** Every pair among N checkpoints: each method's loss barrier as an N×N table, cells shaded by viridis on the table's own range. */
function matrixSection(report: SeriesReport, section: SectionOf): HTMLElement {
  const matrix = report.figures.barrierMatrix!;
  // Already without the folder they share: two files of one name in different folders stay apart.
  const names = matrix.files;
  const tables = methodsIn(matrix.loss).map((method) => {
    const rows = matrix.loss[method]!;
    const values = rows.flat().filter((v): v is number => v !== null && Number.isFinite(v));
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    const node = table(`${METHOD_STYLE[method].label}: loss barrier`, ['', ...names], rows.map((row, r) => [names[r]!, ...row.map((v) => formatOptional(v, 4))]));
    node.classList.add('barrier-matrix');
    node.dataset.method = method;
    node.querySelectorAll('tbody tr').forEach((tr, r) => {
      tr.querySelectorAll('td').forEach((td, c) => {
        const v = rows[r]![c];
        if (v === null || v === undefined || !Number.isFinite(v)) return;
        const t = hi > lo ? (v - lo) / (hi - lo) : 0;
        // Through the CSSOM: the CSP allows no inline style attribute.
        td.style.backgroundColor = viridis(t);
        td.style.color = t > 0.55 ? '#000000' : '#ffffff';
      });
    });
    return node;
  });
  return section(
    'series-matrix',
    'Barrier matrix: every pair among the checkpoints',
    element('p', 'Each cell is the loss barrier between its row\'s and its column\'s checkpoint, B aligned to A; darker is lower.', 'caption'),
    ...tables,
  );
}
