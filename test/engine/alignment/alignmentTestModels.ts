// Model pairs for the alignment tests: B is A with its hidden units shuffled (optionally with
// noise), so the permutation that undoes the shuffle is known exactly.
import { applyPermutation, invertPermutation } from '../../../src/engine/model/applyPermutation';
import type { Activation } from '../../../src/shared/compareRequest';
import type { MlpArchitecture } from '../../../src/engine/model/mlp';
import { mlpNetwork } from '../../../src/engine/model/mlpNetwork';
import type { Network } from '../../../src/engine/model/network';
import { networkChannelSpaces } from '../../../src/engine/model/networkSpaces';
import type { Params, Tensor32 } from '../../../src/engine/model/params';
import { derivePermutationSpec, type Permutation, type PermutationSpec } from '../../../src/engine/model/permutationSpec';
import { mlpArchitecture, randomParams, seededRandom, shuffled } from '../model/mlpTestModels';

export interface ShuffledPair {
  readonly architecture: MlpArchitecture;
  readonly network: Network;
  readonly spec: PermutationSpec;
  readonly a: Params;
  readonly b: Params;
  /** The permutations that map B back onto A: applyPermutation(b, spec, expected) = a. */
  readonly expected: readonly Permutation[];
}

export function shuffledPair(sizes: readonly number[], activation: Activation, seed: number, noise = 0): ShuffledPair {
  const architecture = mlpArchitecture(sizes, activation);
  const spec = derivePermutationSpec(networkChannelSpaces(mlpNetwork(architecture)));
  const a = randomParams(architecture, seed);
  const random = seededRandom(seed + 1000);
  const shuffles = spec.groups.map((group) => shuffled(group.size, random));
  let b: Params = applyPermutation(a, spec, shuffles);
  if (noise > 0) b = withNoise(b, noise, seededRandom(seed + 2000));
  return { architecture, network: mlpNetwork(architecture), spec, a, b, expected: shuffles.map(invertPermutation) };
}

/** Each value plus uniform noise of ±noise times the tensor's largest magnitude. */
function withNoise(params: Params, noise: number, random: () => number): Params {
  const out = new Map<string, Tensor32>();
  for (const [name, { shape, data }] of params) {
    const scale = noise * data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    out.set(name, { shape, data: data.map((v) => v + (2 * random() - 1) * scale) });
  }
  return out;
}

export function assertSameParams(actual: Params, expected: Params, message: string): void {
  for (const [name, tensor] of expected) {
    const got = actual.get(name)!.data;
    for (let i = 0; i < tensor.data.length; i++) {
      if (got[i] !== tensor.data[i]) throw new Error(`${message}: '${name}'[${i}] is ${got[i]}, expected ${tensor.data[i]}`);
    }
  }
}
