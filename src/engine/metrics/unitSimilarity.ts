import type { UnitSimilarity } from '../../shared/unitSimilarity';
import { matrixProduct } from '../alignment/matrixProduct';
import { groupMatrix, specLayout } from '../alignment/specLayout';
import { identityPermutations } from '../model/applyPermutation';
import type { Params } from '../model/params';
import type { Permutation, PermutationSpec } from '../model/permutationSpec';

/**
 * Every A unit against every B unit of group `g`: the cosine of their concatenated slices (the
 * shared `UnitSimilarity`). B's other groups are permuted by `perms` first, so a unit's incoming
 * and outgoing weights line up with A's; group g itself stays in B's numbering, which is what
 * lets the heatmap show where the permutation put each unit. All n² inner products are one
 * float32 matrix product (the same product weight matching solves), so a 4096-wide layer costs
 * one large matmul rather than n² separate dots.
 */
export async function unitSimilarity(
  a: Params,
  b: Params,
  spec: PermutationSpec,
  perms: readonly Permutation[],
  g: number,
  method: string,
): Promise<UnitSimilarity> {
  const group = spec.groups[g];
  if (!group) throw new Error(`group ${g} is outside the spec's ${spec.groups.length} groups`);
  if (perms.length !== spec.groups.length) throw new Error(`${perms.length} permutations for ${spec.groups.length} groups`);
  const layout = specLayout(spec, a, b);
  const n = group.size;
  const width = layout.groupColumns[g]!.width;
  const rowsA = groupMatrix(layout, a, g, identityPermutations(spec), false);
  const columnsB = groupMatrix(layout, b, g, perms, true);
  const normsA = rowNorms(rowsA, n, width);
  const normsB = columnNorms(columnsB, width, n);
  const cosine = await matrixProduct(rowsA, n, width, columnsB, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const scale = normsA[i]! * normsB[j]!;
      // A unit with no weights points nowhere: 0 rather than NaN keeps the heatmap drawable.
      cosine[i * n + j] = scale > 0 ? Math.max(-1, Math.min(1, cosine[i * n + j]! / scale)) : 0;
    }
  }
  return {
    method,
    layer: group.name,
    size: n,
    cosine,
    normsA: Float32Array.from(normsA),
    normsB: Float32Array.from(normsB),
    permutation: Array.from(perms[g]!),
  };
}

/** Euclidean norm of each row of a row-major rows × cols matrix, in double precision. */
function rowNorms(m: Float32Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let c = r * cols; c < (r + 1) * cols; c++) sum += m[c]! * m[c]!;
    out[r] = Math.sqrt(sum);
  }
  return out;
}

/** Euclidean norm of each column, walked row by row so the matrix is read in memory order. */
function columnNorms(m: Float32Array, rows: number, cols: number): Float64Array {
  const sums = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) sums[c]! += m[base + c]! * m[base + c]!;
  }
  return sums.map(Math.sqrt);
}
