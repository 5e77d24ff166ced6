/**
 * How alike every unit of A is to every unit of B in one permutation group: what the
 * permutation heatmap draws. Computed by the engine (in the worker), drawn by the webview.
 */

export interface UnitSimilarity {
  readonly method: string;
  /** The group's name, as in the report's `matching[].layer`. */
  readonly layer: string;
  /** Units in the group (n). */
  readonly size: number;
  /**
   * n × n, row-major: cosine[i·n + j] is the cosine between A's unit i and B's unit j (B's own
   * numbering, before this group's permutation), each unit the concatenation of every slice the
   * group touches (its row and bias in this layer, its column in the next), with B's other
   * groups already permuted by the method's result.
   */
  readonly cosine: Float32Array;
  /** ‖unit i of A‖ over the same slices. */
  readonly normsA: Float32Array;
  /** ‖unit j of B‖ over the same slices. */
  readonly normsB: Float32Array;
  /** A's unit i is matched with B's unit permutation[i] (the report's `matching[].permutation`). */
  readonly permutation: readonly number[];
}

/**
 * The relative cost of matching A's unit i with B's unit j, ‖a − b‖ / ‖a‖, from the cosine and
 * the norms: the same quantity as the report's `unitCosts` for the matched pairs. Falls back to
 * the absolute distance when ‖a‖ is 0, as the report does.
 */
export function pairCost(similarity: UnitSimilarity, i: number, j: number): number {
  const na = similarity.normsA[i]!;
  const nb = similarity.normsB[j]!;
  const squared = Math.max(0, na * na + nb * nb - 2 * na * nb * similarity.cosine[i * similarity.size + j]!);
  return na > 0 ? Math.sqrt(squared) / na : Math.sqrt(squared);
}
