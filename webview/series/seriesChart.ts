/**
 * A quantity along the series on Chart.js: x is the series' variable (a number line, logarithmic
 * for width, or the pairs in order when the values are names), one curve per method or layer.
 * Styled as the results panel's charts (the same options, point styles and theme). A click picks
 * the pair nearest along x.
 */
import { Chart, LogarithmicScale, type ChartDataset, type ChartOptions, type Scale } from 'chart.js';
import { formatNumber, formatPercent } from '../../src/shared/presentation/formatNumbers';
import type { Marker } from '../../src/shared/presentation/methodStyles';
import type { ChartTheme } from '../panel/chartTheme';
import { axisOptions, commonOptions, plotAreaAttribute, POINT_STYLE, type AxisSpec } from '../panel/charts';

Chart.register(LogarithmicScale);

export interface SeriesAxis extends AxisSpec {
  readonly log?: boolean;
  /** The pairs in order, named rather than measured (a seed series' "seed1 × seed2"). */
  readonly names?: boolean;
}

/** One pair's place on the x axis. */
export interface ItemPosition {
  /** The pair's `SeriesItem.index`. */
  readonly item: number;
  readonly x: number;
  /** What the axis writes there (the value, or the pair's name). */
  readonly label: string;
}

export interface SeriesPoint {
  readonly x: number;
  readonly y: number;
  readonly item: number;
}

export interface SeriesCurve {
  readonly label: string;
  readonly color: string;
  readonly dash: readonly number[];
  readonly marker: Marker;
  /** Only the pairs that have a value: a missing one leaves a gap in the table, not a point at zero. */
  readonly points: readonly SeriesPoint[];
  /** A reference drawn lighter (a shuffled baseline, a before-alignment distance). */
  readonly secondary?: boolean;
}

export interface SeriesChartSpec {
  readonly x: SeriesAxis;
  readonly y: SeriesAxis;
  readonly items: readonly ItemPosition[];
  readonly curves: readonly SeriesCurve[];
  readonly onClickItem?: (item: number) => void;
}

/** Room beyond the outermost pairs so that their points are drawn whole. */
function bounds(xs: readonly number[], log: boolean): { min: number; max: number } {
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  if (log) {
    const ratio = hi > lo ? Math.pow(hi / lo, 0.06) : 1.5;
    return { min: lo / ratio, max: hi * ratio };
  }
  const pad = hi > lo ? (hi - lo) * 0.06 : Math.max(0.5, Math.abs(lo) * 0.1);
  return { min: lo - pad, max: hi + pad };
}

/** Where each pair lies along x on the canvas (CSS pixels): what a click maps from, and what the tests aim at. */
function itemPositionsAttribute(items: readonly ItemPosition[]) {
  return {
    id: 'itemPositions',
    afterLayout(chart: Chart) {
      const scale = chart.scales.x!;
      chart.canvas.dataset.items = items.map((p) => `${p.item}:${Math.round(scale.getPixelForValue(p.x))}`).join(' ');
    },
  };
}

function valueLabel(axis: AxisSpec, value: number): string {
  if (axis.percent) return formatPercent(value, 2);
  return Math.abs(value) >= 1e-3 || value === 0 ? formatNumber(value, 4) : value.toExponential(2);
}

export function seriesChart(canvas: HTMLCanvasElement, spec: SeriesChartSpec, theme: ChartTheme): Chart<'line', SeriesPoint[]> {
  const datasets: ChartDataset<'line', SeriesPoint[]>[] = spec.curves.map((curve) => ({
    label: curve.label,
    data: [...curve.points],
    borderColor: curve.color,
    backgroundColor: curve.color,
    borderDash: [...curve.dash],
    borderWidth: curve.secondary ? 1.2 : 2,
    pointStyle: POINT_STYLE[curve.marker],
    pointRadius: curve.secondary ? 2 : 3.5,
    pointHoverRadius: 5,
    pointBorderColor: theme.background,
    pointBorderWidth: 0.5,
    order: curve.secondary ? 5 : 0,
  }));
  const labelAt = new Map<number, string>();
  for (const p of spec.items) if (!labelAt.has(p.x)) labelAt.set(p.x, p.label);
  const xAxis = axisOptions(theme, spec.x, false);
  const yAxis = axisOptions(theme, spec.y, true);
  const base = commonOptions(theme) as ChartOptions<'line'>;
  const chart: Chart<'line', SeriesPoint[]> = new Chart(canvas, {
    type: 'line',
    plugins: [plotAreaAttribute, itemPositionsAttribute(spec.items)],
    data: { datasets },
    options: {
      ...base,
      parsing: false,
      interaction: { mode: 'nearest', intersect: false, axis: 'x' },
      scales: {
        x: {
          type: spec.x.log ? 'logarithmic' : 'linear',
          ...bounds(spec.items.map((p) => p.x), spec.x.log ?? false),
          ...xAxis,
          // Ticks at the pairs themselves: the series' values are what the reader knows it by.
          afterBuildTicks: (scale: Scale) => {
            scale.ticks = [...labelAt.keys()].sort((a, b) => a - b).map((value) => ({ value }));
          },
          // Names (all pairs among seeds) break after their "×" and may slant: every pair keeps its label.
          ticks: {
            ...xAxis.ticks,
            autoSkip: spec.x.names !== true || labelAt.size > 12,
            maxRotation: spec.x.names ? 40 : 0,
            callback: (value: number | string) => {
              const label = labelAt.get(Number(value)) ?? '';
              return spec.x.names ? label.split(/(?<= ×) /) : label;
            },
          },
        },
        y: spec.y.log
          ? {
              type: 'logarithmic',
              ...bounds(spec.curves.flatMap((c) => c.points.map((p) => p.y)), true),
              ...yAxis,
              ticks: { ...yAxis.ticks, callback: (value: number | string, _index: number, ticks: readonly { value: number }[]) => logTick(Number(value), ticks) },
            }
          : { type: 'linear', ...yAxis },
      },
      plugins: {
        ...base.plugins,
        tooltip: {
          ...base.plugins!.tooltip,
          callbacks: {
            title: (items) => {
              const raw = items[0]?.raw as SeriesPoint | undefined;
              return raw ? `${spec.x.title}: ${spec.items.find((p) => p.item === raw.item)?.label ?? formatNumber(raw.x, 3)}` : '';
            },
            label: (item) => `${item.dataset.label}: ${valueLabel(spec.y, (item.raw as SeriesPoint).y)}`,
          },
        },
      },
      onHover: (event) => {
        canvas.style.cursor = spec.onClickItem && pairAt(chart, spec.items, event.x, event.y) !== null ? 'pointer' : 'default';
      },
      onClick: (event) => {
        // A point under the pointer names its pair (two pairs may share a value); elsewhere the nearest along x.
        const hit = event.native ? chart.getElementsAtEventForMode(event.native, 'point', { intersect: true }, false)[0] : undefined;
        const item = hit ? chart.data.datasets[hit.datasetIndex]!.data[hit.index]!.item : pairAt(chart, spec.items, event.x, event.y);
        if (item !== null) spec.onClickItem?.(item);
      },
    },
  });
  return chart;
}

/** Over several decades, ticks at 1, 2 and 5 of each only (the rest crowd the axis); within one or two, every tick Chart.js keeps. */
function logTick(value: number, ticks: readonly { value: number }[]): string {
  const span = ticks.length > 1 ? ticks[ticks.length - 1]!.value / ticks[0]!.value : 1;
  const leading = value / Math.pow(10, Math.floor(Math.log10(value) + 1e-9));
  if (span > 20 && ![1, 2, 5].some((d) => Math.abs(leading - d) < 1e-6)) return '';
  return value >= 1e-3 && value < 1e4 ? String(Number(value.toPrecision(2))) : value.toExponential(1);
}

/** The pair nearest along x to a point inside the plot area, or null outside it. */
function pairAt(chart: Chart, items: readonly ItemPosition[], x: number | null | undefined, y: number | null | undefined): number | null {
  const area = chart.chartArea;
  if (x == null || y == null || x < area.left || x > area.right || y < area.top || y > area.bottom) return null;
  const scale = chart.scales.x!;
  let best: number | null = null;
  let distance = Infinity;
  for (const p of items) {
    const d = Math.abs(scale.getPixelForValue(p.x) - x);
    if (d < distance) {
      distance = d;
      best = p.item;
    }
  }
  return best;
}
