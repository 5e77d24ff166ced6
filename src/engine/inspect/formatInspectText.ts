import type { InspectReport, TensorSummary } from '../../shared/inspectReport';
import { formatBytes, formatStatistic } from '../../shared/presentation/formatNumbers';
import { layerPrefix } from './inspectCheckpoint';

function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** "1 layer", "3 layers". */
function counted(n: number, noun: string): string {
  return `${formatCount(n)} ${noun}${n === 1 ? '' : 's'}`;
}

function formatShape(shape: readonly number[]): string {
  return shape.length === 0 ? 'scalar' : shape.join('×');
}

function formatZeros(t: TensorSummary): string {
  return t.zeroFraction === null ? '–' : `${(t.zeroFraction * 100).toFixed(1)}%`;
}

/** Lays out rows of cells as columns; `alignRight` says which columns are numeric. */
function table(rows: readonly string[][], alignRight: readonly boolean[]): string[] {
  // A loop, not Math.max(...column): a checkpoint may list more tensors than a call takes arguments.
  const widths = alignRight.map((_, c) => rows.reduce((widest, r) => Math.max(widest, (r[c] ?? '').length), 0));
  return rows.map((r) =>
    r.map((cell, c) => (alignRight[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd(),
  );
}

/** The human-readable form of an inspect report: tensors grouped by layer, with totals. */
export function formatInspectText(report: InspectReport): string {
  const lines: string[] = [];
  lines.push(`${report.file}`);
  lines.push(
    `format: ${report.format} · ${counted(report.tensors.length, 'tensor')} in ${counted(report.groups.length, 'layer')} · ` +
      `${counted(report.parameters, 'parameter')} · ${formatBytes(report.bytes)}`,
  );
  for (const note of report.notes) lines.push(`note: ${note}`);
  const metadata = Object.entries(report.metadata);
  if (metadata.length > 0) lines.push(`metadata: ${metadata.map(([k, v]) => `${k}=${v}`).join(', ')}`);
  lines.push('');

  const header = ['tensor', 'dtype', 'shape', 'params', 'mean', 'std', 'min', 'max', 'zeros'];
  const rows: string[][] = [header];
  const byPrefix = new Map<string, TensorSummary[]>();
  for (const t of report.tensors) {
    const prefix = layerPrefix(t.name);
    const group = byPrefix.get(prefix);
    if (group) group.push(t);
    else byPrefix.set(prefix, [t]);
  }
  for (const group of report.groups) {
    if (group.prefix !== '') rows.push([group.prefix, '', '', formatCount(group.parameters), '', '', '', '', '']);
    for (const t of byPrefix.get(group.prefix) ?? []) {
      const leaf = group.prefix === '' ? t.name : `  ${t.name.slice(group.prefix.length + 1)}`;
      const dtype = t.quantization ? `${t.dtype}←${t.quantization.dtype}` : t.dtype;
      rows.push([
        leaf, dtype, formatShape(t.shape), formatCount(t.parameters),
        formatStatistic(t.mean), formatStatistic(t.std), formatStatistic(t.min), formatStatistic(t.max), formatZeros(t),
      ]);
    }
  }
  for (const line of table(rows, [false, false, false, true, true, true, true, true, true])) lines.push(line);
  lines.push('');
  lines.push(`total: ${counted(report.tensors.length, 'tensor')}, ${counted(report.parameters, 'parameter')}, ${formatBytes(report.bytes)}`);
  const nonFinite = report.tensors.filter((t) => (t.nonFinite ?? 0) > 0);
  for (const t of nonFinite) lines.push(`warning: '${t.name}' holds ${formatCount(t.nonFinite!)} NaN or infinite values (left out of its statistics)`);
  const { overBudget, budgetBytes } = report.statistics;
  if (overBudget > 0) {
    lines.push(`statistics skipped for ${counted(overBudget, 'tensor')} past the ${formatBytes(budgetBytes ?? 0)} budget; --stats all computes them all`);
  }
  return lines.join('\n');
}
