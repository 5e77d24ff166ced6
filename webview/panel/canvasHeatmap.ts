/**
 * Heatmaps on one canvas: a cell image (one pixel per cell, or per block of cells for wide
 * layers) scaled up without smoothing into a plot area framed by axes, ticks and titles drawn in
 * the theme's colours. No DOM node per cell, so a 4096 × 4096 matrix costs one ImageData.
 */
import { viridisRgb } from '../../src/shared/presentation/viridis';
import type { ChartTheme } from './chartTheme';

/** 256 viridis colours (the presentation module's scale), rgb, so filling an image is a table look-up per cell. */
const LUT: Uint8ClampedArray = (() => {
  const lut = new Uint8ClampedArray(256 * 3);
  for (let k = 0; k < 256; k++) lut.set(viridisRgb(k / 255), k * 3);
  return lut;
})();

/** Writes the viridis colour of t ∈ [0, 1] (clamped) at `offset` of RGBA pixel data; not-a-number is grey. */
export function putViridis(data: Uint8ClampedArray, offset: number, t: number): void {
  if (Number.isNaN(t)) {
    data[offset] = data[offset + 1] = data[offset + 2] = 160;
  } else {
    const k = Math.round(Math.min(1, Math.max(0, t)) * 255) * 3;
    data[offset] = LUT[k]!;
    data[offset + 1] = LUT[k + 1]!;
    data[offset + 2] = LUT[k + 2]!;
  }
  data[offset + 3] = 255;
}

export interface Tick {
  /** Where along the axis, 0 (start of the first cell) to 1 (end of the last). */
  readonly at: number;
  readonly text: string;
}

export interface HeatmapFigure {
  readonly image: ImageData;
  /** CSS pixels of the plot area. */
  readonly plotWidth: number;
  readonly plotHeight: number;
  readonly xTitle: string;
  readonly yTitle: string;
  readonly title?: string;
  readonly xTicks: readonly Tick[];
  readonly yTicks: readonly Tick[];
  /** Text right of the plot at a row position (e.g. each layer's baseline). */
  readonly rightNotes?: readonly Tick[];
  /** Space for the y tick labels, CSS pixels. */
  readonly left?: number;
  readonly right?: number;
}

/** The plot area inside the canvas, in CSS pixels. */
export interface PlotRect {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

const TOP_WITH_TITLE = 26;
const TOP = 8;
const BOTTOM = 44;

export function drawHeatmap(canvas: HTMLCanvasElement, figure: HeatmapFigure, theme: ChartTheme): PlotRect {
  const left = figure.left ?? 64;
  const right = figure.right ?? 12;
  const top = figure.title ? TOP_WITH_TITLE : TOP;
  const plot: PlotRect = { left, top, width: figure.plotWidth, height: figure.plotHeight };
  const width = left + plot.width + right;
  const height = top + plot.height + BOTTOM;
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  canvas.dataset.plot = `${plot.left},${plot.top},${plot.width},${plot.height}`;

  const cells = document.createElement('canvas');
  cells.width = figure.image.width;
  cells.height = figure.image.height;
  cells.getContext('2d')!.putImageData(figure.image, 0, 0);

  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(cells, plot.left, plot.top, plot.width, plot.height);

  ctx.strokeStyle = theme.foreground;
  ctx.fillStyle = theme.foreground;
  ctx.lineWidth = 1;
  ctx.strokeRect(plot.left - 0.5, plot.top - 0.5, plot.width + 1, plot.height + 1);
  const font = (size: number, weight = '') => `${weight} ${size}px ${theme.fontFamily}`.trim();
  ctx.font = font(theme.fontSize);

  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const tick of figure.xTicks) {
    const x = plot.left + tick.at * plot.width;
    ctx.beginPath();
    ctx.moveTo(x, plot.top + plot.height);
    ctx.lineTo(x, plot.top + plot.height + 4);
    ctx.stroke();
    ctx.fillText(tick.text, x, plot.top + plot.height + 6);
  }
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const tick of figure.yTicks) {
    const y = plot.top + tick.at * plot.height;
    ctx.beginPath();
    ctx.moveTo(plot.left - 4, y);
    ctx.lineTo(plot.left, y);
    ctx.stroke();
    ctx.fillText(tick.text, plot.left - 6, y);
  }
  if (figure.rightNotes) {
    ctx.textAlign = 'left';
    ctx.fillStyle = theme.muted;
    for (const note of figure.rightNotes) ctx.fillText(note.text, plot.left + plot.width + 8, plot.top + note.at * plot.height);
    ctx.fillStyle = theme.foreground;
  }

  ctx.font = font(theme.fontSize + 1);
  ctx.textAlign = 'center';
  ctx.textBaseline = 'bottom';
  ctx.fillText(figure.xTitle, plot.left + plot.width / 2, height - 4);
  ctx.save();
  ctx.translate(12, plot.top + plot.height / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = 'middle';
  ctx.fillText(figure.yTitle, 0, 0);
  ctx.restore();
  if (figure.title) {
    ctx.font = font(theme.fontSize + 1, 'bold');
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    ctx.fillText(figure.title, plot.left, 6);
  }
  return plot;
}

export interface ColorBar {
  readonly domain: readonly [number, number];
  readonly label: string;
  readonly width: number;
  readonly ticks: readonly number[];
  readonly format: (value: number) => string;
}

/** A horizontal viridis bar for `domain`, with ticks and a label. */
export function drawColorBar(canvas: HTMLCanvasElement, bar: ColorBar, theme: ChartTheme): void {
  const height = 52;
  const left = 16;
  const inner = bar.width - 2 * left;
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.round(bar.width * ratio);
  canvas.height = Math.round(height * ratio);
  canvas.style.width = `${bar.width}px`;
  canvas.style.height = `${height}px`;
  const strip = new ImageData(256, 1);
  for (let k = 0; k < 256; k++) putViridis(strip.data, k * 4, k / 255);
  const cells = document.createElement('canvas');
  cells.width = 256;
  cells.height = 1;
  cells.getContext('2d')!.putImageData(strip, 0, 0);
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, bar.width, height);
  ctx.drawImage(cells, left, 4, inner, 12);
  ctx.strokeStyle = ctx.fillStyle = theme.foreground;
  ctx.font = `${theme.fontSize}px ${theme.fontFamily}`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  const [lo, hi] = bar.domain;
  for (const t of bar.ticks) {
    const x = left + ((t - lo) / (hi - lo || 1)) * inner;
    ctx.beginPath();
    ctx.moveTo(x, 16);
    ctx.lineTo(x, 20);
    ctx.stroke();
    ctx.fillText(bar.format(t), x, 21);
  }
  ctx.textBaseline = 'bottom';
  ctx.fillText(bar.label, bar.width / 2, height - 1);
}

/** Round tick values inside [lo, hi]: steps of 1, 2, 2.5 or 5 × 10^k, about `count` of them. */
export function niceTicks(lo: number, hi: number, count: number): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return ticks;
}

export interface CellEvents {
  readonly rows: number;
  readonly columns: number;
  readonly plot: () => PlotRect;
  /** The cell under the pointer or the keyboard cursor, with where to put a card; null when it leaves. */
  readonly onCell: (cell: { row: number; column: number } | null, clientX: number, clientY: number) => void;
}

/**
 * Pointer and keyboard access to the cells: hovering names the exact cell under the pointer
 * (not the drawn block), and with focus the arrow keys walk the cells (Page keys by a tenth).
 */
export function attachCellEvents(canvas: HTMLCanvasElement, events: CellEvents): void {
  const cursor = { row: 0, column: 0 };
  const at = (clientX: number, clientY: number) => {
    const box = canvas.getBoundingClientRect();
    const plot = events.plot();
    const fx = (clientX - box.left - plot.left) / plot.width;
    const fy = (clientY - box.top - plot.top) / plot.height;
    if (fx < 0 || fx >= 1 || fy < 0 || fy >= 1) return null;
    return { row: Math.floor(fy * events.rows), column: Math.floor(fx * events.columns) };
  };
  const centre = (cell: { row: number; column: number }) => {
    const box = canvas.getBoundingClientRect();
    const plot = events.plot();
    return [
      box.left + plot.left + ((cell.column + 0.5) / events.columns) * plot.width,
      box.top + plot.top + ((cell.row + 0.5) / events.rows) * plot.height,
    ] as const;
  };
  canvas.tabIndex = 0;
  canvas.addEventListener('mousemove', (event) => {
    const cell = at(event.clientX, event.clientY);
    if (cell) Object.assign(cursor, cell);
    events.onCell(cell, event.clientX, event.clientY);
  });
  canvas.addEventListener('mouseleave', (event) => events.onCell(null, event.clientX, event.clientY));
  canvas.addEventListener('blur', () => events.onCell(null, 0, 0));
  const show = () => {
    const [x, y] = centre(cursor);
    events.onCell({ ...cursor }, x, y);
  };
  canvas.addEventListener('focus', show);
  canvas.addEventListener('keydown', (event) => {
    const page = (n: number) => Math.max(1, Math.round(n / 10));
    const moves: Record<string, [number, number]> = {
      ArrowUp: [-1, 0],
      ArrowDown: [1, 0],
      ArrowLeft: [0, -1],
      ArrowRight: [0, 1],
      PageUp: [-page(events.rows), 0],
      PageDown: [page(events.rows), 0],
    };
    const move = moves[event.key];
    if (event.key === 'Escape') return events.onCell(null, 0, 0);
    if (!move) return;
    event.preventDefault();
    cursor.row = Math.min(events.rows - 1, Math.max(0, cursor.row + move[0]));
    cursor.column = Math.min(events.columns - 1, Math.max(0, cursor.column + move[1]));
    show();
  });
}
