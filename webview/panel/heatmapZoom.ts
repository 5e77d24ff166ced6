/**
 * Zoom and pan for a wide heatmap, where a cell is a pixel or less: drag a rectangle to show only
 * its cells, Ctrl + wheel (or a pinch) zooms around the pointer, + and − around the keyboard
 * cursor, 0 or a double click shows every cell again. The arithmetic is on whole cells, so hover
 * always names the exact cell under the pointer.
 */
import type { CellWindow, PlotRect } from './canvasHeatmap';

/** Fewer cells than this a side would be a few giant squares; a zoom stops there. */
const FEWEST = 4;
const STEP = 2;

export const fullWindow = (rows: number, columns: number): CellWindow => ({ row0: 0, rows, column0: 0, columns });

/** One axis of a window: `size` cells (at least FEWEST, at most all) around `centre`, inside [0, total). */
function span(total: number, centre: number, size: number): [number, number] {
  const n = Math.min(total, Math.max(Math.min(FEWEST, total), Math.round(size)));
  const start = Math.min(total - n, Math.max(0, Math.round(centre - n / 2)));
  return [start, n];
}

/** The window `factor` times as wide (below 1 zooms in), keeping the cell at (row, column) where it is on screen. */
export function zoomAround(window: CellWindow, rows: number, columns: number, row: number, column: number, factor: number): CellWindow {
  const fy = (row + 0.5 - window.row0) / window.rows;
  const fx = (column + 0.5 - window.column0) / window.columns;
  const [row0, r] = span(rows, row + 0.5 - fy * window.rows * factor + (window.rows * factor) / 2, window.rows * factor);
  const [column0, c] = span(columns, column + 0.5 - fx * window.columns * factor + (window.columns * factor) / 2, window.columns * factor);
  return { row0, rows: r, column0, columns: c };
}

/** The same-sized window moved just enough to show (row, column). */
export function panTo(window: CellWindow, row: number, column: number): CellWindow {
  const shift = (start: number, size: number, at: number) => (at < start ? at : at >= start + size ? at - size + 1 : start);
  return { ...window, row0: shift(window.row0, window.rows, row), column0: shift(window.column0, window.columns, column) };
}

export interface ZoomEvents {
  readonly rows: number;
  readonly columns: number;
  readonly plot: () => PlotRect;
  readonly window: () => CellWindow;
  /** Show this window (redraw). */
  readonly zoom: (window: CellWindow) => void;
  /** The keyboard cursor, which + and − zoom around. */
  readonly cursor: { readonly row: number; readonly column: number };
}

/**
 * Wires the gestures on `canvas`; `region` is an element over the canvas (same origin) that
 * outlines the rectangle being dragged.
 */
export function attachZoom(canvas: HTMLCanvasElement, region: HTMLElement, events: ZoomEvents): void {
  const { rows, columns } = events;
  /** The plot fraction under a client point, clamped to the plot. */
  const fraction = (clientX: number, clientY: number) => {
    const box = canvas.getBoundingClientRect();
    const plot = events.plot();
    const clamp = (v: number) => Math.min(1, Math.max(0, v));
    return { fx: clamp((clientX - box.left - plot.left) / plot.width), fy: clamp((clientY - box.top - plot.top) / plot.height) };
  };
  const inPlot = (clientX: number, clientY: number) => {
    const box = canvas.getBoundingClientRect();
    const plot = events.plot();
    const x = clientX - box.left - plot.left;
    const y = clientY - box.top - plot.top;
    return x >= 0 && x < plot.width && y >= 0 && y < plot.height;
  };
  let start: { fx: number; fy: number } | null = null;
  const outline = (a: { fx: number; fy: number }, b: { fx: number; fy: number }) => {
    const plot = events.plot();
    region.style.left = `${plot.left + Math.min(a.fx, b.fx) * plot.width}px`;
    region.style.top = `${plot.top + Math.min(a.fy, b.fy) * plot.height}px`;
    region.style.width = `${Math.abs(a.fx - b.fx) * plot.width}px`;
    region.style.height = `${Math.abs(a.fy - b.fy) * plot.height}px`;
  };
  // The pointer is captured while dragging, so a drag that leaves the canvas still ends on it.
  canvas.addEventListener('pointerdown', (event) => {
    if (event.button !== 0 || !inPlot(event.clientX, event.clientY)) return;
    canvas.setPointerCapture(event.pointerId);
    start = fraction(event.clientX, event.clientY);
    outline(start, start);
    region.hidden = false;
  });
  canvas.addEventListener('pointermove', (event) => {
    if (start) outline(start, fraction(event.clientX, event.clientY));
  });
  canvas.addEventListener('pointerup', (event) => {
    if (!start) return;
    const end = fraction(event.clientX, event.clientY);
    const from = start;
    start = null;
    region.hidden = true;
    const plot = events.plot();
    // A click (or a sliver) is not a region: hover and the keyboard cursor keep it.
    if (Math.abs(end.fx - from.fx) * plot.width < 4 || Math.abs(end.fy - from.fy) * plot.height < 4) return;
    const w = events.window();
    const axis = (a: number, b: number, start0: number, size: number, total: number): [number, number] => {
      const first = start0 + Math.floor(Math.min(a, b) * size);
      const last = Math.min(total, start0 + Math.ceil(Math.max(a, b) * size));
      return span(total, (first + last) / 2, last - first);
    };
    const [row0, r] = axis(from.fy, end.fy, w.row0, w.rows, rows);
    const [column0, c] = axis(from.fx, end.fx, w.column0, w.columns, columns);
    events.zoom({ row0, rows: r, column0, columns: c });
  });
  canvas.addEventListener('dblclick', () => events.zoom(fullWindow(rows, columns)));
  canvas.addEventListener('wheel', (event) => {
    if (!(event.ctrlKey || event.metaKey) || !inPlot(event.clientX, event.clientY)) return;
    event.preventDefault();
    const w = events.window();
    const { fx, fy } = fraction(event.clientX, event.clientY);
    const row = w.row0 + Math.min(w.rows - 1, Math.floor(fy * w.rows));
    const column = w.column0 + Math.min(w.columns - 1, Math.floor(fx * w.columns));
    events.zoom(zoomAround(w, rows, columns, row, column, event.deltaY < 0 ? 1 / STEP : STEP));
  }, { passive: false });
  canvas.addEventListener('keydown', (event) => {
    const factor = event.key === '+' || event.key === '=' ? 1 / STEP : event.key === '-' || event.key === '_' ? STEP : 0;
    if (event.key === '0') events.zoom(fullWindow(rows, columns));
    else if (factor) events.zoom(zoomAround(events.window(), rows, columns, events.cursor.row, events.cursor.column, factor));
    else return;
    event.preventDefault();
  });
}
