import type { ComparedPair } from '../../shared/exportRequest';
import { networkChannelSpaces } from '../model/networkSpaces';
import { derivePermutationSpec, type Permutation, type PermutationSpec } from '../model/permutationSpec';
import { givenPermutations } from './givenPermutations';
import { loadCheckpointPair, type CheckpointPair } from './loadPair';

/** A checkpoint pair read again as its comparison read it, its spec, and permutations from outside checked against that spec. */
export interface PermutedPair {
  readonly pair: CheckpointPair;
  readonly spec: PermutationSpec;
  readonly perms: Permutation[];
}

/** The pair read again (a worker keeps nothing between jobs), with `permutations` (a report's) checked against it. */
export async function loadComparedPair(compared: ComparedPair, permutations: readonly (readonly number[])[]): Promise<PermutedPair> {
  const { request } = compared;
  const pair = await loadCheckpointPair(request.a, request.b, {
    activation: request.activation,
    description: request.description,
    heads: request.heads ?? null,
    sample: { shape: compared.inputShape, file: null },
  });
  const spec = derivePermutationSpec(networkChannelSpaces(pair.network));
  return { pair, spec, perms: givenPermutations(spec, permutations, request.b) };
}
