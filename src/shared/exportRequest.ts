/**
 * What the jobs that follow a comparison (the permutation heatmap, the exports) are given: the
 * comparison as its report recorded it, so that they read the same files the same way, and no
 * side reconstructs the conditions from anything else.
 */
import type { MethodName } from './compareReport';
import type { CompareRequest } from './compareRequest';

/** A pair as a finished comparison read it. */
export interface ComparedPair {
  /** The report's `request`: the files, the activation, the description, the fit data and how it was used. */
  readonly request: CompareRequest;
  /** One sample's shape as the comparison settled it (the report's `architecture.inputShape`). */
  readonly inputShape: readonly number[];
}

/** π(B) (alpha null) or the merged model at alpha, as safetensors with B's names and layout. */
export interface ExportRequest extends ComparedPair {
  readonly method: MethodName;
  /** The method's permutation of every group, in the report's `matching` order. */
  readonly permutations: readonly (readonly number[])[];
  readonly alpha: number | null;
  readonly out: string;
  /** Refuse (an input error) when `out` exists, unless true. */
  readonly overwrite: boolean;
}

export interface ExportResult {
  readonly file: string;
  readonly tensors: number;
  readonly bytes: number;
  /** A merged model's BatchNorm statistics: recomputed on the fit data at α, interpolated, or none (no BatchNorm, or π(B)). */
  readonly batchNorm: 'reset' | 'interpolated' | null;
  /** Whether REPAIR's correction is folded into the merged model. */
  readonly repaired: boolean;
}
