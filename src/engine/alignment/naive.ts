import { identityPermutations } from '../model/applyPermutation';
import type { PermutationSpec } from '../model/permutationSpec';
import type { AlignmentResult } from './alignmentResult';

/** The baseline every method is measured against: B's units left where they are. */
export function naiveAlignment(spec: PermutationSpec): AlignmentResult {
  return { perms: identityPermutations(spec), details: {} };
}
