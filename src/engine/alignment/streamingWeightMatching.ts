import { identityPermutations } from '../model/applyPermutation';
import { InputError } from '../io/inputError';
import type { Params, Tensor32 } from '../model/params';
import { axisPermutation, entryRepeat, type Permutation, type PermutationSpec } from '../model/permutationSpec';
import { solveAssignment } from './assignment/solveAssignment';
import { collectGarbage } from './collectGarbage';
import { headAssignment } from './headAssignment';
import { dot, permutedTensor, specLayout, type SpecLayout } from './specLayout';
import { streamingPlan, type StreamPart } from './streamingPlan';
import { accumulateProduct, axisMatrix, TILE_VALUES, transposedView } from './tiledProduct';
import type { WeightMatchingOptions, WeightMatchingResult } from './weightMatching';
import type { StreamingSweep } from '../../shared/streamingReport';

/** A checkpoint as streaming reads it: names and shapes from the headers, one tensor's values at a time, as float32 (Checkpoint offers both). */
export interface TensorSource {
  readonly tensors: readonly { readonly name: string; readonly shape: readonly number[] }[];
  readFloat32(name: string): Promise<Float32Array>;
}

/** One sweep's cost: what a long run reports as it goes and what the bench prints. */

export interface StreamingWeightMatchingOptions extends Pick<WeightMatchingOptions, 'maxSweeps' | 'tolerance' | 'onSweep'> {
  /** Called as each sweep ends. */
  readonly onSweepDone?: (sweep: StreamingSweep) => void;
  /** Called after each part with the share of the sweep's values read so far (a 7B sweep takes an hour or more). */
  readonly onProgress?: (sweep: number, fraction: number) => void;
  /** Checked before each part is read. */
  readonly signal?: AbortSignal;
}

export interface StreamingWeightMatchingResult extends WeightMatchingResult {
  readonly sweepReports: readonly StreamingSweep[];
}

/**
 * Weight matching that holds one part of the models at a time: the objective Σ⟨θA, π(θB)⟩ and the
 * coordinates of `weightMatching` (the stream; per block, attention's Q/K and V/O partners by
 * two-level matching, and the MLP's hidden units), for checkpoints larger than memory.
 *
 * The tensors split into parts by which coordinates touch them (`streamingPlan`): the stream (a
 * transformer's residual stream) touches every part; given its permutation, each part's own
 * coordinates depend on that part's tensors alone. A sweep reads the parts in checkpoint order,
 * A's and B's tensors of one part as float32 (bf16 and f16 converted as read); solves the part's
 * coordinates against the current stream permutation, repeating until a pass keeps nothing (a
 * step is kept only if its exact double-precision gain is positive, as in weightMatching; a
 * coordinate whose neighbours have not changed since its last solve is skipped); adds the part's
 * tensors' products, under the part's current permutations, to the stream's gain matrix (d × d,
 * float64); and drops the part. Parts whose share of that matrix depends on no permutation
 * (embeddings, norms, the head) are multiplied in the first sweep only, their sum kept. After the
 * last part the stream's assignment is solved on the gain matrix, and kept if it raises the
 * objective: the objective is linear in the stream's permutation given the others, so the change
 * is the difference of the gain matrix's sums along the new and the old permutation.
 *
 * Sweep 1 solves the stream alone: against the identity stream the parts' gains would compare A's
 * units with B's through a misaligned stream. Sweeps repeat until no coordinate's neighbours have
 * changed since its last solve, i.e. the next sweep would change nothing (normally after sweep 2
 * where B is a permuted A; a sweep costs a full read of both checkpoints).
 *
 * The objective is measured exactly, in float64, from each part's tensors as they are read; the
 * stream step's gain is judged on the gain matrix, whose entries are float32 products. So the
 * value after a sweep whose stream step moved is the exact value before that step plus its gain
 * from the matrix; the next sweep measures it exactly and replaces it. Unless `maxSweeps` ends it
 * first, the last sweep moves no stream, so the final objective is exact.
 *
 * Memory: the largest part's tensors of A and B in float32, its coordinate's gain matrices
 * (float64, n² each), two d × d float64 matrices for the stream, one tensor's scratch and the
 * product's tiles (`streamingMemoryBytes`); permuted tensors are index views, not copies.
 */
export async function streamingWeightMatching(
  a: TensorSource,
  b: TensorSource,
  spec: PermutationSpec,
  options: StreamingWeightMatchingOptions = {},
): Promise<StreamingWeightMatchingResult> {
  const maxSweeps = options.maxSweeps ?? 100;
  const tolerance = options.tolerance ?? 1e-12;
  checkHeaders(a, b, spec);
  const plan = streamingPlan(spec, a.tensors.map((t) => t.name));
  const perms = identityPermutations(spec);
  const prices: (Float64Array | undefined)[] = spec.groups.map(() => undefined);
  const changes = spec.groups.map(() => 0);
  const neighbours = neighbourGroups(spec);
  const stateOf = (step: readonly number[]) => step.flatMap((p) => neighbours[p]!.filter((q) => !step.includes(q)).map((q) => changes[q])).join(',');
  const solvedAt = new Map<readonly number[], string>();
  const solvable = (step: readonly number[]) => step.some((p) => spec.groups[p]!.size >= 2);
  const streamStep = plan.stream === null ? null : [plan.stream];
  const allSteps = [...(streamStep ? [streamStep] : []), ...plan.parts.flatMap((part) => part.coordinates)].filter(solvable);

  const shapes = new Map(a.tensors.map((t) => [t.name, t.shape]));
  const partValues = plan.parts.map((part) => part.tensors.reduce((sum, name) => sum + shapes.get(name)!.reduce((x, y) => x * y, 1), 0));
  const allValues = partValues.reduce((x, y) => x + y, 0);
  const d = plan.stream === null ? 0 : spec.groups[plan.stream]!.size;
  const constantGain = new Float64Array(d * d);
  // A part no group touches adds the same ⟨A, B⟩ to every sweep: read once.
  const fixedDots = new Map<StreamPart, number>();
  const objectiveBySweep: number[] = [];
  const sweepReports: StreamingSweep[] = [];
  let sweeps = 0;
  let objective = 0;
  while (sweeps < maxSweeps && (sweeps === 0 || allSteps.some((step) => solvedAt.get(step) !== stateOf(step)))) {
    sweeps++;
    options.onSweep?.(sweeps);
    const started = performance.now();
    const time = { read: 0, product: 0, assignment: 0 };
    const streamGain = new Float64Array(d * d);
    // Σ⟨θA, π(θB)⟩ exactly, as the sweep found it and after its part steps.
    let before = 0;
    let after = 0;
    let valuesDone = 0;
    for (const [index, part] of plan.parts.entries()) {
      options.signal?.throwIfAborted();
      valuesDone += partValues[index]!;
      const fixed = fixedDots.get(part);
      if (fixed !== undefined) {
        before += fixed;
        after += fixed;
        continue;
      }
      let clock = performance.now();
      // One after the other: each tensor's stored bytes are alive only while it converts.
      const pa = await readPart(a, part, shapes);
      const pb = await readPart(b, part, shapes);
      time.read += (performance.now() - clock) / 1000;
      const layout = specLayout(part.spec, pa, pb);
      const local = (): Permutation[] => part.groups.map((g) => perms[g]!);
      let measured = 0;
      for (const name of part.tensors) measured += permutedDot(layout, pa, pb, name, local());
      if (part.groups.length === 0) fixedDots.set(part, measured);
      before += measured;

      if (sweeps > 1) {
        let improved = true;
        while (improved) {
          improved = false;
          for (const step of part.coordinates) {
            const state = stateOf(step);
            if (!solvable(step) || solvedAt.get(step) === state) continue;
            solvedAt.set(step, state);
            const inPart = step.map((p) => part.groups.indexOf(p));
            clock = performance.now();
            const gains: Float64Array[] = [];
            for (const k of inPart) gains.push(await groupGain(layout, pa, pb, k, local()));
            time.product += (performance.now() - clock) / 1000;
            clock = performance.now();
            let solved: Permutation[];
            if (spec.groups[step[0]!]!.heads) {
              solved = [...headAssignment(step.map((p, k) => ({ size: spec.groups[p]!.size, heads: spec.groups[p]!.heads!, scores: gains[k]! }))).perms];
            } else {
              const p = step[0]!;
              const result = solveAssignment(spec.groups[p]!.size, gains[0]!, { maximize: true, warmStart: prices[p] });
              prices[p] = result.columnDuals;
              solved = [result.rowToCol];
            }
            time.assignment += (performance.now() - clock) / 1000;
            if (step.every((p, k) => solved[k]!.every((col, i) => col === perms[p]![i]))) continue;
            const candidate = local();
            inPart.forEach((k, i) => (candidate[k] = solved[i]!));
            const gain = stepObjective(layout, pa, pb, inPart, candidate) - stepObjective(layout, pa, pb, inPart, local());
            if (gain > 0 && gain > tolerance * Math.abs(objective)) {
              step.forEach((p, i) => {
                perms[p] = solved[i]!;
                changes[p]!++;
              });
              measured += gain;
              improved = true;
            }
          }
        }
      }
      after += measured;

      if (part.groups[0] === plan.stream && (!part.constantGain || sweeps === 1)) {
        clock = performance.now();
        await addGroupGain(part.constantGain ? constantGain : streamGain, layout, pa, pb, 0, local());
        time.product += (performance.now() - clock) / 1000;
      }
      options.onProgress?.(sweeps, allValues === 0 ? 1 : valuesDone / allValues);
    }
    // The sweep began where the last one ended: its objective, now measured exactly.
    if (sweeps === 1) objectiveBySweep.push(before);
    else objectiveBySweep[sweeps - 1] = before;
    objective = after;

    if (streamStep && solvable(streamStep) && solvedAt.get(streamStep) !== stateOf(streamStep)) {
      solvedAt.set(streamStep, stateOf(streamStep));
      const s = plan.stream!;
      for (let i = 0; i < streamGain.length; i++) streamGain[i]! += constantGain[i]!;
      const clock = performance.now();
      const result = solveAssignment(d, streamGain, { maximize: true, warmStart: prices[s] });
      time.assignment += (performance.now() - clock) / 1000;
      prices[s] = result.columnDuals;
      let gain = 0;
      for (let i = 0; i < d; i++) gain += streamGain[i * d + result.rowToCol[i]!]! - streamGain[i * d + perms[s]![i]!]!;
      if (gain > 0 && gain > tolerance * Math.abs(objective)) {
        perms[s] = result.rowToCol;
        changes[s]!++;
        objective += gain;
      }
    }
    objectiveBySweep.push(objective);
    const report: StreamingSweep = {
      sweep: sweeps,
      objective,
      seconds: (performance.now() - started) / 1000,
      readSeconds: time.read,
      productSeconds: time.product,
      assignmentSeconds: time.assignment,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
    };
    sweepReports.push(report);
    options.onSweepDone?.(report);
  }
  return { perms, details: { sweeps, objective, objectiveBefore: objectiveBySweep[0] ?? 0 }, objectiveBySweep, sweepReports };
}

/**
 * The part's tensors of one checkpoint, as float32. Before each read, what the last part and the
 * last read left (tensors, gains, stored bytes) is freed, so only one tensor's stored bytes are
 * alive beside the part.
 */
async function readPart(source: TensorSource, part: StreamPart, shapes: ReadonlyMap<string, readonly number[]>): Promise<Params> {
  const out = new Map<string, Tensor32>();
  for (const name of part.tensors) {
    collectGarbage();
    out.set(name, { shape: shapes.get(name)!, data: await source.readFloat32(name) });
  }
  return out;
}

/** Group k's gain matrix (units of A as rows, of B as columns): Σ over its (tensor, axis) of A's matricised tensor times B's (every other permutation applied) transposed. */
async function groupGain(layout: SpecLayout, a: Params, b: Params, k: number, perms: readonly Permutation[]): Promise<Float64Array> {
  const n = layout.spec.groups[k]!.size;
  const gain = new Float64Array(n * n);
  await addGroupGain(gain, layout, a, b, k, perms);
  return gain;
}

async function addGroupGain(target: Float64Array, layout: SpecLayout, a: Params, b: Params, k: number, perms: readonly Permutation[]): Promise<void> {
  const group = layout.spec.groups[k]!;
  const heads = group.heads?.count ?? 1;
  for (const entry of group.axes) {
    const { tensor, axis } = entry;
    const repeat = entryRepeat(entry);
    const left = axisMatrix(a.get(tensor)!, axis, { repeat, heads });
    const otherAxis = axisPermutations(layout, tensor, perms)[1 - axis] ?? null;
    const right = transposedView(axisMatrix(b.get(tensor)!, axis, { repeat, heads, otherAxis, permuted: () => permutedTensor(layout, b, tensor, perms, axis) }));
    await accumulateProduct(target, left, right);
  }
}

/** Per axis of `name`, the permutation its group's permutation induces (null: not permuted). */
function axisPermutations(layout: SpecLayout, name: string, perms: readonly Permutation[]): (Permutation | null)[] {
  const groups = layout.axisGroups.get(name);
  const entries = layout.axisEntries.get(name)!;
  if (!groups) return [];
  return groups.map((g, axis) => {
    if (g === null) return null;
    const group = layout.spec.groups[g]!;
    return axisPermutation(group, group.axes[entries[axis]!]!, perms[g]!);
  });
}

/** ⟨A's tensor, π(B's)⟩ in double precision, without a permuted copy where the tensor is a vector or a matrix. */
function permutedDot(layout: SpecLayout, a: Params, b: Params, name: string, perms: readonly Permutation[]): number {
  const [x, y] = [a.get(name)!, b.get(name)!];
  const axes = axisPermutations(layout, name, perms);
  if (axes.every((perm) => !perm)) return dot(x.data, y.data);
  if (x.shape.length > 2) return dot(x.data, permutedTensor(layout, b, name, perms).data);
  const [rows, columns] = x.shape.length === 1 ? [1, x.shape[0]!] : [x.shape[0]!, x.shape[1]!];
  const [rowPerm, columnPerm] = x.shape.length === 1 ? [null, axes[0]] : axes;
  let sum = 0;
  for (let i = 0; i < rows; i++) {
    const [at, from] = [i * columns, (rowPerm ? rowPerm[i]! : i) * columns];
    if (columnPerm) for (let j = 0; j < columns; j++) sum += x.data[at + j]! * y.data[from + columnPerm[j]!]!;
    else for (let j = 0; j < columns; j++) sum += x.data[at + j]! * y.data[from + j]!;
  }
  return sum;
}

/** The part of the objective that depends on the given groups of the part: the tensors they touch, each counted once. */
function stepObjective(layout: SpecLayout, a: Params, b: Params, step: readonly number[], perms: readonly Permutation[]): number {
  const names = new Set(step.flatMap((k) => layout.spec.groups[k]!.axes.map((entry) => entry.tensor)));
  let sum = 0;
  for (const name of names) sum += permutedDot(layout, a, b, name, perms);
  return sum;
}

/** Per group, the groups that share a weight with it (itself included when it permutes two axes of one tensor), as weightMatching counts them. */
function neighbourGroups(spec: PermutationSpec): number[][] {
  const byTensor = new Map<string, { group: number; axis: number }[]>();
  spec.groups.forEach((group, g) => {
    for (const { tensor, axis, statistic } of group.axes) if (!statistic) byTensor.set(tensor, [...(byTensor.get(tensor) ?? []), { group: g, axis }]);
  });
  return spec.groups.map((group) => {
    const found = new Set<number>();
    for (const { tensor, axis, statistic } of group.axes) {
      if (statistic) continue;
      for (const other of byTensor.get(tensor)!) if (other.axis !== axis) found.add(other.group);
    }
    return [...found];
  });
}

/**
 * Before anything is read: A and B list the same tensors with the same shapes, and every axis the
 * spec names has its group's size (specLayout's checks, run on the shapes alone).
 */
function checkHeaders(a: TensorSource, b: TensorSource, spec: PermutationSpec): void {
  const shapesOnly = (source: TensorSource): Params => new Map(source.tensors.map((t) => [t.name, { shape: t.shape, data: new Float32Array(0) }]));
  const [sa, sb] = [shapesOnly(a), shapesOnly(b)];
  for (const [name, t] of sa) {
    const other = sb.get(name);
    if (!other || other.shape.length !== t.shape.length || other.shape.some((x, i) => x !== t.shape[i])) {
      throw new InputError(`'${name}' is [${t.shape.join(', ')}] in A but ${other ? `[${other.shape.join(', ')}]` : 'missing'} in B`);
    }
  }
  specLayout(spec, sa, sb);
}

/**
 * The most memory `streamingWeightMatching` holds at once, in bytes, from the shapes alone (beside
 * the process itself): the largest part's A and B tensors in float32; a tensor's worth of scratch
 * (its stored bytes while they convert, at most 4 a value, or, for a grouped-query axis, the
 * matricised copies of A's and B's tensor and B's permuted one); the gain matrices of the part's
 * largest coordinate (float64); the stream's two d × d float64 matrices; and the product's tiles
 * (three on each side of the backend).
 */
export function streamingMemoryBytes(spec: PermutationSpec, tensors: readonly { readonly name: string; readonly shape: readonly number[] }[]): number {
  const plan = streamingPlan(spec, tensors.map((t) => t.name));
  const elements = new Map(tensors.map((t) => [t.name, t.shape.reduce((x, y) => x * y, 1)]));
  const rank = new Map(tensors.map((t) => [t.name, t.shape.length]));
  // Tensors that axisMatrix copies rather than views.
  const copied = new Set(spec.groups.flatMap((g) => g.axes.filter((e) => entryRepeat(e) > 1 || (rank.get(e.tensor) ?? 0) > 2).map((e) => e.tensor)));
  let largest = 0;
  for (const part of plan.parts) {
    const values = part.tensors.reduce((sum, name) => sum + elements.get(name)!, 0);
    const scratch = Math.max(0, ...part.tensors.map((name) => elements.get(name)! * (copied.has(name) ? 3 : 1)));
    const gains = Math.max(0, ...part.coordinates.map((step) => step.reduce((sum, p) => sum + spec.groups[p]!.size ** 2, 0)));
    largest = Math.max(largest, 4 * (2 * values + scratch) + 8 * gains);
  }
  const d = plan.stream === null ? 0 : spec.groups[plan.stream]!.size;
  return largest + 2 * 8 * d * d + 6 * 4 * TILE_VALUES;
}
