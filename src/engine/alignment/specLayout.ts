import type { Params, Tensor32 } from '../model/params';
import { axisPermutation, entryRepeat, type Permutation, type PermutationSpec } from '../model/permutationSpec';

/**
 * The spec checked against both models, indexed the ways the methods need: which group permutes
 * each axis of each tensor, and where each (tensor, axis) of a group lands when the group's units
 * are laid out as rows of one matrix (the other axes flattened, entries side by side).
 */
export interface SpecLayout {
  readonly spec: PermutationSpec;
  /** For every tensor a group touches, the group of each axis (null: not permuted). */
  readonly axisGroups: ReadonlyMap<string, readonly (number | null)[]>;
  /** For the same tensors, each axis's entry in its group's `axes` (null: not permuted). */
  readonly axisEntries: ReadonlyMap<string, readonly (number | null)[]>;
  /**
   * Per group: each entry's column offset in the group matrix (null for a running statistic,
   * which the matrix leaves out: it is no weight to match), and the matrix's width.
   */
  readonly groupColumns: readonly { readonly offsets: readonly (number | null)[]; readonly width: number }[];
  /** The tensors that are running statistics. */
  readonly statistics: ReadonlySet<string>;
}

/** Throws unless every axis the spec names exists in A and B with the group's size, and A and B agree in shape. */
export function specLayout(spec: PermutationSpec, a: Params, b: Params): SpecLayout {
  const axisGroups = new Map<string, (number | null)[]>();
  const axisEntries = new Map<string, (number | null)[]>();
  const statistics = new Set<string>();
  const groupColumns = spec.groups.map((group, g) => {
    const offsets: (number | null)[] = [];
    let width = 0;
    for (const [e, entry] of group.axes.entries()) {
      const { tensor, axis, statistic } = entry;
      const repeat = entryRepeat(entry);
      const ta = a.get(tensor);
      const tb = b.get(tensor);
      if (!ta || !tb) throw new Error(`the permutation spec names '${tensor}', which ${ta ? 'B' : 'A'} lacks`);
      if (ta.shape.length !== tb.shape.length || ta.shape.some((d, i) => d !== tb.shape[i])) {
        throw new Error(`'${tensor}' is [${ta.shape.join(', ')}] in A but [${tb.shape.join(', ')}] in B`);
      }
      if (!(axis >= 0 && axis < ta.shape.length) || ta.shape[axis] !== group.size * repeat) {
        throw new Error(`group '${group.name}' of ${group.size} units${repeat === 1 ? '' : ` repeated ${repeat} times`} names axis ${axis} of '${tensor}' [${ta.shape.join(', ')}]`);
      }
      if (repeat !== 1 && !(Number.isSafeInteger(repeat) && repeat > 1 && group.heads && group.size % group.heads.count === 0)) {
        throw new Error(`group '${group.name}' repeats its units ${repeat} times on '${tensor}' without whole heads`);
      }
      const groups = axisGroups.get(tensor) ?? ta.shape.map((): number | null => null);
      const entries = axisEntries.get(tensor) ?? ta.shape.map((): number | null => null);
      if (groups[axis] !== null) throw new Error(`axis ${axis} of '${tensor}' is named twice by the permutation spec`);
      groups[axis] = g;
      entries[axis] = e;
      axisGroups.set(tensor, groups);
      axisEntries.set(tensor, entries);
      if (statistic) {
        statistics.add(tensor);
        offsets.push(null);
        continue;
      }
      offsets.push(width);
      width += group.size === 0 ? 0 : ta.data.length / group.size;
    }
    return { offsets, width };
  });
  return { spec, axisGroups, axisEntries, groupColumns, statistics };
}

/**
 * Writes `tensor` matricised on `axis` (row i = the slice at index i, the other axes flattened in
 * order) into `target`: element (i, c) goes to target[i·rowStride + (columnOffset + c)·columnStride].
 * Strides (width, 1) give the row-major matrix, (1, units) its transpose. With `heads` and a
 * `repeat` above 1, the axis is [heads, repeat, headSize] and row i (unit (h, k) of the group)
 * holds the slices at (h, r, k) for every r, side by side.
 */
export function writeAxisMatrix(
  tensor: Tensor32,
  axis: number,
  target: Float32Array,
  rowStride: number,
  columnStride: number,
  columnOffset: number,
  repeat = 1,
  heads = 1,
): void {
  const { shape, data } = tensor;
  const size = shape[axis]!;
  const units = size / repeat;
  const width = units / heads;
  const inner = shape.slice(axis + 1).reduce((x, y) => x * y, 1);
  const outer = shape.slice(0, axis).reduce((x, y) => x * y, 1);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < units; i++) {
      for (let r = 0; r < repeat; r++) {
        const index = repeat === 1 ? i : (Math.floor(i / width) * repeat + r) * width + (i % width);
        const from = (o * size + index) * inner;
        let to = i * rowStride + (columnOffset + (o * repeat + r) * inner) * columnStride;
        for (let c = 0; c < inner; c++, to += columnStride) target[to] = data[from + c]!;
      }
    }
  }
}

/**
 * `name` from `params` with every permuted axis reordered by its group's permutation, except
 * `skipAxis` (left as stored). All axes are gathered in one pass: permuteAxis on a trailing axis
 * copies one element at a time, which dominates a 2048-wide model's alignment.
 */
export function permutedTensor(
  layout: SpecLayout,
  params: Params,
  name: string,
  perms: readonly Permutation[],
  skipAxis = -1,
): Tensor32 {
  const tensor = params.get(name)!;
  const entries = layout.axisEntries.get(name)!;
  const axisPerms = layout.axisGroups.get(name)!.map((g, axis) => {
    if (g === null || axis === skipAxis) return null;
    const group = layout.spec.groups[g]!;
    return axisPermutation(group, group.axes[entries[axis]!]!, perms[g]!);
  });
  if (axisPerms.every((perm) => perm === null)) return tensor;
  return { shape: tensor.shape, data: gather(tensor.data, tensor.shape, axisPerms) };
}

/**
 * Group p's units as rows (units × width, row-major) or, transposed, as columns (width × units),
 * each (tensor, axis) entry with every permutation applied first except on the entry's own axis:
 * the units in their own numbering, everything they connect to already aligned.
 */
export function groupMatrix(layout: SpecLayout, params: Params, p: number, perms: readonly Permutation[], transpose: boolean): Float32Array {
  const group = layout.spec.groups[p]!;
  const { offsets, width } = layout.groupColumns[p]!;
  const out = new Float32Array(group.size * width);
  group.axes.forEach((entry, e) => {
    const offset = offsets[e];
    if (offset === null || offset === undefined) return;
    const { tensor, axis } = entry;
    const source = permutedTensor(layout, params, tensor, perms, axis);
    const repeat = entryRepeat(entry);
    const heads = group.heads?.count ?? 1;
    if (transpose) writeAxisMatrix(source, axis, out, 1, group.size, offset, repeat, heads);
    else writeAxisMatrix(source, axis, out, width, 1, offset, repeat, heads);
  });
  return out;
}

/** π(params) for every tensor the spec touches; the others are shared, not copied. */
export function permutedParams(layout: SpecLayout, params: Params, perms: readonly Permutation[]): Params {
  const out = new Map(params);
  for (const name of layout.axisGroups.keys()) out.set(name, permutedTensor(layout, params, name, perms));
  return out;
}

/** out[i_0, ..., i_k] = data[perm_0[i_0], ..., perm_k[i_k]], a null permutation meaning the identity. */
function gather(data: Float32Array, shape: readonly number[], perms: readonly (Permutation | null)[]): Float32Array {
  const out = new Float32Array(data.length);
  const last = shape.length - 1;
  const strides = shape.map((_, axis) => shape.slice(axis + 1).reduce((x, y) => x * y, 1));
  let to = 0;
  const walk = (axis: number, from: number): void => {
    const perm = perms[axis];
    const size = shape[axis]!;
    if (axis === last) {
      if (perm) for (let i = 0; i < size; i++) out[to++] = data[from + perm[i]!]!;
      else for (let i = 0; i < size; i++) out[to++] = data[from + i]!;
      return;
    }
    const stride = strides[axis]!;
    for (let i = 0; i < size; i++) walk(axis + 1, from + (perm ? perm[i]! : i) * stride);
  };
  walk(0, 0);
  return out;
}

/** ⟨x, y⟩ in double precision. */
export function dot(x: Float32Array, y: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i]! * y[i]!;
  return sum;
}
