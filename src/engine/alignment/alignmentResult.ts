import type { Permutation } from '../model/permutationSpec';

/** What every alignment method returns: one permutation per group of the spec, in the spec's order. */
export interface AlignmentResult {
  readonly perms: readonly Permutation[];
  /** Method-specific facts for the report (sweeps, objectives, per-layer totals). */
  readonly details: Readonly<Record<string, number | string>>;
}
