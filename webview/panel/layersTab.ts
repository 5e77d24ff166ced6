/**
 * Layers: per-layer barriers (only that layer interpolated, the rest held at A), the relative
 * weight distance left after alignment, layer × method, and for REPAIR methods the variance
 * collapse before and after REPAIR; then W2 between A's and B's neurons beside Dim(S)
 * (distanceFigure). Hovering a layer, or walking a chart's layers with the arrow keys, shows its
 * matching costs.
 */
import { alignmentOf, isRepaired, type CompareReport, type MethodName } from '../../src/shared/compareReport';
import { formatNumber, formatPercent } from '../../src/shared/presentation/formatNumbers';
import { layerLabel } from '../../src/shared/presentation/layerLabel';
import { METHOD_STYLE, methodsOf } from '../../src/shared/presentation/methodStyles';
import { categoryLines, nameLabel, partOf, transformerOutline } from '../../src/shared/presentation/transformerParts';
import { blockTable } from './blockTable';
import { chartCanvas, groupedBarChart, type AxisSpec } from './charts';
import { distanceFigure } from './distanceFigure';
import { dataDetails, element, table } from './dom';
import { layerDetails } from './layerDetails';
import { Disposer, type TabContext, type TabView } from './tabView';
import { createTooltip } from './tooltip';

interface BarFigure {
  readonly id: string;
  readonly label: string;
  readonly axis: AxisSpec;
  readonly layers: readonly string[];
  readonly value: (method: MethodName, layer: string) => number;
  /** The bars, when they are not one per method of the report (the variance collapse: before and after REPAIR). */
  readonly series?: readonly (readonly [MethodName, (layer: string) => number])[];
  readonly x?: string;
}

/** The report's layer order, restricted to the layers a measurement names. */
function orderedLayers(report: CompareReport, named: Set<string>): string[] {
  return report.layers.map((l) => l.name).filter((n) => named.has(n));
}

export function renderLayers(container: HTMLElement, ctx: TabContext): TabView {
  const disposer = new Disposer();
  const { report } = ctx;
  const methods = methodsOf(report);
  const tooltip = createTooltip('layer-tooltip');
  disposer.add(() => tooltip.dispose());

  // A transformer's barriers are per part (embeddings, each block's attention, MLP and whole block, the head) and its matching per group, each in network order.
  const outline = transformerOutline(report);
  const barrierNamed = new Set(methods.flatMap(([, r]) => r.layerBarriers.map((b) => b.layer)));
  const matchedNamed = new Set(methods.flatMap(([, r]) => r.matching.map((m) => m.layer)));
  const barrierLayers = outline ? outline.parts.map((p) => p.name).filter((n) => barrierNamed.has(n)) : orderedLayers(report, barrierNamed);
  const matchedLayers = outline ? report.groups.map((g) => g.name).filter((n) => matchedNamed.has(n)) : orderedLayers(report, matchedNamed);
  const category = (name: string) => (outline ? categoryLines(report, name) : layerLabel(name));
  const label = (name: string) => nameLabel(report, name);
  const barrier = (pick: 'loss' | 'accuracy') => (method: MethodName, layer: string) =>
    report.methods[method]?.layerBarriers.find((b) => b.layer === layer)?.[pick] ?? NaN;
  const figures: BarFigure[] = [
    ...(barrierLayers.length > 0
      ? [
          { id: 'layer-loss', label: `(a) Loss barrier per ${outline ? 'part' : 'layer'}`, axis: { title: 'loss barrier (nats)' }, layers: barrierLayers, value: barrier('loss'), ...(outline ? { x: 'part interpolated, the rest held at A' } : {}) },
          { id: 'layer-accuracy', label: `(b) Accuracy barrier per ${outline ? 'part' : 'layer'}`, axis: { title: 'accuracy barrier', percent: true }, layers: barrierLayers, value: barrier('accuracy'), ...(outline ? { x: 'part interpolated, the rest held at A' } : {}) },
        ]
      : []),
    {
      id: 'layer-cost',
      label: `(${barrierLayers.length > 0 ? 'c' : 'a'}) Weight distance after alignment`,
      axis: { title: '‖W_A − P·W_B·Qᵀ‖ / ‖W_A‖' },
      layers: matchedLayers,
      value: (method, layer) => report.methods[method]?.matching.find((m) => m.layer === layer)?.costAfter ?? NaN,
      ...(outline ? { x: 'permutation group' } : {}),
    },
  ];
  // Before REPAIR is the plain interpolated network, so it is drawn as the plain method; after, as the REPAIR method.
  const repaired = methods.filter(([m, r]) => isRepaired(m) && (r.varianceCollapse?.length ?? 0) > 0);
  if (repaired.length > 0) {
    const collapse = (method: MethodName, pick: 'before' | 'after') => (layer: string) =>
      report.methods[method]?.varianceCollapse?.find((v) => v.layer === layer)?.[pick] ?? NaN;
    figures.push({
      id: 'variance-collapse',
      label: `(${String.fromCharCode('a'.charCodeAt(0) + figures.length)}) Variance collapse at α = 0.5, before and after REPAIR`,
      axis: { title: 'σ merged / mean σ of A and B' },
      layers: orderedLayers(report, new Set(repaired.flatMap(([, r]) => r.varianceCollapse!.map((v) => v.layer)))),
      value: () => NaN,
      series: repaired.flatMap(([m]) => [[alignmentOf(m), collapse(m, 'before')], [m, collapse(m, 'after')]] as const),
      x: 'layer (its output, after BatchNorm)',
    });
  }

  const showCard = (layer: string | null, x: number, y: number) => {
    if (layer === null) return tooltip.hide();
    tooltip.element.dataset.layer = layer;
    tooltip.show(layerDetails(report, layer), x, y);
  };

  const details = element('div', undefined, 'layer-details');
  details.setAttribute('aria-live', 'polite');
  // A transformer's details are per part: a group or a layer shows the part holding it.
  const pickable = (name: string) => partOf(report, name)?.name ?? name;
  const select = (named: string) => {
    const layer = pickable(named);
    ctx.update({ layer });
    details.replaceChildren(...layerDetails(report, layer));
    if (picker.value !== layer) picker.value = layer;
  };

  const panels = element('div', undefined, 'panels');
  for (const figure of figures) {
    const panel = element('div', undefined, 'panel');
    panel.append(element('p', figure.label, 'panel-label'));
    const series = figure.series ?? methods.map(([m]) => [m, (l: string) => figure.value(m, l)] as const);
    const values = figure.layers.flatMap((l) => series.map(([, value]) => value(l))).filter(Number.isFinite);
    // An empty-looking chart must not read as a failure to draw.
    if (values.length > 0 && values.every((v) => v === 0)) panel.append(element('p', 'Every value is 0 here: each bar is a line on the axis.', 'note'));
    const unit = outline ? (figure.id === 'layer-cost' ? 'group' : 'part') : 'layer';
    const { box, canvas } = chartCanvas(`${figure.axis.title} per ${unit}, one bar per method; hover a ${unit}, or focus the chart and use the arrow keys, for its matching costs`);
    canvas.dataset.chart = figure.id;
    canvas.setAttribute('aria-describedby', tooltip.element.id);
    panel.append(box);
    disposer.chart(
      groupedBarChart(canvas, {
        categories: figure.layers.map(category),
        x: { title: figure.x ?? 'layer interpolated' },
        y: figure.axis,
        series: series.map(([method, value]) => ({ method, values: figure.layers.map(value) })),
        onHoverCategory: (index, x, y) => showCard(index === null ? null : figure.layers[index]!, x, y),
        onClickCategory: (index) => select(figure.layers[index]!),
      }, ctx.theme),
    );
    const format = figure.axis.percent ? (v: number) => formatPercent(v, 2) : (v: number) => formatNumber(v, 4);
    const rows = figure.layers.map((l) => [label(l), ...series.map(([, value]) => format(value(l)))]);
    const heads = figure.series ? series.map(([m]) => `${METHOD_STYLE[m].label}${isRepaired(m) ? ' (after)' : ' (before REPAIR)'}`) : series.map(([m]) => METHOD_STYLE[m].label);
    panel.append(dataDetails(`Data: ${figure.axis.title} per ${unit}`, table(null, [outline ? (figure.id === 'layer-cost' ? 'Group' : 'Part') : 'Layer', ...heads], rows), canvas));
    panels.append(panel);
  }

  const figure = element('figure', undefined, 'figure');
  figure.append(
    panels,
    element('figcaption', `${barrierLayers.length > 0 ? (outline ? 'Per-part barriers: only the named part (the embeddings, a block\'s attention or MLP with the norm before it, a whole block, or the final norm and head) is interpolated between A and aligned B, every other part held at A. ' : 'Per-layer barriers: only the named layer is interpolated between A and aligned B, every other layer held at A. ') : ''}Weight distance: each layer's relative distance between A and aligned B (naive: no permutation).${repaired.length > 0 ? ' Variance collapse: per layer, the mean over channels of the merged network\'s standard deviation over the mean of the endpoints\' at α = 0.5 on the fit data; below 1 the activations have collapsed, and REPAIR brings them back to about 1.' : ''} Hover a layer, or click it, for its matching costs and Dim(S).`, 'caption'),
  );

  const toolbar = element('div', undefined, 'toolbar');
  const pickerLabel = element('label', outline ? 'Part details' : 'Layer details');
  pickerLabel.id = 'layer-picker-label';
  const picker = element('vscode-dropdown') as HTMLElement & { value: string };
  picker.id = 'layer-picker';
  picker.setAttribute('aria-labelledby', pickerLabel.id);
  const allLayers = outline ? outline.parts.map((p) => p.name) : report.layers.map((l) => l.name);
  for (const name of allLayers) {
    const option = element('vscode-option', label(name)) as HTMLElement & { value: string };
    option.setAttribute('value', name);
    picker.append(option);
  }
  picker.addEventListener('change', () => select(picker.value));
  toolbar.append(pickerLabel, picker);

  const distances = distanceFigure(ctx, disposer, { onHoverLayer: showCard, onPickLayer: (layer) => select(layer), tooltipId: tooltip.element.id });
  const blocks = outline ? blockTable(report, outline) : null;
  container.append(...(blocks ? [blocks] : []), figure, ...(distances ? [distances] : []), toolbar, details);
  const initial = ctx.state().layer;
  select(initial && allLayers.includes(pickable(initial)) ? initial : (outline ? allLayers[0]! : (matchedLayers[0] ?? allLayers[0] ?? '')));
  return {
    dispose: () => disposer.dispose(),
    focusLayer: (layer) => {
      if (allLayers.includes(pickable(layer))) select(layer);
      details.scrollIntoView({ block: 'nearest' });
    },
  };
}
