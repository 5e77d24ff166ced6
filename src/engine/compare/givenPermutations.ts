import { FormatError } from '../io/formatError';
import type { Permutation, PermutationSpec } from '../model/permutationSpec';

/**
 * Permutations that arrive from outside (a report's `matching[].permutation`, held by the
 * editor while the files may change underneath), checked against the spec B's checkpoint gives
 * now. A mismatch names B, since a changed checkpoint is the likely cause.
 */
export function givenPermutations(spec: PermutationSpec, permutations: readonly (readonly number[])[], fileB: string): Permutation[] {
  if (permutations.length !== spec.groups.length) {
    throw new FormatError(fileB, `has ${spec.groups.length} hidden layers but ${permutations.length} permutations were given; has the checkpoint changed since the comparison?`);
  }
  return spec.groups.map((group, g) => {
    const perm = permutations[g]!;
    if (perm.length !== group.size) {
      throw new FormatError(fileB, `layer '${group.name}' has ${group.size} units but its permutation has ${perm.length}; has the checkpoint changed since the comparison?`);
    }
    const seen = new Uint8Array(group.size);
    for (const j of perm) {
      if (!Number.isInteger(j) || j < 0 || j >= group.size || seen[j]) {
        throw new FormatError(fileB, `the permutation given for layer '${group.name}' is not a reordering of its ${group.size} units (entry ${j})`);
      }
      seen[j] = 1;
    }
    return Int32Array.from(perm);
  });
}
