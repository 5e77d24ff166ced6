import type { PermutationSpec } from '../model/permutationSpec';
import type { AlignmentResult } from './alignmentResult';
import { solveAssignment } from './assignment/solveAssignment';

/**
 * Activation matching (Li et al. 2015; Ainsworth et al. 2023): per group, the assignment that
 * maximises the summed Pearson correlation between A's units and B's over the fit data, from
 * `unitCorrelations` (size × size per group, A's units as rows). Groups are independent: a
 * unit's activations do not depend on how the other groups are ordered.
 */
export function activationMatching(spec: PermutationSpec, correlations: readonly Float64Array[]): AlignmentResult {
  if (correlations.length !== spec.groups.length) throw new Error(`${spec.groups.length} groups need correlations for each, got ${correlations.length}`);
  const details: Record<string, number> = {};
  const perms = spec.groups.map((group, g) => {
    const n = group.size;
    if (correlations[g]!.length !== n * n) throw new Error(`group '${group.name}' of ${n} units needs ${n * n} correlations, got ${correlations[g]!.length}`);
    const solved = solveAssignment(n, correlations[g]!, { maximize: true });
    details[`correlationTotal.${group.name}`] = solved.total;
    details[`meanCorrelation.${group.name}`] = n === 0 ? 0 : solved.total / n;
    return solved.rowToCol;
  });
  return { perms, details };
}
