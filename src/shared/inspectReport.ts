/**
 * What `inspect` reports about one checkpoint: produced by the engine, printed by the CLI, shown
 * by the extension. Also the shape of `merge-lens inspect --json`.
 */
import type { CheckpointFormatId } from './checkpointFormats';
import type { DType } from './dtypeNames';

/** Summary statistics of a tensor's finite values, in float64 arithmetic. */
export interface TensorStats {
  readonly mean: number | null;
  /** Population standard deviation (ddof = 0, as numpy.std). */
  readonly std: number | null;
  readonly min: number | null;
  readonly max: number | null;
  /** Fraction of all elements that are exactly zero. */
  readonly zeroFraction: number | null;
  /** Number of NaN or infinite elements (left out of the other statistics). */
  readonly nonFinite: number | null;
}

export interface TensorSummary extends TensorStats {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly parameters: number;
  /** Bytes in the file. */
  readonly bytes: number;
  /** How the stored bytes are quantized, when they are. */
  readonly quantization?: { readonly dtype: DType; readonly scale?: number; readonly min?: number };
  /** Why statistics were not computed, when they were not (the statistic fields are then null). */
  readonly statsSkipped?: string;
}

/** Tensors sharing a name prefix (everything before the last '.'), usually one layer. */
export interface LayerGroup {
  readonly prefix: string;
  readonly tensors: number;
  readonly parameters: number;
  readonly bytes: number;
}

export interface InspectReport {
  readonly file: string;
  readonly format: CheckpointFormatId;
  readonly metadata: Readonly<Record<string, string>>;
  readonly notes: readonly string[];
  readonly tensors: readonly TensorSummary[];
  readonly groups: readonly LayerGroup[];
  readonly parameters: number;
  readonly bytes: number;
  readonly statistics: {
    /** Most bytes read for statistics in all; null when unlimited. */
    readonly budgetBytes: number | null;
    readonly computed: number;
    /** Tensors without statistics, for any reason (budget, complex values, turned off). */
    readonly skipped: number;
    /** Of those, the ones left out because the budget ran out: `--stats all` would compute them. */
    readonly overBudget: number;
  };
}
