import { forwardMlp } from '../model/forward';
import type { MlpArchitecture } from '../model/mlp';
import type { Params } from '../model/params';
import type { PermutationSpec } from '../model/permutationSpec';
import type { AlignmentResult } from './alignmentResult';
import { solveAssignment } from './assignment/solveAssignment';
import { correlationMatrix } from './correlation';

/**
 * Activation matching (Li et al. 2015; Ainsworth et al. 2023): per group, the assignment that
 * maximises the summed Pearson correlation between A's units and B's over the fit data.
 * `featuresA[g]` and `featuresB[g]` are group g's units on the same `count` samples (count × size).
 * Groups are independent: a unit's activations do not depend on how earlier layers are ordered.
 */
export async function matchFeatures(
  spec: PermutationSpec,
  featuresA: readonly Float32Array[],
  featuresB: readonly Float32Array[],
  count: number,
): Promise<AlignmentResult> {
  if (featuresA.length !== spec.groups.length || featuresB.length !== spec.groups.length) {
    throw new Error(`${spec.groups.length} groups need features for each, got ${featuresA.length} and ${featuresB.length}`);
  }
  const details: Record<string, number> = {};
  const perms: Int32Array[] = [];
  for (const [g, group] of spec.groups.entries()) {
    const n = group.size;
    const correlations = await correlationMatrix(featuresA[g]!, n, featuresB[g]!, n, count);
    const solved = solveAssignment(n, correlations, { maximize: true });
    perms.push(solved.rowToCol);
    details[`correlationTotal.${group.name}`] = solved.total;
    details[`meanCorrelation.${group.name}`] = n === 0 ? 0 : solved.total / n;
  }
  return { perms, details };
}

/**
 * Activation matching of two MLPs on the fit data: post-activation features of both, each hidden
 * layer matched to the group named after it.
 */
export async function activationMatching(
  architecture: MlpArchitecture,
  a: Params,
  b: Params,
  spec: PermutationSpec,
  inputs: Float32Array,
  count: number,
): Promise<AlignmentResult> {
  const fa = (await forwardMlp(architecture, a, inputs, count, { features: true })).features;
  const fb = (await forwardMlp(architecture, b, inputs, count, { features: true })).features;
  const hidden = architecture.layers.slice(0, -1).map((layer) => layer.name);
  const index = spec.groups.map((group) => {
    const l = hidden.indexOf(group.name);
    if (l < 0) throw new Error(`group '${group.name}' is not a hidden layer of the MLP`);
    return l;
  });
  return matchFeatures(spec, index.map((l) => fa[l]!), index.map((l) => fb[l]!), count);
}
