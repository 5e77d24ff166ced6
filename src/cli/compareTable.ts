import { bestMethod } from '../shared/bestMethod';
import type { CompareReport } from '../shared/compareReport';
import { formatNumber, formatPercent } from '../shared/presentation/formatNumbers';
import { headSummaryLine } from '../shared/presentation/headMatching';
import { METHOD_STYLE, methodsOf } from '../shared/presentation/methodStyles';
import { nearestIndex } from '../shared/presentation/nearestIndex';
import { describeTransformer, transformerOutline } from '../shared/presentation/transformerParts';

/** The compact summary the CLI prints: one row per method. */
export function formatCompareTable(report: CompareReport): string {
  const mid = nearestIndex(report.alphas, 0.5);
  const rows = [['method', 'loss barrier', 'acc. barrier', `acc. at α=${formatNumber(report.alphas[mid]!, 2)}`, 'align (s)', 'equivalent']];
  for (const [, result] of methodsOf(report)) {
    rows.push([
      result.method,
      result.barrier ? formatNumber(result.barrier.loss, 4) : NONE,
      result.barrier ? formatPercent(result.barrier.accuracy) : NONE,
      result.path ? formatPercent(result.path.accuracy[mid]!) : NONE,
      formatNumber(result.seconds, 2),
      result.equivalent ? 'yes' : `NO (${result.equivalenceError.toExponential(1)})`,
    ]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const lines = rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
  const path = methodsOf(report)[0]?.[1].path;
  const endpoints = path
    ? `A: accuracy ${formatPercent(path.accuracy[0]!)}, loss ${formatNumber(path.loss[0]!, 4)} · B: accuracy ${formatPercent(path.accuracy[path.accuracy.length - 1]!)}, loss ${formatNumber(path.loss[path.loss.length - 1]!, 4)}`
    : 'weights only: no evaluation data, so no path or barriers; equivalence checked on seeded random inputs';
  const evaluation = report.data?.evaluation;
  const scored = evaluation?.scoredPositions === undefined ? '' : ` (${evaluation.scoredPositions} positions scored)`;
  const data = report.data ? `evaluation ${report.data.evaluation.count} ${scored ? 'sequences' : 'samples'}${scored} · fit ${report.data.fit.count} · ${report.alphas.length} α` : 'weights only';
  const header = [
    `A: ${report.checkpoints.a.file}`,
    `B: ${report.checkpoints.b.file}`,
    `${architecture(report)} · ${data} · backend ${report.backendDetail}`,
    endpoints,
    '',
  ];
  return [...header, ...lines, ...headLines(report), ...report.warnings.map((w) => `warning: ${w}`)].join('\n');
}

/** A transformer's head matching under the featured method: one line per attention, by block. */
function headLines(report: CompareReport): string[] {
  const method = bestMethod(report);
  const heads = method ? report.methods[method]?.heads : undefined;
  const outline = transformerOutline(report);
  if (!method || !heads || heads.length === 0 || !outline) return [];
  const blockLabel = (block: string) => outline.blocks.find((b) => b.name === block)?.label ?? block;
  const labels = heads.map((h) => blockLabel(h.block));
  const width = Math.max(...labels.map((l) => l.length));
  return ['', `heads, ${METHOD_STYLE[method].label} (A head→B head):`, ...heads.map((h, k) => `  ${labels[k]!.padEnd(width)}  ${headSummaryLine(h)}`)];
}

/** One line: an MLP's widths, a transformer's blocks and heads, or a convolutional network's size, groups and BatchNorm handling. */
function architecture(report: CompareReport): string {
  const { architecture: arch, layers, groups } = report;
  if (arch.kind === 'transformer') return describeTransformer(report);
  if (arch.kind === 'mlp') return `MLP ${[arch.inputSize, ...layers.map((l) => l.width)].join('-')} (${arch.activation})`;
  const residual = groups.filter((g) => g.layers.length > 1).length;
  const batchNorm = report.bnReset === null ? '' : ` · BatchNorm reset ${report.bnReset ? 'on' : 'off'}`;
  return `conv network on ${arch.inputShape.join('×')} inputs: ${layers.length} layers, ${groups.length} permutation groups${residual > 0 ? ` (${residual} residual)` : ''}${batchNorm}`;
}

/** What a cell shows for a measurement the comparison did not make (weights only). */
const NONE = '–';
