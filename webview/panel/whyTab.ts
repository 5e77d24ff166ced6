/**
 * Why LLFC: per layer and method, the LLFC cosine beside the two conditions Zhou et al. derive it
 * from (weak additivity of the ReLU, commutativity of the weights with the features), each
 * condition with its shuffled baseline, so a reader sees alignment shrink commutativity where
 * LLFC holds. The layers pair as conditionRows says; hovering or walking a layer with the arrow
 * keys shows its numbers, and one table holds them all.
 */
import type { MethodName } from '../../src/shared/compareReport';
import { formatNumber } from '../../src/shared/presentation/formatNumbers';
import { CONDITION_TEXT, conditionRows, conditionsMissing, formatCondition, llfcAlphaIndex, type ConditionRow } from '../../src/shared/presentation/llfcConditions';
import { METHOD_STYLE, methodsOf } from '../../src/shared/presentation/methodStyles';
import { layerNameLabel, llfcLabel, transformerOutline } from '../../src/shared/presentation/transformerParts';
import { barChart, chartCanvas, type BarSeries } from './charts';
import { dataDetails, element, table, uniqueId } from './dom';
import { Disposer, type TabContext, type TabView } from './tabView';
import { createTooltip } from './tooltip';

export function renderWhy(container: HTMLElement, ctx: TabContext): TabView {
  const disposer = new Disposer();
  const { report, theme } = ctx;
  const measured = methodsOf(report).filter(([, r]) => r.conditions !== null);
  if (measured.length === 0) {
    const note = element('p', conditionsMissing(report), 'note empty-state');
    note.setAttribute('role', 'status');
    container.append(note);
    return { dispose: () => disposer.dispose() };
  }
  // A row is a layer with the activation after it, or a transformer block's output (the residual stream after it).
  const blocks = new Set(transformerOutline(report)?.blocks.map((b) => b.name) ?? []);
  const rowLabel = (layer: string) => (blocks.has(layer) ? llfcLabel(report, layer) : layerNameLabel(report, layer));
  const middle = llfcAlphaIndex(report);
  const alpha = report.alphas[middle] ?? 0.5;
  const rows = new Map<MethodName, ConditionRow[]>(measured.map(([m, r]) => [m, conditionRows(report, r)]));
  // Every method measures the same activations and layers: the first one's rows name them.
  const layers = rows.get(measured[0]![0])!.map((r) => r.layer);
  const rowOf = (method: MethodName, layer: string) => rows.get(method)!.find((r) => r.layer === layer) ?? null;
  const cosineOf = (row: ConditionRow | null) => row?.llfc?.cosine[middle] ?? NaN;

  const tooltip = createTooltip('why-tooltip');
  disposer.add(() => tooltip.dispose());
  const tableId = uniqueId('why-data');
  const showCard = (index: number | null, x: number, y: number) => {
    if (index === null) return tooltip.hide();
    const layer = layers[index]!;
    tooltip.element.dataset.layer = layer;
    tooltip.show([
      element('p', rowLabel(layer), 'card-title'),
      table(null, ['Method', CONDITION_TEXT.cosine(alpha), CONDITION_TEXT.additivityColumn, CONDITION_TEXT.shuffled, CONDITION_TEXT.commutativityColumn, CONDITION_TEXT.shuffled], measured.map(([m]) => {
        const row = rowOf(m, layer);
        return [
          METHOD_STYLE[m].label,
          row?.llfc ? formatNumber(cosineOf(row), 4) : '–',
          formatCondition(row?.additivity?.dissimilarity.flat),
          formatCondition(row?.additivity?.shuffled.dissimilarity.flat),
          formatCondition(row?.commutativity?.distance),
          formatCondition(row?.commutativity?.shuffled.distance),
        ];
      })),
      element('p', pairing(rows.get(measured[0]![0])!.find((r) => r.layer === layer)!, rowLabel), 'card-note'),
    ], x, y);
  };

  const panels = element('div', undefined, 'panels');
  const panel = (id: string, label: string, axis: string, bars: BarSeries[], range?: { min: number; max: number }) => {
    const box = element('div', undefined, 'panel');
    box.append(element('p', label, 'panel-label'));
    const { box: chartBox, canvas } = chartCanvas(`${label}: per layer, one bar per method; hover a layer, or focus the chart and use the arrow keys, for its numbers`);
    canvas.dataset.chart = id;
    canvas.setAttribute('aria-describedby', `${tableId} ${tooltip.element.id}`);
    box.append(chartBox);
    disposer.chart(barChart(canvas, { categories: layers.map(rowLabel), x: { title: 'layer' }, y: { title: axis, ...range }, bars, onHoverCategory: showCard }, theme));
    panels.append(box);
  };
  const methodBars = (pick: (row: ConditionRow | null) => number, shuffled?: (row: ConditionRow | null) => number): BarSeries[] =>
    measured.flatMap(([m]) => {
      const { label, marker } = METHOD_STYLE[m];
      const color = theme.methodColor(m);
      const values = (f: (row: ConditionRow | null) => number) => layers.map((l) => f(rowOf(m, l)));
      return [
        { label, color, marker, values: values(pick) },
        ...(shuffled ? [{ label: `${label}, ${CONDITION_TEXT.shuffled}`, color, marker, values: values(shuffled), outline: true, unlisted: true }] : []),
      ];
    });

  // The same scale as the LLFC heatmaps: up to 1, from a round value below the lowest cosine.
  const lowest = Math.min(...measured.flatMap(([m]) => layers.map((l) => cosineOf(rowOf(m, l)))).filter(Number.isFinite));
  const cosineRange = { min: Number.isFinite(lowest) ? Math.min(0.95, Math.floor(lowest * 20) / 20) : 0, max: 1 };
  panel('why-cosine', `(a) ${CONDITION_TEXT.cosine(alpha)}`, 'mean cosine', methodBars(cosineOf), cosineRange);
  panel('why-additivity', `(b) ${CONDITION_TEXT.additivity}: ${CONDITION_TEXT.additivityFormula}`, CONDITION_TEXT.additivityAxis, methodBars(
    (row) => row?.additivity?.dissimilarity.flat ?? NaN,
    (row) => row?.additivity?.shuffled.dissimilarity.flat ?? NaN,
  ));
  panel('why-commutativity', `(c) ${CONDITION_TEXT.commutativity}: ${CONDITION_TEXT.commutativityFormula}`, CONDITION_TEXT.commutativityAxis, methodBars(
    (row) => row?.commutativity?.distance ?? NaN,
    (row) => row?.commutativity?.shuffled.distance ?? NaN,
  ));

  const head = [
    'Layer', 'Method', CONDITION_TEXT.cosine(alpha),
    CONDITION_TEXT.additivityColumn, CONDITION_TEXT.shuffled, `${CONDITION_TEXT.additivityColumn}, mean over samples`, 'Additivity coefficient',
    CONDITION_TEXT.commutativityColumn, CONDITION_TEXT.shuffled, 'Commutativity 1 − cos',
  ];
  const body = layers.flatMap((layer) => measured.map(([m]) => {
    const row = rowOf(m, layer);
    return [
      rowLabel(layer), METHOD_STYLE[m].label,
      row?.llfc ? formatNumber(cosineOf(row), 4) : '–',
      formatCondition(row?.additivity?.dissimilarity.flat), formatCondition(row?.additivity?.shuffled.dissimilarity.flat),
      formatCondition(row?.additivity?.dissimilarity.mean), formatCondition(row?.additivity?.coefficient.flat),
      formatCondition(row?.commutativity?.distance), formatCondition(row?.commutativity?.shuffled.distance),
      formatCondition(row?.commutativity?.dissimilarity.flat),
    ];
  }));
  const data = table(null, head, body, 2);
  data.id = tableId;
  data.classList.add('why-table');
  const samples = measured[0]![1].conditions!.samples;

  const figure = element('figure', undefined, 'figure');
  figure.append(
    element('p', `${CONDITION_TEXT.title}, measured on ${samples} evaluation samples. ${CONDITION_TEXT.solidOutlined}`, 'subtitle'),
    panels,
    summary(),
    dataDetails('Data: LLFC and its conditions per layer and method', data),
    element('figcaption', [
      CONDITION_TEXT.notes.llfc, CONDITION_TEXT.notes.additivity, CONDITION_TEXT.notes.commutativity, CONDITION_TEXT.notes.shuffled, CONDITION_TEXT.notes.pairing,
    ].join(' '), 'caption'),
  );
  container.append(figure);
  return { dispose: () => disposer.dispose() };

  /** Each method's mean commutativity distance over the layers, against its shuffled baseline's: alignment's effect in one line. */
  function summary(): HTMLElement {
    const mean = (values: number[]) => (values.length > 0 ? values.reduce((s, v) => s + v, 0) / values.length : NaN);
    const parts = measured.map(([m, r]) => {
      const c = r.conditions!.commutativity;
      return `${METHOD_STYLE[m].label} ${formatCondition(mean(c.map((x) => x.distance)))} (shuffled ${formatCondition(mean(c.map((x) => x.shuffled.distance)))})`;
    });
    return element('p', `Mean ${CONDITION_TEXT.commutativity.toLowerCase()} distance over the layers: ${parts.join('; ')}.`, 'why-summary');
  }
}

/** What a row pairs, in words. */
function pairing(row: ConditionRow, label: (layer: string) => string): string {
  if (row.commutativity && (row.additivity || row.llfc)) return `The activation after ${label(row.layer)} (weak additivity, LLFC) and the layer's weights (commutativity).`;
  if (row.commutativity) return 'No activation reads this layer directly: commutativity only.';
  return 'The activation after a residual sum: no weights of its own, so LLFC and weak additivity only.';
}
