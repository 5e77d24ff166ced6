/**
 * The Permutations tab's head-to-head maps: one small heatmap per attention for the chosen
 * method, A's heads (rows) against B's (columns), on one colour scale, the matched pairs framed.
 * Hover (or the arrow keys) names the two heads with their similarity; clicking a map shows its
 * attention's query/key units below.
 */
import type { CompareReport, HeadMatching, MethodName } from '../../src/shared/compareReport';
import { formatNumber } from '../../src/shared/presentation/formatNumbers';
import { HEAD_TEXT, headDomain, headMovesText, headPairsText, headSimilarity } from '../../src/shared/presentation/headMatching';
import { METHOD_STYLE } from '../../src/shared/presentation/methodStyles';
import { ticksWithin } from '../../src/shared/presentation/ticks';
import { transformerOutline } from '../../src/shared/presentation/transformerParts';
import { attachCellEvents, drawHeatmap, putViridis, type PlotRect } from './canvasHeatmap';
import type { ChartTheme } from './chartTheme';
import { colorScale } from './colorScale';
import { dataDetails, element, table } from './dom';
import type { Tooltip } from './tooltip';

export interface HeadFigureSpec {
  readonly report: CompareReport;
  readonly method: MethodName;
  /** Columns ordered by the head permutation (the matched pairs on the diagonal), or in B's own order. */
  readonly aligned: boolean;
  readonly theme: ChartTheme;
  readonly tooltip: Tooltip;
  /** A map was clicked: show that attention's units. */
  readonly onPick: (heads: HeadMatching) => void;
}

/** Column c shows B's head permutation[c] when aligned, else head c. */
const columnHead = (heads: HeadMatching, aligned: boolean, column: number) => (aligned ? heads.permutation[column]! : column);

function plotSide(count: number): number {
  return Math.max(160, Math.min(260, count * 40));
}

/** The figure, or null when the method matched no heads (not a transformer, or a report without them). */
export function headFigure(spec: HeadFigureSpec): HTMLElement | null {
  const { report, method, aligned, theme, tooltip } = spec;
  const attentions = report.methods[method]?.heads ?? [];
  if (attentions.length === 0) return null;
  const outline = transformerOutline(report);
  const blockLabel = (h: HeadMatching) => outline?.blocks.find((b) => b.name === h.block)?.label ?? h.block;
  const domain = headDomain(attentions);
  const span = domain[1] - domain[0];

  const panels = element('div', undefined, 'panels head-maps');
  for (const heads of attentions) {
    const n = heads.count;
    const side = plotSide(n);
    const image = new ImageData(n, n);
    for (let a = 0; a < n; a++) for (let c = 0; c < n; c++) putViridis(image.data, (a * n + c) * 4, (headSimilarity(heads, a, columnHead(heads, aligned, c)) - domain[0]) / span);
    const canvas = element('canvas', undefined, 'heatmap head-heatmap');
    canvas.dataset.chart = 'heads';
    canvas.dataset.attention = heads.attention;
    canvas.dataset.heads = String(n);
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', `Head-to-head similarity in ${blockLabel(heads)}'s attention (${METHOD_STYLE[method].label}): A's ${n} heads (rows) against B's (columns, ${aligned ? 'ordered by the head permutation, so the framed matched pairs lie on the diagonal' : "in B's own order, the matched pairs framed"}); arrow keys move between cells, click to show its units`);
    const ticks = ticksWithin(0, n - 1, 4, true).values.map((h) => ({ at: (h + 0.5) / n, text: String(h) }));
    const plot: PlotRect = drawHeatmap(canvas, {
      image,
      plotWidth: side,
      plotHeight: side,
      title: `${blockLabel(heads)} · attention`,
      xTitle: aligned ? 'B head π(a)' : 'B head',
      yTitle: HEAD_TEXT.rows,
      xTicks: aligned ? ticks.map((t, k) => ({ ...t, text: String(heads.permutation[Number(t.text)] ?? k) })) : ticks,
      yTicks: ticks,
      marks: heads.permutation.map((b, a) => ({ row: a, column: aligned ? a : b })),
    }, theme);
    attachCellEvents(canvas, {
      rows: n,
      columns: n,
      plot: () => plot,
      onCell: (cell, x, y) => {
        if (!cell) return tooltip.hide();
        const a = cell.row;
        const b = columnHead(heads, aligned, cell.column);
        const matched = heads.permutation[a]!;
        tooltip.element.dataset.a = String(a);
        tooltip.element.dataset.b = String(b);
        tooltip.show([
          element('p', `${blockLabel(heads)} · A head ${a} ↔ B head ${b}`, 'card-title'),
          element('p', `similarity ${formatNumber(headSimilarity(heads, a, b), 4)}`, 'card-values'),
          element('p', matched === b ? 'the matched pair' : `A head ${a} is matched with B head ${matched}: similarity ${formatNumber(headSimilarity(heads, a, matched), 4)}`, 'card-note'),
        ], x, y);
      },
    });
    canvas.addEventListener('click', () => spec.onPick(heads));
    canvas.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') spec.onPick(heads);
    });

    const rows = Array.from({ length: n }, (_, a) => [
      `A head ${a}`,
      ...Array.from({ length: n }, (_, b) => formatNumber(headSimilarity(heads, a, b), 4)),
      `B head ${heads.permutation[a]}`,
    ]);
    const panel = element('div', undefined, 'panel head-panel');
    panel.dataset.attention = heads.attention;
    const data = dataDetails(`Data: ${blockLabel(heads)}'s heads (${headPairsText(heads)})`, table(null, ['', ...Array.from({ length: n }, (_, b) => `B head ${b}`), 'Matched with'], rows), canvas);
    canvas.setAttribute('aria-describedby', `${tooltip.element.id} ${canvas.getAttribute('aria-describedby')}`);
    panel.append(canvas, element('p', headMovesText(heads), 'note head-moves'), data);
    panels.append(panel);
  }

  const figure = element('figure', undefined, 'figure heads');
  figure.dataset.figure = 'heads';
  figure.append(
    element('h2', `${HEAD_TEXT.title} · ${METHOD_STYLE[method].label}`),
    panels,
    colorScale({ domain, label: HEAD_TEXT.scale, width: 360 }),
    element('figcaption', `${HEAD_TEXT.caption} Hover a cell for its two heads; click a map to show its attention's units below.`, 'caption'),
  );
  return figure;
}
