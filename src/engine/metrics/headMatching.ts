import type { HeadMatching, LayerDimension } from '../../shared/compareReport';
import type { UnitSimilarity } from '../../shared/unitSimilarity';
import { headAssignment } from '../alignment/headAssignment';
import { groupMatrix, specLayout } from '../alignment/specLayout';
import { identityPermutations } from '../model/applyPermutation';
import type { Params } from '../model/params';
import type { Permutation, PermutationSpec } from '../model/permutationSpec';
import type { AttentionGroups } from '../model/transformerGroups';
import { participationRatio } from './dimS';
import { unitSimilarity } from './unitSimilarity';

/**
 * Per attention, how alike A's and B's heads are under one alignment, and the head permutation it
 * chose: the unit cosines of the query/key and value/output groups (B's other groups aligned by
 * `perms`), each head pair scored by its best within-head matching (the identity where units may
 * not move within a head) as two-level matching scores it, averaged over the pair's units.
 */
export async function headMatching(a: Params, b: Params, spec: PermutationSpec, perms: readonly Permutation[], attentions: readonly AttentionGroups[], method: string): Promise<HeadMatching[]> {
  const out: HeadMatching[] = [];
  for (const at of attentions) {
    const groups = [at.queryKey, at.valueOutput];
    const sims: UnitSimilarity[] = [];
    for (const g of groups) sims.push(await unitSimilarity(a, b, spec, perms, g, method));
    const heads = spec.groups[at.queryKey]!.heads!;
    const scored = headAssignment(groups.map((g, k) => ({ size: spec.groups[g]!.size, heads: spec.groups[g]!.heads!, scores: Float64Array.from(sims[k]!.cosine) })));
    const units = groups.reduce((sum, g) => sum + spec.groups[g]!.size / heads.count, 0);
    const width = spec.groups[at.queryKey]!.size / heads.count;
    const perm = perms[at.queryKey]!;
    out.push({
      attention: at.attention,
      block: at.block,
      queryKey: spec.groups[at.queryKey]!.name,
      valueOutput: spec.groups[at.valueOutput]!.name,
      count: heads.count,
      permutation: Array.from({ length: heads.count }, (_, h) => Math.floor(perm[h * width]! / width)),
      similarity: Array.from(scored.headToHead, (v) => v / units),
    });
  }
  return out;
}

/**
 * Dim(S) of each attention's heads as points (Ferbach et al.'s participation ratio): a head is the
 * vector of every weight its query/key and value/output units touch, for A and for B alike.
 */
export async function headDimensions(a: Params, b: Params, spec: PermutationSpec, attentions: readonly AttentionGroups[]): Promise<LayerDimension[]> {
  const layout = specLayout(spec, a, b);
  const identity = identityPermutations(spec);
  const dimension = (params: Params, at: AttentionGroups): Promise<number> => {
    const count = spec.groups[at.queryKey]!.heads!.count;
    const parts = [at.queryKey, at.valueOutput].map((g) => ({ matrix: groupMatrix(layout, params, g, identity, false), perHead: (spec.groups[g]!.size / count) * layout.groupColumns[g]!.width }));
    const d = parts.reduce((sum, p) => sum + p.perHead, 0);
    const vectors = new Float32Array(count * d);
    for (let h = 0; h < count; h++) {
      let offset = h * d;
      // A head's units are consecutive rows of its group matrix: one run of perHead values.
      for (const p of parts) {
        vectors.set(p.matrix.subarray(h * p.perHead, (h + 1) * p.perHead), offset);
        offset += p.perHead;
      }
    }
    return participationRatio(vectors, count, d);
  };
  const out: LayerDimension[] = [];
  for (const at of attentions) out.push({ layer: `${at.attention} heads`, a: await dimension(a, at), b: await dimension(b, at) });
  return out;
}
