/**
 * LLFC: for each method, a layers × α heatmap of the layerwise feature cosine (Zhou et al. 2023),
 * all on one colour scale, with each layer's baseline beside its row. Hover gives the exact values.
 */
import type { LlfcLayer, MethodName } from '../../src/shared/compareReport';
import { formatNumber } from '../../src/shared/presentation/formatNumbers';
import { METHOD_STYLE, methodsOf } from '../../src/shared/presentation/methodStyles';
import { nearestIndex } from '../../src/shared/presentation/nearestIndex';
import { tickLabel, ticksWithin } from '../../src/shared/presentation/ticks';
import { llfcLabel } from '../../src/shared/presentation/transformerParts';
import { attachCellEvents, drawHeatmap, putViridis, type PlotRect, type Tick } from './canvasHeatmap';
import { colorScale } from './colorScale';
import { dataDetails, element, table } from './dom';
import { Disposer, type TabContext, type TabView } from './tabView';
import { createTooltip } from './tooltip';

const ROW_HEIGHT = 30;
const PLOT_WIDTH = 440;

/** Ticks at round α, each at the centre of the column nearest to it. */
function alphaTicks(alphas: readonly number[]): Tick[] {
  const ticks = ticksWithin(alphas[0] ?? 0, alphas[alphas.length - 1] ?? 1, 4);
  return ticks.values.map((t) => ({ at: (nearestIndex(alphas, t) + 0.5) / alphas.length, text: tickLabel(t, ticks) }));
}

function cosineImage(llfc: readonly LlfcLayer[], columns: number, domain: readonly [number, number]): ImageData {
  const image = new ImageData(columns, llfc.length);
  llfc.forEach((layer, r) => {
    for (let c = 0; c < columns; c++) putViridis(image.data, (r * columns + c) * 4, ((layer.cosine[c] ?? NaN) - domain[0]) / (domain[1] - domain[0] || 1));
  });
  return image;
}

export function renderLlfc(container: HTMLElement, ctx: TabContext): TabView {
  const disposer = new Disposer();
  const { report, theme } = ctx;
  const withLlfc = methodsOf(report).filter(([, r]) => r.llfc.length > 0);
  if (withLlfc.length === 0) {
    container.append(element('p', 'No LLFC: it is measured on evaluation data, and this comparison had none (weights only).', 'note'));
    return { dispose: () => disposer.dispose() };
  }
  const tooltip = createTooltip('llfc-tooltip');
  disposer.add(() => tooltip.dispose());
  const lowest = Math.min(...withLlfc.flatMap(([, r]) => r.llfc.flatMap((l) => l.cosine.filter(Number.isFinite))));
  // One scale for every method, up to a cosine of 1, from a round value below the lowest.
  const domain: [number, number] = [Number.isFinite(lowest) ? Number(Math.min(0.95, Math.floor(lowest * 20) / 20).toFixed(2)) : 0, 1];
  const columns = report.alphas.length;

  const panels = element('div', undefined, 'panels');
  for (const [method, r] of withLlfc) {
    panels.append(heatmapPanel(method, r.llfc));
  }
  function heatmapPanel(method: MethodName, llfc: readonly LlfcLayer[]): HTMLElement {
    const panel = element('div', undefined, 'panel');
    const canvas = element('canvas', undefined, 'heatmap');
    canvas.dataset.chart = `llfc-${method}`;
    canvas.dataset.method = method;
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', `LLFC cosine of ${METHOD_STYLE[method].label}, hidden layers (rows) by α (columns); arrow keys move between cells`);
    const rowAt = (r: number) => (r + 0.5) / llfc.length;
    const plot: PlotRect = drawHeatmap(canvas, {
      image: cosineImage(llfc, columns, domain),
      plotWidth: PLOT_WIDTH,
      plotHeight: ROW_HEIGHT * llfc.length,
      title: METHOD_STYLE[method].label,
      xTitle: 'α',
      yTitle: 'layer',
      xTicks: alphaTicks(report.alphas),
      yTicks: llfc.map((l, r) => ({ at: rowAt(r), text: llfcLabel(report, l.layer) })),
      rightNotes: llfc.map((l, r) => ({ at: rowAt(r), text: `baseline ${formatNumber(l.baseline, 3)}` })),
    }, theme);
    attachCellEvents(canvas, {
      rows: llfc.length,
      columns,
      plot: () => plot,
      onCell: (cell, x, y) => {
        if (!cell) return tooltip.hide();
        const layer = llfc[cell.row]!;
        tooltip.show([
          element('p', `${METHOD_STYLE[method].label} · ${llfcLabel(report, layer.layer)}`, 'card-title'),
          element('p', `α = ${formatNumber(report.alphas[cell.column] ?? NaN, 4)}`),
          element('p', `cosine ${formatNumber(layer.cosine[cell.column] ?? NaN, 5)}`),
          element('p', `scale c = ${formatNumber(layer.scale[cell.column] ?? NaN, 4)}`),
          element('p', `baseline cos(f(θA), f(π(θB))) = ${formatNumber(layer.baseline, 4)}`, 'card-note'),
        ], x, y);
      },
    });
    canvas.setAttribute('aria-describedby', tooltip.element.id);
    const rows = llfc.flatMap((l) => [
      [`${llfcLabel(report, l.layer)} cosine`, ...l.cosine.map((v) => formatNumber(v, 4)), formatNumber(l.baseline, 4)],
      [`${llfcLabel(report, l.layer)} scale c`, ...l.scale.map((v) => formatNumber(v, 4)), ''],
    ]);
    panel.append(canvas, dataDetails(`Data: LLFC of ${METHOD_STYLE[method].label}`, table(null, ['', ...report.alphas.map((a) => `α=${formatNumber(a, 3)}`), 'baseline'], rows)));
    return panel;
  }

  // One scale for every method, above the heatmaps and kept in view while they scroll past.
  const bar = colorScale({ domain, label: 'LLFC cosine: mean cosine between the features of θ(α) and the mix of the endpoints\' features', width: 560 });
  bar.classList.add('llfc-scale');

  const figure = element('figure', undefined, 'figure');
  figure.append(
    bar,
    panels,
    element('figcaption', 'Layerwise linear feature connectivity: for each hidden layer and α, the mean over samples of cos(f(θ(α)), (1−α)·f(θA) + α·f(π(θB))); close to 1 everywhere means the merged network\'s features are the mix of the endpoints\' features. Right of each row, the baseline: the mean cosine between the endpoints\' own features. Hover a cell for its exact values, or focus a heatmap (Tab) and move between cells with the arrow keys. The Why LLFC tab shows, layer by layer, the two conditions LLFC follows from.', 'caption'),
  );
  container.append(figure);
  return { dispose: () => disposer.dispose() };
}
