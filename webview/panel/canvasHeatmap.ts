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
  /** At least this much space left of the plot, CSS pixels (it grows to fit the labels and the axis title). */
  readonly left?: number;
  /** Cells to frame (the matched pairs of a small map), as row and column of `image`'s cells. */
  readonly marks?: readonly { readonly row: number; readonly column: number }[];
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
/** CSS pixels: left of the rotated y title, between it and the widest row label, a tick's length, and between a label and the plot. */
const EDGE = 4;
const TITLE_GAP = 8;
const TICK = 4;
const LABEL_GAP = 6;

/** A box in CSS pixels of the canvas, as "x,y,width,height" (what the tests compare). */
const boxText = (x: number, y: number, w: number, h: number) => [x, y, w, h].map((v) => Math.round(v * 10) / 10).join(',');

export function drawHeatmap(canvas: HTMLCanvasElement, figure: HeatmapFigure, theme: ChartTheme): PlotRect {
  const font = (size: number, weight = '') => `${weight} ${size}px ${theme.fontFamily}`.trim();
  const titleSize = theme.fontSize + 1;
  // The margins are measured, not guessed: the rotated y title sits left of the widest row label,
  // so a long layer name ("layers.2", "blocks.3.mlp") never runs into it.
  const measure = canvas.getContext('2d')!;
  measure.font = font(theme.fontSize);
  const widthOf = (text: string) => measure.measureText(text).width;
  const labelWidths = figure.yTicks.map((t) => widthOf(t.text));
  const labelWidth = Math.max(0, ...labelWidths);
  const noteWidth = Math.max(0, ...(figure.rightNotes ?? []).map((t) => widthOf(t.text)));
  measure.font = font(titleSize);
  const yTitleLength = widthOf(figure.yTitle);
  const left = Math.ceil(Math.max(figure.left ?? 0, EDGE + titleSize + TITLE_GAP + labelWidth + LABEL_GAP));
  const right = Math.ceil(figure.rightNotes?.length ? 8 + noteWidth + 4 : 12);
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
  const titleX = EDGE + titleSize / 2;
  const titleY = plot.top + plot.height / 2;
  canvas.dataset.yTitleBox = boxText(EDGE, titleY - yTitleLength / 2, titleSize, yTitleLength);
  canvas.dataset.yLabelBoxes = figure.yTicks
    .map((t, k) => boxText(plot.left - LABEL_GAP - labelWidths[k]!, plot.top + t.at * plot.height - theme.fontSize / 2, labelWidths[k]!, theme.fontSize))
    .join(';');

  const cells = document.createElement('canvas');
  cells.width = figure.image.width;
  cells.height = figure.image.height;
  cells.getContext('2d')!.putImageData(figure.image, 0, 0);

  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(cells, plot.left, plot.top, plot.width, plot.height);

  if (figure.marks?.length) {
    // Two rings, the theme's foreground outside its background, so a frame shows on dark and bright cells alike.
    const w = plot.width / figure.image.width;
    const h = plot.height / figure.image.height;
    for (const [colour, inset, lineWidth] of [[theme.foreground, 1.5, 2], [theme.background, 3.5, 1.5]] as const) {
      ctx.strokeStyle = colour;
      ctx.lineWidth = lineWidth;
      for (const { row, column } of figure.marks) ctx.strokeRect(plot.left + column * w + inset, plot.top + row * h + inset, w - 2 * inset, h - 2 * inset);
    }
  }

  ctx.strokeStyle = theme.foreground;
  ctx.fillStyle = theme.foreground;
  ctx.lineWidth = 1;
  ctx.strokeRect(plot.left - 0.5, plot.top - 0.5, plot.width + 1, plot.height + 1);
  ctx.font = font(theme.fontSize);

  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const tick of figure.xTicks) {
    const x = plot.left + tick.at * plot.width;
    ctx.beginPath();
    ctx.moveTo(x, plot.top + plot.height);
    ctx.lineTo(x, plot.top + plot.height + TICK);
    ctx.stroke();
    ctx.fillText(tick.text, x, plot.top + plot.height + LABEL_GAP);
  }
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const tick of figure.yTicks) {
    const y = plot.top + tick.at * plot.height;
    ctx.beginPath();
    ctx.moveTo(plot.left - TICK, y);
    ctx.lineTo(plot.left, y);
    ctx.stroke();
    ctx.fillText(tick.text, plot.left - LABEL_GAP, y);
  }
  if (figure.rightNotes) {
    ctx.textAlign = 'left';
    ctx.fillStyle = theme.muted;
    for (const note of figure.rightNotes) ctx.fillText(note.text, plot.left + plot.width + 8, plot.top + note.at * plot.height);
    ctx.fillStyle = theme.foreground;
  }

  ctx.font = font(titleSize);
  ctx.textAlign = 'center';
  ctx.textBaseline = 'bottom';
  ctx.fillText(figure.xTitle, plot.left + plot.width / 2, height - 4);
  ctx.save();
  ctx.translate(titleX, titleY);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = 'middle';
  ctx.fillText(figure.yTitle, 0, 0);
  ctx.restore();
  if (figure.title) {
    ctx.font = font(titleSize, 'bold');
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    ctx.fillText(figure.title, plot.left, 6);
  }
  return plot;
}

/** The cells a plot shows: all of them, or the region a zoom chose. */
export interface CellWindow {
  readonly row0: number;
  readonly rows: number;
  readonly column0: number;
  readonly columns: number;
}

export interface CellEvents {
  readonly rows: number;
  readonly columns: number;
  readonly plot: () => PlotRect;
  /** The cells on show when zoomed; all of them when absent. */
  readonly window?: () => CellWindow;
  /** The keyboard cursor left the window: bring it back into view. */
  readonly reveal?: (cell: { row: number; column: number }) => void;
  /** The cell under the pointer or the keyboard cursor, with where to put a card; null when it leaves. */
  readonly onCell: (cell: { row: number; column: number } | null, clientX: number, clientY: number) => void;
}

/**
 * Pointer and keyboard access to the cells: hovering names the exact cell under the pointer
 * (not the drawn block), and with focus the arrow keys walk the cells (Page keys by a tenth of
 * those on show). Returns the keyboard cursor, which a zoom centres on.
 */
export function attachCellEvents(canvas: HTMLCanvasElement, events: CellEvents): { row: number; column: number } {
  const cursor = { row: 0, column: 0 };
  const view = () => events.window?.() ?? { row0: 0, rows: events.rows, column0: 0, columns: events.columns };
  const at = (clientX: number, clientY: number) => {
    const box = canvas.getBoundingClientRect();
    const plot = events.plot();
    const v = view();
    const fx = (clientX - box.left - plot.left) / plot.width;
    const fy = (clientY - box.top - plot.top) / plot.height;
    if (fx < 0 || fx >= 1 || fy < 0 || fy >= 1) return null;
    return { row: v.row0 + Math.floor(fy * v.rows), column: v.column0 + Math.floor(fx * v.columns) };
  };
  const centre = (cell: { row: number; column: number }) => {
    const box = canvas.getBoundingClientRect();
    const plot = events.plot();
    const v = view();
    return [
      box.left + plot.left + ((cell.column - v.column0 + 0.5) / v.columns) * plot.width,
      box.top + plot.top + ((cell.row - v.row0 + 0.5) / v.rows) * plot.height,
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
      PageUp: [-page(view().rows), 0],
      PageDown: [page(view().rows), 0],
    };
    const move = moves[event.key];
    if (event.key === 'Escape') return events.onCell(null, 0, 0);
    if (!move) return;
    event.preventDefault();
    cursor.row = Math.min(events.rows - 1, Math.max(0, cursor.row + move[0]));
    cursor.column = Math.min(events.columns - 1, Math.max(0, cursor.column + move[1]));
    const v = view();
    if (cursor.row < v.row0 || cursor.row >= v.row0 + v.rows || cursor.column < v.column0 || cursor.column >= v.column0 + v.columns) events.reveal?.({ ...cursor });
    show();
  });
  return cursor;
}
