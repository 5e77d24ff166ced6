import type { HeadStructure, Permutation } from '../model/permutationSpec';
import { solveAssignment } from './assignment/solveAssignment';

/** One head-structured group's similarities: size × size, A's units as rows, B's as columns. */
export interface HeadScores {
  readonly size: number;
  readonly heads: HeadStructure;
  readonly scores: Float64Array;
}

export interface HeadAssignment {
  /** Per group, in the order given: B's unit perm[i] goes to A's unit i. */
  readonly perms: readonly Permutation[];
  /** headToHead[a·count + b]: how well B's head b fits A's head a, summed over the groups (the matrix the heads were assigned on). */
  readonly headToHead: Float64Array;
  /** A's head a is matched with B's head headPerm[a]. */
  readonly headPerm: Permutation;
  /** Σ over the groups of the chosen units' scores. */
  readonly total: number;
}

/**
 * Two-level matching for groups that must move whole heads the same way (a head's query/key
 * units with its value/output units): for every pair of heads (a, b), the best within-head
 * matching of each group's (a, b) block (or, where units may not move within a head, the block's
 * diagonal) scores the pair; the sum over the groups is the head-to-head similarity; the heads are
 * assigned on it, and each unit permutation is the chosen head pairs' within-head matchings.
 * Exact within heads for a given head assignment, and the head assignment is the best for those
 * within-head optima; the joint optimum is not guaranteed (weight matching keeps a step only if it
 * improves the objective, so this costs no monotonicity).
 */
export function headAssignment(groups: readonly HeadScores[]): HeadAssignment {
  const count = groups[0]?.heads.count ?? 0;
  for (const g of groups) {
    if (g.heads.count !== count || g.size % count !== 0) throw new Error(`head-structured groups of ${g.size} units in ${g.heads.count} heads cannot share ${count} heads`);
    if (g.scores.length !== g.size * g.size) throw new Error(`a group of ${g.size} units needs ${g.size * g.size} scores, got ${g.scores.length}`);
  }
  const headToHead = new Float64Array(count * count);
  // within[g][a·count + b]: group g's within-head matching of A's head a to B's head b.
  const within = groups.map((g) => {
    const width = g.size / count;
    const block = new Float64Array(width * width);
    const chosen: Int32Array[] = [];
    for (let a = 0; a < count; a++) {
      for (let b = 0; b < count; b++) {
        for (let i = 0; i < width; i++) {
          for (let j = 0; j < width; j++) block[i * width + j] = g.scores[(a * width + i) * g.size + b * width + j]!;
        }
        let cols: Int32Array;
        let total = 0;
        if (g.heads.withinHead) {
          const solved = solveAssignment(width, block, { maximize: true });
          cols = solved.rowToCol;
          total = solved.total;
        } else {
          cols = Int32Array.from({ length: width }, (_, i) => i);
          for (let i = 0; i < width; i++) total += block[i * width + i]!;
        }
        chosen.push(cols);
        headToHead[a * count + b]! += total;
      }
    }
    return chosen;
  });
  const heads = solveAssignment(count, headToHead, { maximize: true });
  let total = 0;
  const perms = groups.map((g, k) => {
    const width = g.size / count;
    const perm = new Int32Array(g.size);
    for (let a = 0; a < count; a++) {
      const b = heads.rowToCol[a]!;
      const cols = within[k]![a * count + b]!;
      for (let i = 0; i < width; i++) {
        perm[a * width + i] = b * width + cols[i]!;
        total += g.scores[(a * width + i) * g.size + b * width + cols[i]!]!;
      }
    }
    return perm;
  });
  return { perms, headToHead, headPerm: heads.rowToCol, total };
}

/** Whether a permutation moves whole heads (blocks of size / count units) and, where units may not move within a head, keeps each head's order. */
export function respectsHeads(perm: Permutation, heads: HeadStructure): boolean {
  const width = perm.length / heads.count;
  for (let a = 0; a < heads.count; a++) {
    const head = Math.floor(perm[a * width]! / width);
    for (let i = 0; i < width; i++) {
      const unit = perm[a * width + i]!;
      if (Math.floor(unit / width) !== head) return false;
      if (!heads.withinHead && unit !== head * width + i) return false;
    }
  }
  return true;
}
