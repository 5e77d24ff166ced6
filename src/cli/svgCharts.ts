/**
 * Line and grouped-bar charts as inline SVG strings, for a report that must print well and load
 * nothing: axes with round ticks, labels, a legend, and a <title> tooltip on every mark.
 */
import { formatNumber, formatPercent } from '../shared/presentation/formatNumbers';
import type { MethodName } from '../shared/compareReport';
import { METHOD_STYLE, type Marker } from '../shared/presentation/methodStyles';
import { escapeHtml } from './htmlEscape';
import { logTicks, niceTicks, type Ticks } from '../shared/presentation/ticks';
import { finiteExtent, linearScale, px } from './svgScales';

export const CHART_FONT = 'Helvetica, Arial, sans-serif';

/** How a series is drawn: colour, and a dash and marker so that it survives greyscale printing too (methods: METHOD_STYLE). */
export interface SeriesStyle {
  readonly name: string;
  readonly color: string;
  readonly dash?: string;
  readonly marker?: Marker;
}

/** A method's look (METHOD_STYLE) as an SVG series draws it: the paper colour, the dash as a stroke-dasharray. */
export function methodStyle(method: MethodName): SeriesStyle {
  const { label, color, dash, marker } = METHOD_STYLE[method];
  return { name: label, color: color.light, marker, ...(dash.length > 0 ? { dash: dash.join(' ') } : {}) };
}

export interface LineSeries extends SeriesStyle {
  readonly points: readonly (readonly [number, number])[];
  /** Left out of the legend: a companion line that the caption explains (a fitted line beside its points). */
  readonly unlisted?: boolean;
}

export interface AxisOptions {
  readonly label: string;
  /** Values are fractions shown as percentages. */
  readonly percent?: boolean;
  /** Keep 0 inside the axis (bars). */
  readonly includeZero?: boolean;
  /** A logarithmic axis (line charts): ticks at powers of 2 or 10; values at or below 0 are left out. */
  readonly log?: boolean;
}

const MARGIN = { top: 10, right: 14, bottom: 44, left: 62 };
const LEGEND_ROW = 18;
const TEXT = '#222222';
const GRID = '#e3e3e3';

function tickText(value: number, ticks: Ticks, axis: AxisOptions): string {
  return axis.percent ? formatPercent(value, Math.max(0, ticks.decimals - 2)) : formatNumber(value, ticks.decimals);
}

/** A value as the tooltip tells it: a few more digits than the ticks. */
function valueText(value: number, axis: AxisOptions): string {
  return axis.percent ? formatPercent(value, 2) : formatNumber(value, 4);
}

/** The SVG shape of each marker of the presentation table. */
export function markerSvg(marker: Marker, x: number, y: number, color: string, title?: string): string {
  const tooltip = title === undefined ? '' : `<title>${escapeHtml(title)}</title>`;
  const paint = `fill="${color}" stroke="#ffffff" stroke-width="0.6"`;
  switch (marker) {
    case 'circle':
      return `<circle cx="${px(x)}" cy="${px(y)}" r="2.9" ${paint}>${tooltip}</circle>`;
    case 'square':
      return `<rect x="${px(x - 2.6)}" y="${px(y - 2.6)}" width="5.2" height="5.2" ${paint}>${tooltip}</rect>`;
    case 'triangle':
      return `<path d="M${px(x)} ${px(y - 3.4)}L${px(x + 3.2)} ${px(y + 2.4)}L${px(x - 3.2)} ${px(y + 2.4)}Z" ${paint}>${tooltip}</path>`;
    case 'diamond':
      return `<path d="M${px(x)} ${px(y - 3.6)}L${px(x + 3.2)} ${px(y)}L${px(x)} ${px(y + 3.6)}L${px(x - 3.2)} ${px(y)}Z" ${paint}>${tooltip}</path>`;
  }
}

/** Legend entries laid out left to right, wrapping; returns the SVG and the height it takes. */
function legend(styles: readonly (SeriesStyle & { readonly outline?: boolean })[], x0: number, y0: number, width: number, kind: 'line' | 'bar'): { svg: string; height: number } {
  if (styles.length === 0) return { svg: '', height: 0 };
  const parts: string[] = [];
  let x = x0;
  let y = y0 + LEGEND_ROW / 2;
  for (const style of styles) {
    // Text width estimated at 6.2 px per character of 11 px Helvetica: enough to keep entries apart.
    const entryWidth = 30 + style.name.length * 6.2 + 14;
    if (x > x0 && x + entryWidth > x0 + width) {
      x = x0;
      y += LEGEND_ROW;
    }
    if (kind === 'line') {
      parts.push(`<line x1="${px(x)}" y1="${px(y)}" x2="${px(x + 24)}" y2="${px(y)}" stroke="${style.color}" stroke-width="2"${style.dash ? ` stroke-dasharray="${style.dash}"` : ''}/>`);
      if (style.marker) parts.push(markerSvg(style.marker, x + 12, y, style.color));
    } else {
      const paint = style.outline ? `fill="none" stroke="${style.color}" stroke-width="1.2"` : `fill="${style.color}"`;
      parts.push(`<rect x="${px(x + 6)}" y="${px(y - 5.5)}" width="12" height="11" ${paint}/>`);
    }
    parts.push(`<text x="${px(x + 30)}" y="${px(y)}" dominant-baseline="central" fill="${TEXT}">${escapeHtml(style.name)}</text>`);
    x += entryWidth;
  }
  return { svg: `<g class="legend">${parts.join('')}</g>`, height: y - y0 + LEGEND_ROW / 2 + 6 };
}

interface Frame {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
}

/** The y axis: gridlines, ticks, labels and the rotated axis title. */
function yAxis(frame: Frame, ticks: Ticks, axis: AxisOptions, y: (v: number) => number): string {
  const parts = ticks.values.map((v) => {
    const yy = px(y(v));
    return (
      `<line x1="${px(frame.left)}" y1="${yy}" x2="${px(frame.right)}" y2="${yy}" stroke="${GRID}" stroke-width="0.8"/>` +
      `<line x1="${px(frame.left - 4)}" y1="${yy}" x2="${px(frame.left)}" y2="${yy}" stroke="${TEXT}"/>` +
      `<text x="${px(frame.left - 7)}" y="${yy}" text-anchor="end" dominant-baseline="central" fill="${TEXT}">${tickText(v, ticks, axis)}</text>`
    );
  });
  const middle = (frame.top + frame.bottom) / 2;
  parts.push(
    `<text x="${px(14)}" y="${px(middle)}" transform="rotate(-90 14 ${px(middle)})" text-anchor="middle" dominant-baseline="central" font-size="12" fill="${TEXT}">${escapeHtml(axis.label)}</text>`,
    `<line x1="${px(frame.left)}" y1="${px(frame.top)}" x2="${px(frame.left)}" y2="${px(frame.bottom)}" stroke="${TEXT}"/>`,
  );
  return parts.join('');
}

function xTitle(frame: Frame, label: string, height: number): string {
  return `<text x="${px((frame.left + frame.right) / 2)}" y="${px(height - 8)}" text-anchor="middle" font-size="12" fill="${TEXT}">${escapeHtml(label)}</text>`;
}

/** One chart: a fixed-size SVG with its own font, and a label for screen readers. */
export function svgRoot(width: number, height: number, label: string, body: string): string {
  return (
    `<svg class="chart" viewBox="0 0 ${px(width)} ${px(height)}" width="${px(width)}" height="${px(height)}" role="img" aria-label="${escapeHtml(label)}" ` +
    `font-family="${CHART_FONT}" font-size="11">${body}</svg>`
  );
}

export interface LineChartOptions {
  readonly width: number;
  readonly height: number;
  readonly ariaLabel: string;
  readonly x: AxisOptions;
  readonly y: AxisOptions;
  readonly series: readonly LineSeries[];
  /** Drawn first, thin and grey, with a legend entry of its own (e.g. the endpoints' straight line). */
  readonly reference?: LineSeries;
}

/** Splits a polyline where the axes cannot place a point (NaN, or ≤ 0 on a log axis), so that it leaves a gap instead of a wild stroke. */
function polylinePath(points: readonly (readonly [number, number])[], x: (v: number) => number, y: (v: number) => number): string {
  let d = '';
  let pen = false;
  for (const [px0, py0] of points) {
    if (!Number.isFinite(x(px0)) || !Number.isFinite(y(py0))) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${px(x(px0))} ${px(y(py0))}`;
    pen = true;
  }
  return d;
}

export function lineChart(options: LineChartOptions): string {
  const { width, height, series } = options;
  const all = options.reference ? [options.reference, ...series] : series;
  const styles = (options.reference ? [...series, options.reference] : series).filter((s) => !s.unlisted);
  const legendPart = legend(styles, MARGIN.left, MARGIN.top, width - MARGIN.left - MARGIN.right, 'line');
  const frame: Frame = { left: MARGIN.left, top: MARGIN.top + legendPart.height + 4, right: width - MARGIN.right, bottom: height - MARGIN.bottom };

  // A logarithmic axis is a linear one over the values' logarithms; what it cannot show becomes a gap.
  const onAxis = (axis: AxisOptions) => (v: number) => (axis.log ? (v > 0 ? Math.log(v) : NaN) : v);
  const [tx, ty] = [onAxis(options.x), onAxis(options.y)];
  const [x0, x1] = finiteExtent(all.flatMap((s) => s.points.map((p) => tx(p[0]))));
  const [yLo, yHi] = finiteExtent(all.flatMap((s) => s.points.map((p) => ty(p[1]))));
  const yTicks = options.y.log
    ? logTicks(Math.exp(yLo), Math.exp(yHi), 5)
    : niceTicks(options.y.includeZero ? Math.min(0, yLo) : yLo, options.y.includeZero ? Math.max(0, yHi) : yHi, 5);
  const xTicks = options.x.log ? logTicks(Math.exp(x0), Math.exp(x1), 5) : niceTicks(x0, x1, 4);
  const xd0 = Number.isFinite(x0) ? x0 : 0;
  const xd1 = Number.isFinite(x1) && x1 > xd0 ? x1 : xd0 + 1;
  const xLinear = linearScale(xd0, xd1, frame.left + 6, frame.right - 6);
  const yLinear = linearScale(ty(yTicks.values[0]!), ty(yTicks.values[yTicks.values.length - 1]!), frame.bottom, frame.top);
  const x = (v: number) => xLinear(tx(v));
  const y = (v: number) => yLinear(ty(v));

  const parts: string[] = [legendPart.svg, yAxis(frame, yTicks, options.y, y)];
  parts.push(`<line x1="${px(frame.left)}" y1="${px(frame.bottom)}" x2="${px(frame.right)}" y2="${px(frame.bottom)}" stroke="${TEXT}"/>`);
  for (const v of xTicks.values) {
    if (tx(v) < xd0 - 1e-9 || tx(v) > xd1 + 1e-9) continue;
    const xx = px(x(v));
    parts.push(
      `<line x1="${xx}" y1="${px(frame.bottom)}" x2="${xx}" y2="${px(frame.bottom + 4)}" stroke="${TEXT}"/>`,
      `<text x="${xx}" y="${px(frame.bottom + 16)}" text-anchor="middle" fill="${TEXT}">${tickText(v, xTicks, options.x)}</text>`,
    );
  }
  parts.push(xTitle(frame, options.x.label, height));

  if (options.reference) {
    parts.push(`<path d="${polylinePath(options.reference.points, x, y)}" fill="none" stroke="${options.reference.color}" stroke-width="1.2"${options.reference.dash ? ` stroke-dasharray="${options.reference.dash}"` : ''}/>`);
  }
  for (const s of series) {
    parts.push(`<path d="${polylinePath(s.points, x, y)}" fill="none" stroke="${s.color}" stroke-width="1.8" stroke-linejoin="round"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
    if (!s.marker) continue;
    for (const [vx, vy] of s.points) {
      if (!Number.isFinite(x(vx)) || !Number.isFinite(y(vy))) continue;
      parts.push(markerSvg(s.marker, x(vx), y(vy), s.color, `${s.name}: ${options.x.label} ${valueText(vx, options.x)}, ${options.y.label} ${valueText(vy, options.y)}`));
    }
  }
  return svgRoot(width, height, options.ariaLabel, parts.join(''));
}

export interface BarSeries extends SeriesStyle {
  /** One value per category. */
  readonly values: readonly number[];
  /** Drawn as an outline: a reference value beside a measured one (a shuffled baseline, an optimum). */
  readonly outline?: boolean;
  /** Left out of the legend: an outlined companion that the caption explains. */
  readonly unlisted?: boolean;
}

export interface BarChartOptions {
  readonly width: number;
  readonly height: number;
  readonly ariaLabel: string;
  readonly categories: readonly string[];
  readonly xLabel: string;
  readonly y: AxisOptions;
  readonly series: readonly BarSeries[];
  /** The value axis's range, bars rising from its low end (a cosine near 1), instead of from 0 over the data's range. */
  readonly domain?: readonly [number, number];
}

/** Bars grouped by category, one colour per series, from a zero line (values may be negative) or from the low end of a given domain. */
export function groupedBarChart(options: BarChartOptions): string {
  const { width, height, categories, series } = options;
  const legendPart = legend(series.filter((s) => !s.unlisted), MARGIN.left, MARGIN.top, width - MARGIN.left - MARGIN.right, 'bar');
  const frame: Frame = { left: MARGIN.left, top: MARGIN.top + legendPart.height + 4, right: width - MARGIN.right, bottom: height - MARGIN.bottom };
  const [lo, hi] = finiteExtent(series.flatMap((s) => s.values));
  const low = Math.min(0, Number.isFinite(lo) ? lo : 0);
  const high = Math.max(0, Number.isFinite(hi) ? hi : 0);
  // Bars that are all zero still stand on a zero line at the bottom, not in the middle of ±1.
  const ticks = options.domain ? niceTicks(options.domain[0], options.domain[1], 5) : niceTicks(low, low === 0 && high === 0 ? 1 : high, 5);
  const y = linearScale(ticks.values[0]!, ticks.values[ticks.values.length - 1]!, frame.bottom, frame.top);
  const base = options.domain ? ticks.values[0]! : 0;
  const band = (frame.right - frame.left) / Math.max(1, categories.length);
  const groupWidth = band * 0.78;
  const barWidth = groupWidth / Math.max(1, series.length);
  // Long names are turned, so that neighbouring labels do not run into each other.
  const turn = categories.some((c) => c.length * 6.2 > band - 4);

  const parts: string[] = [legendPart.svg, yAxis(frame, ticks, options.y, y)];
  categories.forEach((category, c) => {
    const groupLeft = frame.left + c * band + (band - groupWidth) / 2;
    series.forEach((s, k) => {
      const v = s.values[c];
      if (v === undefined || !Number.isFinite(v)) return;
      const top = Math.min(y(v), y(base));
      const barHeight = Math.max(0.5, Math.abs(y(v) - y(base)));
      const title = `${category}, ${s.name}: ${valueText(v, options.y)}`;
      // An outline's stroke is inset by half its width, so that it spans the same box as a filled bar.
      const paint = s.outline
        ? `x="${px(groupLeft + k * barWidth + 1.1)}" y="${px(top + 0.6)}" width="${px(Math.max(0.5, barWidth - 2.2))}" height="${px(Math.max(0.5, barHeight - 0.6))}" fill="none" stroke="${s.color}" stroke-width="1.2"`
        : `x="${px(groupLeft + k * barWidth + 0.5)}" y="${px(top)}" width="${px(Math.max(0.5, barWidth - 1))}" height="${px(barHeight)}" fill="${s.color}"`;
      parts.push(`<rect ${paint}><title>${escapeHtml(title)}</title></rect>`);
    });
    const cx = frame.left + (c + 0.5) * band;
    const label = escapeHtml(category);
    parts.push(
      turn
        ? `<text x="${px(cx)}" y="${px(frame.bottom + 10)}" transform="rotate(-30 ${px(cx)} ${px(frame.bottom + 10)})" text-anchor="end" fill="${TEXT}">${label}</text>`
        : `<text x="${px(cx)}" y="${px(frame.bottom + 16)}" text-anchor="middle" fill="${TEXT}">${label}</text>`,
    );
  });
  parts.push(`<line x1="${px(frame.left)}" y1="${px(y(base))}" x2="${px(frame.right)}" y2="${px(y(base))}" stroke="${TEXT}"/>`);
  if (!turn) parts.push(xTitle(frame, options.xLabel, height));
  if (!turn) return svgRoot(width, height, options.ariaLabel, parts.join(''));
  // Turned labels reach left of and below the frame by cos 30° and sin 30° of their length: the
  // chart grows by what they would lose (long pair names, "seed0 × seed1"), rather than cut them.
  const reach = categories.map((c) => c.length * 6.2);
  const left = Math.max(0, ...reach.map((r, c) => r * Math.cos(Math.PI / 6) - (frame.left + (c + 0.5) * band) + 4));
  const below = Math.max(0, frame.bottom + 14 + Math.max(...reach) * Math.sin(Math.PI / 6) - height);
  return svgRoot(width + left, height + below, options.ariaLabel, left > 0 ? `<g transform="translate(${px(left)} 0)">${parts.join('')}</g>` : parts.join(''));
}
