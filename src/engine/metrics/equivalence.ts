import { seededRandom } from '../alignment/seededRandom';
import { forwardNetwork } from '../model/forward';
import type { Network } from '../model/network';
import type { Params } from '../model/params';

/** Below this relative output difference, π(B) computes the same function as B (float32 rounding). */
export const EQUIVALENCE_TOLERANCE = 1e-5;

/** Keeps the ratio finite when B's logits vanish for a sample. */
const TINY = 1e-12;

/**
 * Whether the permuted network reproduces B: the largest relative difference over samples,
 * ‖logits(π(B)) − logits(B)‖ / max(‖logits(B)‖, 1e-12), with Euclidean norms per sample; a
 * NaN anywhere makes the error NaN and the check fail. BatchNorm runs in eval mode, so running
 * statistics that were not permuted with their channels show.
 */
export async function checkEquivalence(
  network: Network,
  paramsB: Params,
  permutedB: Params,
  inputs: Float32Array,
  count: number,
): Promise<{ readonly equivalent: boolean; readonly error: number }> {
  if (count < 1) throw new Error('the equivalence check needs at least one sample');
  const reference = (await forwardNetwork(network, paramsB, inputs, count)).logits;
  const permuted = (await forwardNetwork(network, permutedB, inputs, count)).logits;
  const width = reference.length / count;
  let error = 0;
  for (let i = 0; i < count; i++) {
    let diff = 0;
    let norm = 0;
    for (let c = i * width; c < (i + 1) * width; c++) {
      diff += (permuted[c]! - reference[c]!) ** 2;
      norm += reference[c]! ** 2;
    }
    error = Math.max(error, Math.sqrt(diff) / Math.max(Math.sqrt(norm), TINY));
  }
  return { equivalent: error < EQUIVALENCE_TOLERANCE, error };
}

/**
 * `count` seeded probe samples for the check when there is no data: standard-normal values, or,
 * for a token model, token ids drawn uniformly from its vocabulary. A permutation that is right
 * preserves B's function on every input; normal inputs switch roughly half of each layer's ReLUs
 * on, and random tokens reach every attention head, so every unit's weights reach the logits.
 */
export function probeInputs(network: Network, count: number, seed: number): Float32Array {
  const length = count * network.input.reduce((x, y) => x * y, 1);
  const embedding = network.nodes[0]?.op === 'embedding' ? network.nodes[0] : null;
  if (!embedding) return gaussianInputs(length, seed);
  const random = seededRandom(seed);
  return Float32Array.from({ length }, () => Math.floor(random() * embedding.vocab));
}

/** `length` seeded standard-normal values (Box–Muller). */
export function gaussianInputs(length: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length }, () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));
}
