import { randomOrder } from '../../src/engine/alignment/seededRandom';
import type { Permutation, PermutationGroup } from '../../src/engine/model/permutationSpec';

/**
 * A random permutation the group allows: any for plain units; for heads, whole heads reordered
 * (in `heads`' order when given: a partner's) and, where the group allows it, units within them.
 */
export function allowedPermutation(group: PermutationGroup, random: () => number, heads: readonly number[] | null = null): Permutation {
  if (!group.heads) return Int32Array.from(randomOrder(group.size, random));
  const width = group.size / group.heads.count;
  const order = heads ?? randomOrder(group.heads.count, random);
  const perm = new Int32Array(group.size);
  for (let a = 0; a < group.heads.count; a++) {
    const inside = group.heads.withinHead ? randomOrder(width, random) : Array.from({ length: width }, (_, i) => i);
    for (let i = 0; i < width; i++) perm[a * width + i] = order[a]! * width + inside[i]!;
  }
  return perm;
}

/** Which head of the other model each head's units come from. */
export function headOrder(perm: Permutation, count: number): number[] {
  const width = perm.length / count;
  return Array.from({ length: count }, (_, a) => Math.floor(perm[a * width]! / width));
}
