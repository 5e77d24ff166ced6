import type { LayerMatching } from '../../shared/compareReport';
import { permutedParams, specLayout } from '../alignment/specLayout';
import { identityPermutations } from '../model/applyPermutation';
import type { Params } from '../model/params';
import { entryRepeat, type Permutation, type PermutationSpec } from '../model/permutationSpec';

/**
 * How well each group's units are matched: the report's `LayerMatching` but its Wasserstein
 * distances (neuronWasserstein.ts), one per group.
 * The group's layer weights are the tensors whose axis 0 it permutes, biases (1-D) left out, as
 * the report defines costBefore/After on the weight matrix; unitCosts cover every slice the group
 * touches but running statistics. A relative distance whose reference norm is 0 is reported as
 * the absolute distance, since no ratio exists. `correlations` (from `unitCorrelations`, A's
 * units against the unpermuted B's) give the matched units' mean correlations.
 */
export function matchingCosts(
  a: Params,
  b: Params,
  spec: PermutationSpec,
  perms: readonly Permutation[],
  correlations?: readonly Float64Array[],
): Omit<LayerMatching, 'wasserstein'>[] {
  const permutedB = permutedParams(specLayout(spec, a, b), b, perms);
  const identity = identityPermutations(spec);
  return spec.groups.map((group, g) => {
    const writing = group.axes.filter(({ tensor, axis }) => axis === 0 && a.get(tensor)!.shape.length >= 2).map((e) => e.tensor);
    const matched = (perm: Permutation): number | null => {
      if (!correlations) return null;
      let sum = 0;
      for (let i = 0; i < group.size; i++) sum += correlations[g]![i * group.size + perm[i]!]!;
      return group.size === 0 ? 0 : sum / group.size;
    };
    return {
      layer: group.name,
      costBefore: relativeDistance(a, b, writing),
      costAfter: relativeDistance(a, permutedB, writing),
      correlationBefore: matched(identity[g]!),
      correlationAfter: matched(perms[g]!),
      permutation: Array.from(perms[g]!),
      unitCosts: unitCosts(a, permutedB, group),
    };
  });
}

/** ‖A − B‖ / ‖A‖ over the named tensors taken together (Frobenius norms). */
function relativeDistance(a: Params, b: Params, names: readonly string[]): number {
  let difference = 0;
  let reference = 0;
  for (const name of names) {
    const x = a.get(name)!.data;
    const y = b.get(name)!.data;
    for (let i = 0; i < x.length; i++) {
      difference += (x[i]! - y[i]!) ** 2;
      reference += x[i]! ** 2;
    }
  }
  return ratio(difference, reference);
}

/** Per unit i: ‖slices of A at i − slices of π(B) at i‖ / ‖slices of A at i‖ over all the group's axes. */
function unitCosts(a: Params, permutedB: Params, group: PermutationSpec['groups'][number]): number[] {
  const difference = new Float64Array(group.size);
  const reference = new Float64Array(group.size);
  for (const entry of group.axes) {
    const { tensor, axis, statistic } = entry;
    if (statistic) continue;
    const { shape, data: x } = a.get(tensor)!;
    const y = permutedB.get(tensor)!.data;
    const inner = shape.slice(axis + 1).reduce((p, q) => p * q, 1);
    // Grouped queries: the axis is [heads, repeat, headSize] and every copy counts for its unit.
    const repeat = entryRepeat(entry);
    const width = group.heads ? group.size / group.heads.count : group.size;
    for (let k = 0; k < x.length; k++) {
      const index = Math.floor(k / inner) % (group.size * repeat);
      const unit = repeat === 1 ? index : Math.floor(index / (width * repeat)) * width + (index % width);
      difference[unit]! += (x[k]! - y[k]!) ** 2;
      reference[unit]! += x[k]! ** 2;
    }
  }
  return Array.from(difference, (d, i) => ratio(d, reference[i]!));
}

function ratio(squaredDifference: number, squaredReference: number): number {
  const d = Math.sqrt(squaredDifference);
  return squaredReference > 0 ? d / Math.sqrt(squaredReference) : d;
}
