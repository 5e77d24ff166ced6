import { identityPermutations } from '../model/applyPermutation';
import type { Params } from '../model/params';
import type { Permutation, PermutationSpec } from '../model/permutationSpec';
import type { AlignmentResult } from './alignmentResult';
import { solveAssignment } from './assignment/solveAssignment';
import { matrixProduct } from './matrixProduct';
import { randomOrder, seededRandom } from './seededRandom';
import { dot, groupMatrix, permutedTensor, specLayout, type SpecLayout } from './specLayout';

export interface WeightMatchingOptions {
  /** Seeds the order in which each sweep visits the groups (default 0). */
  readonly seed?: number;
  /** Default 100. */
  readonly maxSweeps?: number;
  /** A step is kept only if it raises the objective by more than this fraction of it (default 1e-12). */
  readonly tolerance?: number;
  /** Called as each sweep starts (1, 2, ...): a wide model's sweep takes seconds, and how many it needs is not known ahead. */
  readonly onSweep?: (sweep: number) => void;
}

export interface WeightMatchingResult extends AlignmentResult {
  /** The objective before the first sweep (identity) and after each sweep: never decreasing. */
  readonly objectiveBySweep: readonly number[];
}

/**
 * Git Re-Basin weight matching (Ainsworth et al. 2023): maximise Σ ⟨θA, π(θB)⟩ by coordinate
 * descent over the groups. For group p, with every other group's permutation fixed, the objective
 * is linear in p's permutation: Σ_i C[i, perm[i]] plus a constant, where C = Σ over p's
 * (tensor, axis) of A's tensor matricised on the axis times B's (other groups applied) transposed.
 * Each step solves that assignment exactly, warm-started from the group's previous column prices.
 * C is a float32 product, so a step is judged by its exact double-precision gain and kept only if
 * it improves: the objective never decreases. A group whose neighbours (the groups sharing a
 * tensor with it) have not changed since its last solve is skipped, as C would be the same. Stops
 * after a sweep that improves nothing.
 */
export async function weightMatching(
  a: Params,
  b: Params,
  spec: PermutationSpec,
  options: WeightMatchingOptions = {},
): Promise<WeightMatchingResult> {
  const seed = options.seed ?? 0;
  const maxSweeps = options.maxSweeps ?? 100;
  const tolerance = options.tolerance ?? 1e-12;
  const layout = specLayout(spec, a, b);
  const perms = identityPermutations(spec);
  const aMatrices = spec.groups.map((_, p) => groupMatrix(layout, a, p, perms, false));
  const prices: (Float64Array | undefined)[] = spec.groups.map(() => undefined);
  const neighbours = neighbourGroups(layout);
  // How often each group's permutation has changed, and what its neighbours' counts were when it was
  // last solved: with the same neighbours, C and hence the assignment would be the same again.
  const changes = spec.groups.map(() => 0);
  const solvedAt: (string | undefined)[] = spec.groups.map(() => undefined);
  const random = seededRandom(seed);

  const objectiveBefore = weightObjective(a, b, spec, perms);
  let objective = objectiveBefore;
  const objectiveBySweep = [objective];
  let sweeps = 0;
  while (sweeps < maxSweeps) {
    sweeps++;
    options.onSweep?.(sweeps);
    let improved = false;
    for (const p of randomOrder(spec.groups.length, random)) {
      const n = spec.groups[p]!.size;
      const state = neighbours[p]!.map((q) => changes[q]).join(',');
      if (n < 2 || solvedAt[p] === state) continue;
      solvedAt[p] = state;
      const width = layout.groupColumns[p]!.width;
      const gains = await matrixProduct(aMatrices[p]!, n, width, groupMatrix(layout, b, p, perms, true), n);
      const solved = solveAssignment(n, Float64Array.from(gains), { maximize: true, warmStart: prices[p] });
      prices[p] = solved.columnDuals;
      if (solved.rowToCol.every((col, i) => col === perms[p]![i])) continue;
      const candidate = perms.slice();
      candidate[p] = solved.rowToCol;
      const gain = groupObjective(layout, a, b, p, candidate) - groupObjective(layout, a, b, p, perms);
      if (gain > 0 && gain > tolerance * Math.abs(objective)) {
        perms[p] = solved.rowToCol;
        changes[p]!++;
        objective += gain;
        improved = true;
      }
    }
    // Recomputed rather than accumulated, so rounding in the gains cannot drift.
    objective = weightObjective(a, b, spec, perms);
    objectiveBySweep.push(objective);
    if (!improved) break;
  }
  return { perms, details: { sweeps, objective, objectiveBefore, seed }, objectiveBySweep };
}

/**
 * Σ over every parameter tensor of ⟨θA, π(θB)⟩, in double precision; running statistics are no
 * weights and are left out. Tensors no group touches add the same constant for every π; they are
 * kept so the number is the whole models' inner product.
 */
export function weightObjective(a: Params, b: Params, spec: PermutationSpec, perms: readonly Permutation[]): number {
  const layout = specLayout(spec, a, b);
  let sum = 0;
  for (const [name, ta] of a) {
    if (layout.statistics.has(name)) continue;
    const tb = b.get(name);
    if (!tb || tb.data.length !== ta.data.length) throw new Error(`'${name}' of A has no counterpart of the same size in B`);
    sum += dot(ta.data, layout.axisGroups.has(name) ? permutedTensor(layout, b, name, perms).data : tb.data);
  }
  return sum;
}

/** Per group, the groups that share a weight with it (itself included when it permutes two axes of one tensor). */
function neighbourGroups(layout: SpecLayout): number[][] {
  return layout.spec.groups.map((group) => {
    const found = new Set<number>();
    for (const { tensor, axis, statistic } of group.axes) {
      if (statistic) continue;
      layout.axisGroups.get(tensor)!.forEach((q, other) => {
        if (q !== null && other !== axis) found.add(q);
      });
    }
    return [...found];
  });
}

/** The part of the objective that depends on group p: the tensors it touches, each counted once. */
function groupObjective(layout: SpecLayout, a: Params, b: Params, p: number, perms: readonly Permutation[]): number {
  const names = new Set(layout.spec.groups[p]!.axes.filter((entry) => !entry.statistic).map((entry) => entry.tensor));
  let sum = 0;
  for (const name of names) sum += dot(a.get(name)!.data, permutedTensor(layout, b, name, perms).data);
  return sum;
}

/**
 * Weight matching from `restarts` group orders (seeds seed, seed + 1, ...), keeping the highest
 * objective. Coordinate descent ends at a local optimum that depends on the order alone (the PyTorch
 * reference, given the same orders, ends at the same permutations), and one order's optimum can be
 * well below another's: on the fixture ResNet, 16 starts end between 239.2 and 243.2, at loss
 * barriers from 0.59 to 2.8. A start is cheap beside a comparison (0.05–0.1 s on a ResNet-20).
 * `onSweep` counts on across the starts, so a progress display never goes back.
 */
export async function bestWeightMatching(
  a: Params,
  b: Params,
  spec: PermutationSpec,
  options: WeightMatchingOptions & { readonly restarts: number },
): Promise<WeightMatchingResult> {
  const { restarts, onSweep } = options;
  if (!Number.isSafeInteger(restarts) || restarts < 1) throw new Error(`weight matching needs at least one start, got ${restarts}`);
  let best: WeightMatchingResult | null = null;
  let sweepsBefore = 0;
  for (let r = 0; r < restarts; r++) {
    const counted = sweepsBefore;
    const result = await weightMatching(a, b, spec, {
      ...options,
      seed: (options.seed ?? 0) + r,
      onSweep: onSweep && ((sweep) => onSweep(counted + sweep)),
    });
    sweepsBefore += Number(result.details.sweeps);
    if (!best || Number(result.details.objective) > Number(best.details.objective)) best = result;
  }
  return restarts === 1 ? best! : { ...best!, details: { ...best!.details, restarts } };
}
