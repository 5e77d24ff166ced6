import type { Checkpoint } from '../formats/checkpoint';
import { DTYPES, elementCount } from '../tensors/dtype';
import type { InspectReport, LayerGroup, TensorStats, TensorSummary } from '../../shared/inspectReport';
import { formatBytes } from '../../shared/presentation/formatNumbers';
import { StatsAccumulator } from './tensorStats';

/**
 * Statistics read tensor bytes; listing reads none. By default at most this many bytes are read
 * for statistics in all, so that inspecting any checkpoint, however large, answers at once.
 */
export const DEFAULT_STATS_BUDGET_BYTES = 128 * 2 ** 20;

export interface InspectOptions {
  /** Most bytes to read for statistics in all; null reads every tensor; 0 reads none. */
  readonly statsBudgetBytes: number | null;
  /** Called after each tensor's statistics, for progress reports. */
  readonly onTensor?: (done: number, total: number) => void;
}

const NO_STATS: TensorStats = { mean: null, std: null, min: null, max: null, zeroFraction: null, nonFinite: null };
const CHUNK_ELEMENTS = 1 << 22;

/** The layer a tensor belongs to: its name up to the last '.', or '' for top-level names. */
export function layerPrefix(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(0, dot);
}

function groupByLayer(tensors: readonly TensorSummary[]): LayerGroup[] {
  const groups = new Map<string, { tensors: number; parameters: number; bytes: number }>();
  for (const t of tensors) {
    const prefix = layerPrefix(t.name);
    const group = groups.get(prefix) ?? { tensors: 0, parameters: 0, bytes: 0 };
    group.tensors++;
    group.parameters += t.parameters;
    group.bytes += t.bytes;
    groups.set(prefix, group);
  }
  return [...groups].map(([prefix, g]) => ({ prefix, ...g }));
}

function skipReason(kind: string, budget: number | null): string | undefined {
  if (kind === 'complex') return 'complex values have no real statistics';
  if (budget === 0) return 'statistics turned off';
  return undefined;
}

export async function inspectCheckpoint(checkpoint: Checkpoint, options: InspectOptions): Promise<InspectReport> {
  let remaining = options.statsBudgetBytes ?? Infinity;
  let computed = 0;
  let overBudget = 0;
  const tensors: TensorSummary[] = [];
  for (const [index, info] of checkpoint.tensors.entries()) {
    const base = {
      name: info.name,
      dtype: info.dtype,
      shape: info.shape,
      parameters: elementCount(info.shape),
      bytes: info.byteSize,
      ...(info.quantization ? { quantization: info.quantization } : {}),
    };
    let statsSkipped = skipReason(DTYPES[info.dtype].kind, options.statsBudgetBytes);
    if (!statsSkipped && info.byteSize > remaining) {
      overBudget++;
      statsSkipped = `over the statistics budget of ${formatBytes(options.statsBudgetBytes ?? 0)} (--stats all computes it)`;
    }
    if (statsSkipped) {
      tensors.push({ ...base, ...NO_STATS, statsSkipped });
    } else {
      const stats = new StatsAccumulator();
      await checkpoint.streamFloat32(info.name, CHUNK_ELEMENTS, (chunk) => stats.add(chunk));
      remaining -= info.byteSize;
      computed++;
      tensors.push({ ...base, ...stats.result() });
    }
    options.onTensor?.(index + 1, checkpoint.tensors.length);
  }
  return {
    file: checkpoint.file,
    format: checkpoint.format,
    metadata: checkpoint.metadata,
    notes: checkpoint.notes,
    tensors,
    groups: groupByLayer(tensors),
    parameters: tensors.reduce((sum, t) => sum + t.parameters, 0),
    bytes: tensors.reduce((sum, t) => sum + t.bytes, 0),
    statistics: { budgetBytes: options.statsBudgetBytes, computed, skipped: tensors.length - computed, overBudget },
  };
}
