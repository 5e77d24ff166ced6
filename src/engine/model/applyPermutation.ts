import type { Params, Tensor32 } from './params';
import { axisPermutation, type Permutation, type PermutationSpec } from './permutationSpec';

/** Reorders one axis of a row-major tensor: out[..., i, ...] = in[..., perm[i], ...]. */
export function permuteAxis(tensor: Tensor32, axis: number, perm: Permutation): Tensor32 {
  const { shape, data } = tensor;
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const size = shape[axis]!;
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  if (perm.length !== size) throw new Error(`permutation of ${perm.length} units applied to an axis of ${size}`);
  const out = new Float32Array(data.length);
  for (let o = 0; o < outer; o++) {
    const base = o * size * inner;
    for (let i = 0; i < size; i++) {
      const from = base + perm[i]! * inner;
      const to = base + i * inner;
      // Short runs (a weight's column axis) copy faster by hand than through subarray views.
      if (inner < 64) for (let k = 0; k < inner; k++) out[to + k] = data[from + k]!;
      else out.set(data.subarray(from, from + inner), to);
    }
  }
  return { shape, data: out };
}

/** π(θ): every tensor axis the spec names reordered by its group's permutation. */
export function applyPermutation(params: Params, spec: PermutationSpec, perms: readonly Permutation[]): Params {
  const out = new Map(params);
  spec.groups.forEach((group, g) => {
    for (const entry of group.axes) {
      const current = out.get(entry.tensor);
      if (!current) throw new Error(`the permutation spec names '${entry.tensor}', which the parameters lack`);
      out.set(entry.tensor, permuteAxis(current, entry.axis, axisPermutation(group, entry, perms[g]!)));
    }
  });
  return out;
}

/** The identity permutation of each group: the naive baseline. */
export function identityPermutations(spec: PermutationSpec): Permutation[] {
  return spec.groups.map((g) => Int32Array.from({ length: g.size }, (_, i) => i));
}

/** The inverse permutation: inverse[perm[i]] = i. */
export function invertPermutation(perm: Permutation): Permutation {
  const inverse = new Int32Array(perm.length);
  perm.forEach((p, i) => (inverse[p] = i));
  return inverse;
}
