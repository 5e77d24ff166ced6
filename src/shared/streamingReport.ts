/**
 * What `merge-lens compare --stream` writes: weight matching of two checkpoints too large for
 * memory, part by part. Only weight matching runs (it needs no data and no whole model); the
 * equivalence check, the path, matching costs, Dim(S) and exports need the models whole.
 */

/** One sweep over both checkpoints. */
export interface StreamingSweep {
  /** 1, 2, ...; sweep 1 solves the residual stream alone. */
  readonly sweep: number;
  /** Σ⟨θA, π(θB)⟩ after the sweep. */
  readonly objective: number;
  readonly seconds: number;
  /** Of those, reading and converting tensors, the backend's products, and the assignments. */
  readonly readSeconds: number;
  readonly productSeconds: number;
  readonly assignmentSeconds: number;
  /** The process's peak resident memory by the sweep's end (process.resourceUsage().maxRSS). */
  readonly peakRssBytes: number;
}

export interface StreamingGroup {
  readonly name: string;
  readonly size: number;
  /** A's unit i is matched with B's unit permutation[i]. */
  readonly permutation: readonly number[];
  /** Units whose match is not themselves. */
  readonly moved: number;
  /** Present for attention's groups, as in the compare report. */
  readonly heads?: { readonly count: number; readonly withinHead: boolean; readonly partner: string };
}

export interface StreamingReport {
  readonly kind: 'streaming-weight-matching';
  readonly createdAt: string;
  readonly tool: string;
  readonly a: string;
  readonly b: string;
  /** The network: its kind, its layers with weights and the tensors it reads. */
  readonly network: { readonly kind: string; readonly layers: number; readonly tensors: number };
  /** Σ⟨θA, π(θB)⟩ at the identity and at the permutations found. */
  readonly objectiveBefore: number;
  readonly objective: number;
  readonly sweeps: readonly StreamingSweep[];
  readonly groups: readonly StreamingGroup[];
}
