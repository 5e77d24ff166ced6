/**
 * The panel's line and bar charts on Chart.js, registered piece by piece so the bundle carries
 * only what is drawn. Styled as paper figures: axis titles with units, a legend, no animation.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartDataset,
  type ChartOptions,
  type PointStyle,
} from 'chart.js';
import type { MethodName } from '../../src/shared/compareReport';
import { formatNumber, formatPercent } from '../../src/shared/presentation/formatNumbers';
import { METHOD_STYLE, type Marker } from '../../src/shared/presentation/methodStyles';
import type { ChartTheme } from './chartTheme';
import { element } from './dom';

Chart.register(LineController, LineElement, PointElement, BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

/** The presentation table's markers in Chart.js's names. */
export const POINT_STYLE: Readonly<Record<Marker, PointStyle>> = { circle: 'circle', square: 'rect', triangle: 'triangle', diamond: 'rectRot' };

export interface AxisSpec {
  readonly title: string;
  /** Values are fractions shown as percentages. */
  readonly percent?: boolean;
}

export interface LineSeries {
  readonly method: MethodName;
  readonly values: readonly number[];
}

/**
 * Where the plot area lies, on the canvas: what a hover maps from, and what the tests aim at; and
 * the y-axis's range (data-y-range="min,max"), which follows the lines shown.
 */
export const plotAreaAttribute = {
  id: 'plotAreaAttribute',
  afterLayout(chart: Chart) {
    const { left, top, right, bottom } = chart.chartArea;
    chart.canvas.dataset.area = [left, top, right, bottom].map((v) => Math.round(v)).join(',');
    const y = chart.scales.y;
    if (y) chart.canvas.dataset.yRange = `${y.min},${y.max}`;
  },
};

/** A canvas in a sized box (Chart.js sizes the canvas to its parent) with a label for screen readers. */
export function chartCanvas(label: string, className = 'chart-box'): { box: HTMLElement; canvas: HTMLCanvasElement } {
  const box = element('div', undefined, className);
  const canvas = element('canvas');
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', label);
  box.append(canvas);
  return { box, canvas };
}

/** Tick labels with as many decimals as the tick step needs, so that no two ticks read alike. */
function tickLabel(axis: AxisSpec) {
  return (value: number | string, _index: number, ticks: readonly { value: number }[]) => {
    const step = ticks.length > 1 ? Math.abs(ticks[1]!.value - ticks[0]!.value) : 1;
    const scaled = axis.percent ? step * 100 : step;
    const decimals = Math.min(6, Math.max(0, Math.ceil(-Math.log10(scaled) - 1e-9)));
    return axis.percent ? formatPercent(Number(value), decimals) : formatNumber(Number(value), decimals);
  };
}

function valueLabel(axis: AxisSpec, value: number): string {
  return axis.percent ? formatPercent(value, 2) : formatNumber(value, 4);
}

export function commonOptions(theme: ChartTheme): ChartOptions<'line' | 'bar'> {
  const font = { family: theme.fontFamily, size: theme.fontSize };
  return {
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    color: theme.foreground,
    font,
    plugins: {
      legend: {
        position: 'top',
        align: 'start',
        labels: { color: theme.foreground, font, usePointStyle: true, boxWidth: 8, boxHeight: 8, padding: 12 },
      },
      tooltip: {
        backgroundColor: theme.background,
        titleColor: theme.foreground,
        bodyColor: theme.foreground,
        borderColor: theme.muted,
        borderWidth: 1,
        titleFont: font,
        bodyFont: font,
      },
    },
  };
}

export function axisOptions(theme: ChartTheme, axis: AxisSpec, grid: boolean) {
  return {
    title: { display: true, text: axis.title, color: theme.foreground, font: { family: theme.fontFamily, size: theme.fontSize + 1 } },
    ticks: { color: theme.foreground, font: { family: theme.fontFamily, size: theme.fontSize }, callback: tickLabel(axis) },
    grid: { display: grid, color: theme.grid },
    border: { color: theme.foreground },
  };
}

/** The dash of the straight line between a path's endpoints, on the chart and in an HTML legend. */
export const REFERENCE_DASH: readonly number[] = [2, 3];

export interface LineChartSpec {
  readonly x: AxisSpec;
  readonly y: AxisSpec;
  readonly alphas: readonly number[];
  readonly series: readonly LineSeries[];
  /** The straight line between the endpoints, which a barrier is measured against. */
  readonly reference?: { readonly label: string; readonly from: number; readonly to: number };
  /** Methods drawn hidden; showMethods changes them later. */
  readonly hidden?: ReadonlySet<MethodName>;
  /** The caller draws the legend (methodLegend.ts, which hides and shows methods) instead of the canvas. */
  readonly htmlLegend?: boolean;
}

/** Values along α, one line per method (x is linear in α, not one category per point). */
export function lineChart(canvas: HTMLCanvasElement, spec: LineChartSpec, theme: ChartTheme): Chart<'line', { x: number; y: number }[]> {
  const datasets: ChartDataset<'line', { x: number; y: number }[]>[] = spec.series.map((s) => {
    const style = METHOD_STYLE[s.method];
    const color = theme.methodColor(s.method);
    return {
      label: style.label,
      data: spec.alphas.map((x, i) => ({ x, y: s.values[i] ?? NaN })),
      borderColor: color,
      backgroundColor: color,
      borderDash: [...style.dash],
      borderWidth: 2,
      pointStyle: POINT_STYLE[style.marker],
      pointRadius: 3,
      pointHoverRadius: 5,
      pointBorderColor: theme.background,
      pointBorderWidth: 0.5,
      spanGaps: false,
      hidden: spec.hidden?.has(s.method) ?? false,
    };
  });
  if (spec.reference && spec.alphas.length >= 2) {
    datasets.push({
      label: spec.reference.label,
      data: [{ x: spec.alphas[0]!, y: spec.reference.from }, { x: spec.alphas[spec.alphas.length - 1]!, y: spec.reference.to }],
      borderColor: theme.reference,
      backgroundColor: theme.reference,
      borderDash: [...REFERENCE_DASH],
      borderWidth: 1.2,
      pointRadius: 0,
      pointStyle: 'line',
      order: 10,
    });
  }
  const base = commonOptions(theme) as ChartOptions<'line'>;
  return new Chart(canvas, {
    type: 'line',
    plugins: [plotAreaAttribute],
    data: { datasets },
    options: {
      ...base,
      interaction: { mode: 'nearest', intersect: false, axis: 'x' },
      scales: {
        x: (() => {
          const axis = axisOptions(theme, spec.x, false);
          return { type: 'linear' as const, min: spec.alphas[0] ?? 0, max: spec.alphas[spec.alphas.length - 1] ?? 1, ...axis, ticks: { ...axis.ticks, maxTicksLimit: 6 } };
        })(),
        y: { type: 'linear', ...axisOptions(theme, spec.y, true) },
      },
      plugins: {
        ...base.plugins,
        ...(spec.htmlLegend ? { legend: { display: false } } : {}),
        tooltip: {
          ...base.plugins!.tooltip,
          callbacks: {
            title: (items) => `α = ${formatNumber(items[0]?.parsed.x ?? NaN, 3)}`,
            label: (item) => `${item.dataset.label}: ${valueLabel(spec.y, item.parsed.y ?? NaN)}`,
          },
        },
      },
    },
  });
}

/**
 * Shows a line chart's methods but the hidden ones (its series in the order lineChart was given
 * them); Chart.js leaves hidden lines out of the y-axis's range, so the axis fits the lines shown.
 */
export function showMethods(chart: Chart<'line', { x: number; y: number }[]>, series: readonly LineSeries[], hidden: ReadonlySet<MethodName>): void {
  series.forEach((s, i) => chart.setDatasetVisibility(i, !hidden.has(s.method)));
  chart.update();
}

/** One bar per category in a colour of its own (a method's, a model's): filled, or outlined for a reference value (a shuffled baseline, an optimum). */
export interface BarSeries {
  readonly label: string;
  readonly color: string;
  /** One per category; a value that is not finite is no bar (the layer was not measured). */
  readonly values: readonly number[];
  readonly outline?: boolean;
  readonly marker?: Marker;
  /** Left out of the legend: an outlined companion that the panel's note explains. */
  readonly unlisted?: boolean;
}

export interface BarChartSpec {
  /** One label per category; several strings are lines (a transformer part and its block). */
  readonly categories: readonly (string | readonly string[])[];
  readonly x: AxisSpec;
  readonly y: AxisSpec & { readonly min?: number; readonly max?: number };
  readonly series: readonly LineSeries[];
  /**
   * The category under the pointer, or the keyboard's (the canvas takes focus and the arrow keys
   * walk the categories), with where to put a card; null when it leaves.
   */
  readonly onHoverCategory?: (index: number | null, clientX: number, clientY: number) => void;
  readonly onClickCategory?: (index: number) => void;
}

/** Bars grouped by category (layers), one colour per method; the canvas tooltip is replaced by the caller's. */
export function groupedBarChart(canvas: HTMLCanvasElement, spec: BarChartSpec, theme: ChartTheme): Chart<'bar'> {
  const bars = spec.series.map((s): BarSeries => ({ label: METHOD_STYLE[s.method].label, color: theme.methodColor(s.method), values: s.values, marker: METHOD_STYLE[s.method].marker }));
  return barChart(canvas, { ...spec, bars }, theme);
}

/** Bars grouped by category, each series its own colour, filled or outlined. */
export function barChart(canvas: HTMLCanvasElement, spec: Omit<BarChartSpec, 'series'> & { readonly bars: readonly BarSeries[] }, theme: ChartTheme): Chart<'bar'> {
  const base = commonOptions(theme) as ChartOptions<'bar'>;
  const categoryAt = (chart: Chart<'bar'>, x: number, y: number): number | null => {
    const { left, right, top, bottom } = chart.chartArea;
    if (x < left || x > right || y < top || y > bottom + 30) return null;
    const index = Math.floor(((x - left) / (right - left)) * spec.categories.length);
    return index >= 0 && index < spec.categories.length ? index : null;
  };
  const chart: Chart<'bar'> = new Chart(canvas, {
    type: 'bar',
    plugins: [plotAreaAttribute],
    data: {
      labels: spec.categories.map((c) => (typeof c === 'string' ? c : [...c])),
      datasets: spec.bars.map((s) => ({
        label: s.label,
        data: s.values.map((v) => (Number.isFinite(v) ? v : null)),
        backgroundColor: s.outline ? 'transparent' : s.color,
        borderColor: s.color,
        borderWidth: s.outline ? 1.5 : 0,
        pointStyle: POINT_STYLE[s.marker ?? 'square'],
        categoryPercentage: 0.78,
        // A zero bar is still drawn as a line on the axis: the layer was measured, not left out.
        minBarLength: 1,
        barPercentage: 0.92,
      })),
    },
    options: {
      ...base,
      scales: {
        x: { type: 'category', ...axisOptions(theme, spec.x, false), ticks: { color: theme.foreground, font: { family: theme.fontFamily, size: theme.fontSize } } },
        y: {
          type: 'linear',
          beginAtZero: spec.y.min === undefined,
          ...(spec.y.min === undefined ? {} : { min: spec.y.min }),
          ...(spec.y.max === undefined ? {} : { max: spec.y.max }),
          ...axisOptions(theme, spec.y, true),
        },
      },
      plugins: {
        ...base.plugins,
        legend: { ...base.plugins!.legend, labels: { ...base.plugins!.legend!.labels, filter: (item) => !spec.bars[item.datasetIndex ?? -1]?.unlisted } },
        tooltip: { enabled: false },
      },
      onHover: (event) => {
        const native = event.native as MouseEvent | null;
        if (!native || !spec.onHoverCategory) return;
        spec.onHoverCategory(categoryAt(chart, event.x ?? -1, event.y ?? -1), native.clientX, native.clientY);
      },
      onClick: (event) => {
        const index = categoryAt(chart, event.x ?? -1, event.y ?? -1);
        if (index !== null) spec.onClickCategory?.(index);
      },
    },
  });
  if (spec.onHoverCategory) {
    const onCategory = spec.onHoverCategory;
    canvas.addEventListener('mouseleave', (event) => onCategory(null, event.clientX, event.clientY));
    attachCategoryKeys(canvas, chart, spec.categories.length, onCategory, spec.onClickCategory);
  }
  return chart;
}

/**
 * Keyboard access to a bar chart's categories: the canvas takes focus, showing the first (or the
 * last shown) category; the arrow keys (and Home, End) walk them, Enter picks one, Escape hides the card.
 */
function attachCategoryKeys(
  canvas: HTMLCanvasElement,
  chart: Chart<'bar'>,
  count: number,
  onCategory: (index: number | null, clientX: number, clientY: number) => void,
  onPick?: (index: number) => void,
): void {
  if (count === 0) return;
  let cursor = 0;
  const show = () => {
    const box = canvas.getBoundingClientRect();
    const { left, right, top } = chart.chartArea;
    onCategory(cursor, box.left + left + ((cursor + 0.5) / count) * (right - left), box.top + top);
  };
  canvas.tabIndex = 0;
  canvas.addEventListener('focus', show);
  canvas.addEventListener('blur', () => onCategory(null, 0, 0));
  canvas.addEventListener('keydown', (event) => {
    const moves: Record<string, number> = { ArrowLeft: cursor - 1, ArrowUp: cursor - 1, ArrowRight: cursor + 1, ArrowDown: cursor + 1, Home: 0, End: count - 1 };
    if (event.key === 'Escape') return onCategory(null, 0, 0);
    if (event.key === 'Enter' && onPick) return onPick(cursor);
    const to = moves[event.key];
    if (to === undefined) return;
    event.preventDefault();
    cursor = Math.min(count - 1, Math.max(0, to));
    show();
  });
}
