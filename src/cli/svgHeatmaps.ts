/** Heatmaps as inline SVG: a layers × α grid with a colour scale, and permutation matrices. */
import { formatNumber } from '../shared/presentation/formatNumbers';
import { nearestIndex } from '../shared/presentation/nearestIndex';
import { viridis } from '../shared/presentation/viridis';
import { svgRoot } from './svgCharts';
import { escapeHtml } from './htmlEscape';
import { niceTicks } from '../shared/presentation/ticks';
import { linearScale, px } from './svgScales';

const TEXT = '#222222';

/** Missing values (NaN) are drawn in a neutral hatch-free grey and said so in the tooltip. */
const MISSING = '#d9d9d9';

export interface HeatmapOptions {
  readonly ariaLabel: string;
  readonly title: string;
  readonly rows: readonly string[];
  /** The column positions (α values): ticks are put at round ones. */
  readonly columns: readonly number[];
  /** rows × columns. */
  readonly values: readonly (readonly number[])[];
  /** The colour scale's range, shared by the heatmaps that are compared side by side. */
  readonly domain: readonly [number, number];
  readonly xLabel: string;
  readonly valueLabel: string;
  readonly width: number;
  readonly rowHeight?: number;
  /** A short text right of each row (e.g. the row's baseline). */
  readonly rowNotes?: readonly string[];
}

export function heatmap(options: HeatmapOptions): string {
  const { rows, columns, values, domain, width } = options;
  const rowHeight = options.rowHeight ?? 26;
  const left = Math.min(120, 12 + Math.max(4, ...rows.map((r) => r.length)) * 6.2);
  const top = 22;
  const notes = options.rowNotes ?? [];
  const right = width - 8 - (notes.length > 0 ? 8 + Math.max(...notes.map((n) => n.length)) * 6 : 0);
  const bottom = top + rows.length * rowHeight;
  const height = bottom + 40;
  const cellWidth = (right - left) / Math.max(1, columns.length);
  const colour = (v: number): string => (Number.isFinite(v) ? viridis((v - domain[0]) / (domain[1] - domain[0] || 1)) : MISSING);

  const parts: string[] = [`<text x="${px(left)}" y="14" font-size="12" font-weight="bold" fill="${TEXT}">${escapeHtml(options.title)}</text>`];
  rows.forEach((row, r) => {
    const y = top + r * rowHeight;
    parts.push(`<text x="${px(left - 6)}" y="${px(y + rowHeight / 2)}" text-anchor="end" dominant-baseline="central" fill="${TEXT}">${escapeHtml(row)}</text>`);
    const note = notes[r];
    if (note !== undefined) parts.push(`<text x="${px(right + 8)}" y="${px(y + rowHeight / 2)}" dominant-baseline="central" fill="#555555">${escapeHtml(note)}</text>`);
    columns.forEach((alpha, c) => {
      const v = values[r]?.[c] ?? NaN;
      const tip = `${row}, α = ${formatNumber(alpha, 3)}: ${options.valueLabel} ${Number.isFinite(v) ? formatNumber(v, 4) : 'not available'}`;
      // Cells overlap by a hair so that no white seams show between them.
      parts.push(`<rect x="${px(left + c * cellWidth)}" y="${px(y)}" width="${px(cellWidth + 0.3)}" height="${px(rowHeight - 2)}" fill="${colour(v)}" shape-rendering="crispEdges"><title>${escapeHtml(tip)}</title></rect>`);
    });
  });

  // Ticks at round α (0, 0.25, ...) placed at the nearest column's centre.
  const lo = columns[0] ?? 0;
  const hi = columns[columns.length - 1] ?? 1;
  const ticks = niceTicks(lo, hi, 4);
  for (const t of ticks.values) {
    if (t < lo - 1e-9 || t > hi + 1e-9) continue;
    const x = px(left + (nearestIndex(columns, t) + 0.5) * cellWidth);
    parts.push(
      `<line x1="${x}" y1="${px(bottom)}" x2="${x}" y2="${px(bottom + 4)}" stroke="${TEXT}"/>`,
      `<text x="${x}" y="${px(bottom + 15)}" text-anchor="middle" fill="${TEXT}">${formatNumber(t, ticks.decimals)}</text>`,
    );
  }
  parts.push(`<text x="${px((left + right) / 2)}" y="${px(height - 6)}" text-anchor="middle" font-size="12" fill="${TEXT}">${escapeHtml(options.xLabel)}</text>`);
  return svgRoot(width, height, options.ariaLabel, parts.join(''));
}

/** A horizontal colour bar for `domain`, with round ticks and a label. */
export function colorLegend(options: { readonly ariaLabel: string; readonly domain: readonly [number, number]; readonly label: string; readonly width: number }): string {
  const { domain, width } = options;
  const left = 16;
  const right = width - 16;
  const steps = 60;
  const parts: string[] = [];
  const stepWidth = (right - left) / steps;
  for (let s = 0; s < steps; s++) {
    parts.push(`<rect x="${px(left + s * stepWidth)}" y="6" width="${px(stepWidth + 0.6)}" height="12" fill="${viridis((s + 0.5) / steps)}" shape-rendering="crispEdges"/>`);
  }
  const x = linearScale(domain[0], domain[1], left, right);
  const ticks = niceTicks(domain[0], domain[1], 5);
  for (const t of ticks.values) {
    if (t < domain[0] - 1e-9 || t > domain[1] + 1e-9) continue;
    parts.push(
      `<line x1="${px(x(t))}" y1="18" x2="${px(x(t))}" y2="22" stroke="${TEXT}"/>`,
      `<text x="${px(x(t))}" y="33" text-anchor="middle" fill="${TEXT}">${formatNumber(t, ticks.decimals)}</text>`,
    );
  }
  parts.push(`<text x="${px((left + right) / 2)}" y="50" text-anchor="middle" font-size="12" fill="${TEXT}">${escapeHtml(options.label)}</text>`);
  return svgRoot(width, 58, options.ariaLabel, parts.join(''));
}

export interface PermutationMatrixOptions {
  readonly ariaLabel: string;
  readonly title: string;
  /** A's unit i is matched with B's unit permutation[i]. */
  readonly permutation: readonly number[];
  /** Side of the plotting square in pixels. */
  readonly size: number;
  /** Wider layers are shown in blocks of units, at most this many per side. */
  readonly maxCells?: number;
  readonly color: string;
}

/**
 * The permutation as a matrix: row i (A's unit i), column perm[i] (B's unit). Units keep their
 * own order on both axes, so the identity is the diagonal and every mark off it is a unit that
 * alignment moved. Wide layers are binned; a block's shade is the share of its rows matched there.
 */
export function permutationMatrix(options: PermutationMatrixOptions): string {
  const { permutation, size } = options;
  const n = permutation.length;
  const cells = Math.max(1, Math.min(n, options.maxCells ?? 64));
  const perCell = n / cells;
  const counts = new Map<number, number>();
  permutation.forEach((j, i) => {
    const key = Math.floor(i / perCell) * cells + Math.floor(j / perCell);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  });
  const left = 46;
  const top = 24;
  const cell = size / cells;
  const height = top + size + 40;
  const width = left + size + 12;
  const unitRange = (c: number): string => {
    const first = Math.ceil(c * perCell);
    const last = Math.ceil((c + 1) * perCell) - 1;
    return first === last ? `${first}` : `${first}–${last}`;
  };

  const parts: string[] = [
    `<text x="${px(left)}" y="14" font-size="12" font-weight="bold" fill="${TEXT}">${escapeHtml(options.title)}</text>`,
    `<rect x="${px(left)}" y="${px(top)}" width="${px(size)}" height="${px(size)}" fill="#ffffff" stroke="${TEXT}" stroke-width="0.8"/>`,
    `<line x1="${px(left)}" y1="${px(top)}" x2="${px(left + size)}" y2="${px(top + size)}" stroke="#bbbbbb" stroke-width="0.8" stroke-dasharray="3 3"/>`,
  ];
  for (const [key, count] of [...counts].sort((a, b) => a[0] - b[0])) {
    const r = Math.floor(key / cells);
    const c = key % cells;
    // Opacity from the share of the block's rows, floored so that a single match stays visible.
    const share = count / Math.max(1, Math.round(perCell));
    const opacity = cells === n ? 1 : Math.max(0.25, Math.min(1, share));
    const tip = cells === n ? `A unit ${r} ↔ B unit ${c}` : `A units ${unitRange(r)} ↔ B units ${unitRange(c)}: ${count} match${count === 1 ? '' : 'es'}`;
    parts.push(`<rect x="${px(left + c * cell)}" y="${px(top + r * cell)}" width="${px(Math.max(cell, 0.8))}" height="${px(Math.max(cell, 0.8))}" fill="${options.color}" fill-opacity="${opacity.toFixed(2)}"><title>${escapeHtml(tip)}</title></rect>`);
  }
  for (const [v, label] of [[0, '0'], [n, String(n - 1)]] as const) {
    const offset = v === 0 ? 0 : size;
    parts.push(
      `<text x="${px(left + offset)}" y="${px(top + size + 13)}" text-anchor="${v === 0 ? 'start' : 'end'}" fill="${TEXT}">${label}</text>`,
      `<text x="${px(left - 5)}" y="${px(top + offset)}" text-anchor="end" dominant-baseline="${v === 0 ? 'hanging' : 'auto'}" fill="${TEXT}">${label}</text>`,
    );
  }
  parts.push(
    `<text x="${px(left + size / 2)}" y="${px(height - 8)}" text-anchor="middle" font-size="12" fill="${TEXT}">unit of B (matched)</text>`,
    `<text x="14" y="${px(top + size / 2)}" transform="rotate(-90 14 ${px(top + size / 2)})" text-anchor="middle" dominant-baseline="central" font-size="12" fill="${TEXT}">unit of A</text>`,
  );
  return svgRoot(width, height, options.ariaLabel, parts.join(''));
}

export interface MatrixHeatmapOptions {
  readonly ariaLabel: string;
  readonly title: string;
  /** The N items both axes list, in one order. */
  readonly labels: readonly string[];
  /** N × N; null where nothing was measured (the diagonal). */
  readonly values: readonly (readonly (number | null)[])[];
  /** The colour scale's range, shared by the matrices compared side by side. */
  readonly domain: readonly [number, number];
  readonly valueLabel: string;
  /** Side of one cell in pixels. */
  readonly cell?: number;
  readonly decimals?: number;
}

/**
 * A square matrix of values between N items (the barrier of every pair among N seeds): a cell per
 * pair, coloured on the shared scale and printed, the diagonal and whatever was not measured grey.
 */
export function matrixHeatmap(options: MatrixHeatmapOptions): string {
  const { labels, values, domain } = options;
  const n = labels.length;
  const cell = options.cell ?? 44;
  const decimals = options.decimals ?? 3;
  const longest = Math.max(4, ...labels.map((l) => l.length));
  const left = 10 + Math.min(180, longest * 6.2);
  // Column labels are turned, so long file names stand above their columns without overlapping.
  const top = 28 + Math.min(130, longest * 6.2 * 0.6);
  // The last column's turned label reaches right of the matrix by cos 40° of its length.
  const width = left + n * cell + Math.max(10, (labels[n - 1]?.length ?? 0) * 6.2 * Math.cos((40 * Math.PI) / 180) - cell / 2 + 6);
  const height = top + n * cell + 10;
  const share = (v: number) => (v - domain[0]) / (domain[1] - domain[0] || 1);
  const parts: string[] = [`<text x="${px(left)}" y="14" font-size="12" font-weight="bold" fill="${TEXT}">${escapeHtml(options.title)}</text>`];
  labels.forEach((label, i) => {
    const cy = top + (i + 0.5) * cell;
    const cx = left + (i + 0.5) * cell;
    parts.push(
      `<text x="${px(left - 6)}" y="${px(cy)}" text-anchor="end" dominant-baseline="central" fill="${TEXT}">${escapeHtml(label)}</text>`,
      `<text x="${px(cx)}" y="${px(top - 6)}" transform="rotate(-40 ${px(cx)} ${px(top - 6)})" fill="${TEXT}">${escapeHtml(label)}</text>`,
    );
  });
  values.forEach((row, i) => {
    row.forEach((v, j) => {
      const x = left + j * cell;
      const y = top + i * cell;
      const measured = v !== null && Number.isFinite(v);
      const tip = `${labels[i]} × ${labels[j]}: ${measured ? `${options.valueLabel} ${formatNumber(v, 4)}` : i === j ? 'the same checkpoint' : 'not measured'}`;
      parts.push(`<rect x="${px(x)}" y="${px(y)}" width="${px(cell - 1)}" height="${px(cell - 1)}" fill="${measured ? viridis(share(v)) : MISSING}"><title>${escapeHtml(tip)}</title></rect>`);
      // Dark text on the bright end of viridis, light on the dark end.
      if (measured) parts.push(`<text x="${px(x + cell / 2)}" y="${px(y + cell / 2)}" text-anchor="middle" dominant-baseline="central" font-size="10" fill="${share(v) > 0.55 ? TEXT : '#ffffff'}">${formatNumber(v, decimals)}</text>`);
    });
  });
  return svgRoot(width, height, options.ariaLabel, parts.join(''));
}

export interface HeadHeatmapOptions {
  readonly ariaLabel: string;
  readonly title: string;
  /** count × count, row-major: A's head a (row) against B's head b (column). */
  readonly similarity: readonly number[];
  readonly count: number;
  /** A's head a is matched with B's head permutation[a]: those cells are framed. */
  readonly permutation: readonly number[];
  readonly domain: readonly [number, number];
  readonly valueLabel: string;
}

/**
 * One attention's head-to-head similarity: a cell per pair of heads on the shared scale (its value
 * printed while the cells are large enough), B's heads in their own order, the matched pairs framed.
 */
export function headHeatmap(options: HeadHeatmapOptions): string {
  const { count, domain } = options;
  const cell = Math.max(10, Math.min(40, Math.floor(200 / Math.max(1, count))));
  const left = 48;
  const top = 24;
  const side = cell * count;
  const width = left + side + 10;
  const height = top + side + 44;
  const share = (v: number) => (v - domain[0]) / (domain[1] - domain[0] || 1);
  const tickEvery = Math.max(1, Math.ceil(count / 8));
  const parts: string[] = [`<text x="${px(left)}" y="14" font-size="12" font-weight="bold" fill="${TEXT}">${escapeHtml(options.title)}</text>`];
  for (let a = 0; a < count; a++) {
    for (let b = 0; b < count; b++) {
      const v = options.similarity[a * count + b] ?? NaN;
      const x = left + b * cell;
      const y = top + a * cell;
      const matched = options.permutation[a] === b;
      const tip = `A head ${a} × B head ${b}: ${options.valueLabel} ${Number.isFinite(v) ? formatNumber(v, 4) : 'not available'}${matched ? ' (matched)' : ''}`;
      parts.push(`<rect x="${px(x)}" y="${px(y)}" width="${px(cell)}" height="${px(cell)}" fill="${Number.isFinite(v) ? viridis(share(v)) : MISSING}" shape-rendering="crispEdges"><title>${escapeHtml(tip)}</title></rect>`);
      if (cell >= 34 && Number.isFinite(v)) parts.push(`<text x="${px(x + cell / 2)}" y="${px(y + cell / 2)}" text-anchor="middle" dominant-baseline="central" font-size="9" fill="${share(v) > 0.55 ? TEXT : '#ffffff'}" pointer-events="none">${formatNumber(v, 2)}</text>`);
    }
  }
  // The matched pairs: a dark frame with a white one inside, seen on either end of viridis.
  options.permutation.forEach((b, a) => {
    const x = left + b * cell;
    const y = top + a * cell;
    parts.push(
      `<rect x="${px(x + 1)}" y="${px(y + 1)}" width="${px(cell - 2)}" height="${px(cell - 2)}" fill="none" stroke="${TEXT}" stroke-width="2" pointer-events="none"/>`,
      `<rect x="${px(x + 3)}" y="${px(y + 3)}" width="${px(cell - 6)}" height="${px(cell - 6)}" fill="none" stroke="#ffffff" stroke-width="1.2" pointer-events="none"/>`,
    );
  });
  parts.push(`<rect x="${px(left - 0.5)}" y="${px(top - 0.5)}" width="${px(side + 1)}" height="${px(side + 1)}" fill="none" stroke="${TEXT}"/>`);
  for (let h = 0; h < count; h += tickEvery) {
    const at = (h + 0.5) * cell;
    parts.push(
      `<text x="${px(left - 6)}" y="${px(top + at)}" text-anchor="end" dominant-baseline="central" fill="${TEXT}">${h}</text>`,
      `<text x="${px(left + at)}" y="${px(top + side + 14)}" text-anchor="middle" fill="${TEXT}">${h}</text>`,
    );
  }
  parts.push(
    `<text x="${px(left + side / 2)}" y="${px(top + side + 34)}" text-anchor="middle" fill="${TEXT}">B head</text>`,
    `<text x="12" y="${px(top + side / 2)}" transform="rotate(-90 12 ${px(top + side / 2)})" text-anchor="middle" dominant-baseline="central" fill="${TEXT}">A head</text>`,
  );
  return svgRoot(width, height, options.ariaLabel, parts.join(''));
}
