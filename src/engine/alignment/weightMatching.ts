import { identityPermutations } from '../model/applyPermutation';
import type { Params } from '../model/params';
import type { Permutation, PermutationSpec } from '../model/permutationSpec';
import type { AlignmentResult } from './alignmentResult';
import { solveAssignment } from './assignment/solveAssignment';
import { headAssignment } from './headAssignment';
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
 * descent over the groups (attention's head-structured partners as one coordinate, see
 * `coordinates`; their step is two-level matching, `headAssignment`). For group p, with every
 * other group's permutation fixed, the objective is linear in p's permutation: Σ_i C[i, perm[i]] plus a constant, where C = Σ over p's
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
  const steps = coordinates(spec);
  const neighbours = neighbourGroups(layout);
  // How often each group's permutation has changed, and what its neighbours' counts were when its
  // coordinate was last solved: with the same neighbours, C and hence the assignment would be the same again.
  const changes = spec.groups.map(() => 0);
  const solvedAt: (string | undefined)[] = steps.map(() => undefined);
  const random = seededRandom(seed);

  const objectiveBefore = weightObjective(a, b, spec, perms);
  let objective = objectiveBefore;
  const objectiveBySweep = [objective];
  let sweeps = 0;
  while (sweeps < maxSweeps) {
    sweeps++;
    options.onSweep?.(sweeps);
    let improved = false;
    for (const c of randomOrder(steps.length, random)) {
      const step = steps[c]!;
      const state = step.flatMap((p) => neighbours[p]!.filter((q) => !step.includes(q)).map((q) => changes[q])).join(',');
      if (step.every((p) => spec.groups[p]!.size < 2) || solvedAt[c] === state) continue;
      solvedAt[c] = state;
      const gains: Float64Array[] = [];
      for (const p of step) {
        const n = spec.groups[p]!.size;
        const width = layout.groupColumns[p]!.width;
        gains.push(Float64Array.from(await matrixProduct(aMatrices[p]!, n, width, groupMatrix(layout, b, p, perms, true), n)));
      }
      let solved: Permutation[];
      if (spec.groups[step[0]!]!.heads) {
        solved = [...headAssignment(step.map((p, k) => ({ size: spec.groups[p]!.size, heads: spec.groups[p]!.heads!, scores: gains[k]! }))).perms];
      } else {
        const p = step[0]!;
        const result = solveAssignment(spec.groups[p]!.size, gains[0]!, { maximize: true, warmStart: prices[p] });
        prices[p] = result.columnDuals;
        solved = [result.rowToCol];
      }
      if (step.every((p, k) => solved[k]!.every((col, i) => col === perms[p]![i]))) continue;
      const candidate = perms.slice();
      step.forEach((p, k) => (candidate[p] = solved[k]!));
      const gain = stepObjective(layout, a, b, step, candidate) - stepObjective(layout, a, b, step, perms);
      if (gain > 0 && gain > tolerance * Math.abs(objective)) {
        step.forEach((p, k) => {
          perms[p] = solved[k]!;
          changes[p]!++;
        });
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

/**
 * The coordinates of the descent, in group order: each group alone, except that head-structured
 * partners (an attention's query/key and value/output units) are one coordinate, solved together
 * by two-level matching, since they must move their heads alike.
 */
export function coordinates(spec: PermutationSpec): number[][] {
  const byName = new Map(spec.groups.map((g, p) => [g.name, p]));
  const placed = new Set<number>();
  return spec.groups.flatMap((group, p) => {
    if (placed.has(p)) return [];
    placed.add(p);
    const named = group.heads?.partner ?? null;
    const partner = named === null ? undefined : byName.get(named);
    if (named !== null && partner === undefined) throw new Error(`group '${group.name}' names a head partner '${named}' that the spec lacks`);
    if (partner === undefined || partner === p) return [[p]];
    placed.add(partner);
    return [[p, partner]];
  });
}

/** The part of the objective that depends on a coordinate's groups: the tensors they touch, each counted once. */
function stepObjective(layout: SpecLayout, a: Params, b: Params, step: readonly number[], perms: readonly Permutation[]): number {
  const names = new Set(step.flatMap((p) => layout.spec.groups[p]!.axes.filter((entry) => !entry.statistic).map((entry) => entry.tensor)));
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
