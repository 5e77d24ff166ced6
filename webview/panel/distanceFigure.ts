/**
 * The Layers tab's optimal-transport figure (Ferbach et al.): per matched layer, the Wasserstein-2
 * distance between A's and B's neurons after each alignment and at its optimum, the
 * covariance-weighted W2 when the fit data gave it, and Dim(S) of A and B beside them, with one
 * table holding every number of the three.
 */
import { isRepaired, type LayerMatching, type MethodName } from '../../src/shared/compareReport';
import { formatNumber, formatOptional } from '../../src/shared/presentation/formatNumbers';
import { layerLabel } from '../../src/shared/presentation/layerLabel';
import { METHOD_STYLE, methodsOf } from '../../src/shared/presentation/methodStyles';
import { DISTANCE_TEXT, MODEL_STYLE, dimensionOf } from '../../src/shared/presentation/neuronDistances';
import { categoryLines, nameLabel, transformerOutline } from '../../src/shared/presentation/transformerParts';
import { barChart, chartCanvas, type BarSeries } from './charts';
import { dataDetails, element, table, uniqueId } from './dom';
import type { Disposer, TabContext } from './tabView';

export interface DistanceFigureEvents {
  readonly onHoverLayer: (layer: string | null, clientX: number, clientY: number) => void;
  readonly onPickLayer: (layer: string) => void;
  /** The hover card's id, which the canvases name as their description too. */
  readonly tooltipId: string;
}

type Distances = Pick<LayerMatching['wasserstein'], 'identity' | 'aligned' | 'optimal'>;

export function distanceFigure(ctx: TabContext, disposer: Disposer, events: DistanceFigureEvents): HTMLElement | null {
  const { report, theme } = ctx;
  // A REPAIR variant shares its alignment's matching: one set of bars per alignment.
  const alignments = methodsOf(report).filter(([m, r]) => !isRepaired(m) && r.matching.length > 0);
  if (alignments.length === 0) return null;
  // A transformer's groups in network order (its residual stream is no layer's); another network's matched layers.
  const outline = transformerOutline(report);
  const candidates = outline ? report.groups.map((g) => g.name) : report.layers.map((l) => l.name);
  const layers = candidates.filter((name) => alignments.some(([, r]) => r.matching.some((m) => m.layer === name)));
  const nameOf = (name: string) => nameLabel(report, name);
  const unit = outline ? 'group' : 'layer';
  const matchingOf = (method: MethodName, layer: string) => report.methods[method]!.matching.find((m) => m.layer === layer);
  const covariance = alignments.some(([, r]) => r.matching.some((m) => m.wasserstein.covariance !== null));

  const tableId = uniqueId('distances');
  const panels = element('div', undefined, 'panels');
  const panel = (id: string, label: string, axis: string, bars: BarSeries[]) => {
    const box = element('div', undefined, 'panel');
    box.append(element('p', label, 'panel-label'));
    const { box: chartBox, canvas } = chartCanvas(`${axis} per ${unit}; hover a ${unit}, or focus the chart and use the arrow keys, for its matching costs`);
    canvas.dataset.chart = id;
    canvas.setAttribute('aria-describedby', `${tableId} ${events.tooltipId}`);
    box.append(chartBox);
    disposer.chart(
      barChart(canvas, {
        categories: layers.map((l) => (outline ? categoryLines(report, l) : layerLabel(l))),
        x: { title: outline ? 'permutation group (its units)' : 'layer (its units)' },
        y: { title: axis },
        bars,
        onHoverCategory: (index, x, y) => events.onHoverLayer(index === null ? null : layers[index]!, x, y),
        onClickCategory: (index) => events.onPickLayer(layers[index]!),
      }, theme),
    );
    panels.append(box);
  };
  const distanceBars = (pick: (m: LayerMatching) => Distances | null): BarSeries[] =>
    alignments.flatMap(([method]) => {
      const { label, marker } = METHOD_STYLE[method];
      const color = theme.methodColor(method);
      const values = (key: 'aligned' | 'optimal') => layers.map((l) => {
        const m = matchingOf(method, l);
        return (m && pick(m)?.[key]) ?? NaN;
      });
      return [
        { label, color, marker, values: values('aligned') },
        { label: `${label}, ${DISTANCE_TEXT.optimal}`, color, marker, values: values('optimal'), outline: true, unlisted: true },
      ];
    });
  // Dim(S) right beside W2, covariance W2 after them.
  panel('w2', `(a) ${DISTANCE_TEXT.w2} after alignment (filled) and optimal (outlined)`, DISTANCE_TEXT.w2Axis, distanceBars((m) => m.wasserstein));
  const dimension = (model: 'a' | 'b') => layers.map((l) => dimensionOf(report, { layer: l })?.[model] ?? NaN);
  panel('dim-s', `(b) ${DISTANCE_TEXT.dimS} of each model`, DISTANCE_TEXT.dimSAxis, (['a', 'b'] as const).map((model) => ({
    label: MODEL_STYLE[model].label,
    color: theme.modelColor(model),
    marker: model === 'a' ? 'circle' : 'diamond',
    values: dimension(model),
  })));
  if (covariance) panel('w2-covariance', `(c) ${DISTANCE_TEXT.covariance} after alignment (filled) and optimal (outlined)`, DISTANCE_TEXT.covarianceAxis, distanceBars((m) => m.wasserstein.covariance));

  const w2 = DISTANCE_TEXT.w2;
  const cov = DISTANCE_TEXT.covariance;
  const head = [
    outline ? 'Group' : 'Layer', 'Method', `${w2} before`, `${w2} after`, `${w2} optimal`,
    ...(covariance ? [`${cov} before`, `${cov} after`, `${cov} optimal`] : []),
    `${DISTANCE_TEXT.dimS} A`, `${DISTANCE_TEXT.dimS} B`,
  ];
  const rows = layers.flatMap((l) => {
    const dim = dimensionOf(report, { layer: l });
    return alignments.flatMap(([method]) => {
      const m = matchingOf(method, l);
      if (!m) return [];
      const d = m.wasserstein;
      return [[
        nameOf(l), METHOD_STYLE[method].label,
        formatNumber(d.identity, 4), formatNumber(d.aligned, 4), formatNumber(d.optimal, 4),
        ...(covariance ? [formatOptional(d.covariance?.identity, 4), formatOptional(d.covariance?.aligned, 4), formatOptional(d.covariance?.optimal, 4)] : []),
        formatOptional(dim?.a, 2), formatOptional(dim?.b, 2),
      ]];
    });
  });
  const data = table(null, head, rows, 2);
  data.id = tableId;
  data.classList.add('distance-table');

  const figure = element('figure', undefined, 'figure distances');
  figure.dataset.figure = 'distances';
  const notes: string[] = [DISTANCE_TEXT.notes.w2, ...(covariance ? [DISTANCE_TEXT.notes.covariance] : []), DISTANCE_TEXT.notes.dimS];
  if (report.groups.some((g) => g.layers.length > 1)) notes.push(DISTANCE_TEXT.notes.residual);
  figure.append(
    element('h2', `Neurons as points: ${w2} beside ${DISTANCE_TEXT.dimS}`),
    panels,
    dataDetails(`Data: ${w2}${covariance ? `, ${cov}` : ''} and ${DISTANCE_TEXT.dimS} per ${unit}`, data),
    element('figcaption', notes.join(' '), 'caption'),
  );
  return figure;
}
