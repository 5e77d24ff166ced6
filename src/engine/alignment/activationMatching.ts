import type { Permutation, PermutationSpec } from '../model/permutationSpec';
import type { AlignmentResult } from './alignmentResult';
import { solveAssignment } from './assignment/solveAssignment';
import { headAssignment } from './headAssignment';
import { coordinates } from './weightMatching';

/**
 * Activation matching (Li et al. 2015; Ainsworth et al. 2023): per group, the assignment that
 * maximises the summed Pearson correlation between A's units and B's over the fit data, from
 * `unitCorrelations` (size × size per group, A's units as rows). Groups are independent: a
 * unit's activations do not depend on how the other groups are ordered; an attention's
 * head-structured partners are matched together, heads on their summed within-head optima.
 */
export function activationMatching(spec: PermutationSpec, correlations: readonly Float64Array[]): AlignmentResult {
  if (correlations.length !== spec.groups.length) throw new Error(`${spec.groups.length} groups need correlations for each, got ${correlations.length}`);
  spec.groups.forEach((group, g) => {
    const n = group.size;
    if (correlations[g]!.length !== n * n) throw new Error(`group '${group.name}' of ${n} units needs ${n * n} correlations, got ${correlations[g]!.length}`);
  });
  const details: Record<string, number> = {};
  const perms: Permutation[] = spec.groups.map(() => new Int32Array(0));
  const record = (g: number, perm: Permutation): void => {
    const n = spec.groups[g]!.size;
    let total = 0;
    for (let i = 0; i < n; i++) total += correlations[g]![i * n + perm[i]!]!;
    perms[g] = perm;
    details[`correlationTotal.${spec.groups[g]!.name}`] = total;
    details[`meanCorrelation.${spec.groups[g]!.name}`] = n === 0 ? 0 : total / n;
  };
  for (const step of coordinates(spec)) {
    if (spec.groups[step[0]!]!.heads) {
      const solved = headAssignment(step.map((g) => ({ size: spec.groups[g]!.size, heads: spec.groups[g]!.heads!, scores: correlations[g]! })));
      step.forEach((g, k) => record(g, solved.perms[k]!));
    } else {
      record(step[0]!, solveAssignment(spec.groups[step[0]!]!.size, correlations[step[0]!]!, { maximize: true }).rowToCol);
    }
  }
  return { perms, details };
}
