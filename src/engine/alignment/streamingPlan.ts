import type { PermutationGroup, PermutationSpec } from '../model/permutationSpec';
import { coordinates } from './weightMatching';

/** Tensors that are held, and solved, together while streaming; see `streamingPlan`. */
export interface StreamPart {
  /** In the checkpoint's order. */
  readonly tensors: readonly string[];
  /** The spec restricted to these tensors: the stream's group (its axes here) first when it has any, then the part's own groups. */
  readonly spec: PermutationSpec;
  /** For each group of `spec`, its index in the whole spec. */
  readonly groups: readonly number[];
  /** The part's own coordinates, as indices into the whole spec's groups (`coordinates`' grouping). */
  readonly coordinates: readonly (readonly number[])[];
  /**
   * Whether its share of the stream's gain depends on no permutation at all (no coordinates of its
   * own, and the stream on at most one axis of each tensor: embeddings, norms, the head), so that
   * share is computed once.
   */
  readonly constantGain: boolean;
}

export interface StreamingPlan {
  /** The stream's group (a transformer's residual stream); null when the spec has no group. */
  readonly stream: number | null;
  /** In the order of their first tensor in the checkpoint. */
  readonly parts: readonly StreamPart[];
  /** Every tensor that is a running statistic: no weight, never read. */
  readonly statistics: ReadonlySet<string>;
}

const weightAxes = (group: PermutationGroup) => group.axes.filter((entry) => !entry.statistic);

/**
 * How a spec splits for streaming. The stream is the coordinate whose group touches the most
 * tensors (a transformer's residual stream touches every block), which must be a single group
 * without heads. The other coordinates join the tensors they touch into parts (connected through
 * shared tensors): given the stream's permutation, a part's coordinates depend on its own tensors
 * alone, so a part can be read, solved and dropped. For a transformer the parts are each block's
 * attention (Q/K and V/O, one coordinate) and each block's MLP; every other tensor (embeddings,
 * norms, the head) is a part of its own with no coordinates.
 */
export function streamingPlan(spec: PermutationSpec, tensorOrder: readonly string[]): StreamingPlan {
  const statistics = new Set(spec.groups.flatMap((g) => g.axes.filter((e) => e.statistic).map((e) => e.tensor)));
  const steps = coordinates(spec);
  const touched = (step: readonly number[]) => new Set(step.flatMap((p) => weightAxes(spec.groups[p]!).map((e) => e.tensor)));
  let streamStep: readonly number[] | null = null;
  let most = -1;
  for (const step of steps) {
    const count = touched(step).size;
    if (count > most) [streamStep, most] = [step, count];
  }
  if (streamStep && (streamStep.length !== 1 || spec.groups[streamStep[0]!]!.heads)) {
    throw new Error(`streaming weight matching needs one stream group touching the most tensors; '${spec.groups[streamStep[0]!]!.name}' comes in heads`);
  }
  const stream = streamStep ? streamStep[0]! : null;

  // Union-find over tensor names, joined by each local coordinate's tensors.
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    const p = parent.get(x) ?? x;
    if (p === x) return x;
    const root = find(p);
    parent.set(x, root);
    return root;
  };
  const locals = steps.filter((step) => step !== streamStep);
  for (const step of locals) {
    const [first, ...rest] = [...touched(step)];
    for (const name of rest) if (first !== undefined && find(name) !== find(first)) parent.set(find(name), find(first));
  }
  const members = new Map<string, string[]>();
  for (const name of tensorOrder) {
    if (statistics.has(name)) continue;
    const root = find(name);
    members.set(root, [...(members.get(root) ?? []), name]);
  }

  const parts = [...members.values()].map((tensors): StreamPart => {
    const inPart = new Set(tensors);
    const own = locals.filter((step) => [...touched(step)].some((name) => inPart.has(name)));
    const streamAxes = stream === null ? [] : weightAxes(spec.groups[stream]!).filter((e) => inPart.has(e.tensor));
    const groups = [...(streamAxes.length > 0 ? [stream!] : []), ...own.flat()];
    const restricted = groups.map((g) => {
      const group = spec.groups[g]!;
      return { ...group, axes: weightAxes(group).filter((e) => inPart.has(e.tensor)) };
    });
    const streamTensors = streamAxes.map((e) => e.tensor);
    return {
      tensors,
      spec: { groups: restricted },
      groups,
      coordinates: own,
      constantGain: own.length === 0 && new Set(streamTensors).size === streamTensors.length,
    };
  });
  return { stream, parts, statistics };
}
