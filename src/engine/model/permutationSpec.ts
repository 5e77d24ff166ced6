/**
 * Which tensor axes each permutation acts on, as plain data: every alignment method, the
 * equivalence check, REPAIR and the exports consume this one structure, and nothing else
 * names an architecture.
 */

/** One tensor axis that a permutation group reorders. */
export interface PermutedAxis {
  readonly tensor: string;
  readonly axis: number;
  /**
   * A BatchNorm running statistic: permuted with its channels, but not a weight, so weight
   * matching, matching costs and unit similarities leave it out.
   */
  readonly statistic?: true;
  /**
   * Grouped-query attention: the axis holds `repeat` copies of each head's units, laid out
   * [heads, repeat, headSize] against the group's [heads, headSize] (query rows and the output
   * projection's columns, where each K/V head serves `repeat` query heads). Unit (h, i) of the
   * group moves all `repeat` entries (h, r, i) together. Absent: 1, the axis is the group's.
   */
  readonly repeat?: number;
}

/**
 * Units that come in heads: the permutation must move whole heads (blocks of size / count
 * consecutive units), optionally reordering units within each head.
 */
export interface HeadStructure {
  readonly count: number;
  /**
   * Whether units may move within a head. Rotary embeddings turn each query/key pair by its own
   * frequency, so no reordering of a head's query/key units keeps the scores: false there.
   */
  readonly withinHead: boolean;
  /**
   * The group that must move its heads the same way (a head's queries and keys with its values
   * and output columns): each names the other.
   */
  readonly partner: string | null;
}

/**
 * A set of units that must be permuted together: for an MLP's hidden layer l, the rows of W_l,
 * the entries of b_l and the columns of W_{l+1}; for a ResNet stage, the channels every block
 * of the stage adds into.
 */
export interface PermutationGroup {
  /** Names the units for people: the first layer whose outputs they are ("fc1", "layers.0", "conv1"). */
  readonly name: string;
  readonly size: number;
  /** Every layer writing into these units, in network order: one for a plain layer, several for a residual stage. */
  readonly layers: readonly string[];
  readonly axes: readonly PermutedAxis[];
  /** Present for attention's groups: which permutations keep the function. */
  readonly heads?: HeadStructure;
}

export interface PermutationSpec {
  readonly groups: readonly PermutationGroup[];
}

/**
 * One permutation per group. Convention (as in Git Re-Basin): permuting B puts B's unit perm[i]
 * at position i, so A's unit i is matched with B's unit perm[i].
 */
export type Permutation = Int32Array;

/**
 * A model described by its channel spaces: every axis of every parameter tensor either lies in
 * a named space of units or in none (e.g. a kernel's spatial axes). Spaces that the model's
 * function does not see from outside (hidden units) are permutable. Convolutions, normalisation
 * layers and residual connections only add annotations: a residual sum makes two layers write
 * into one space, so they share its permutation.
 */
export interface ChannelSpaces {
  readonly spaces: readonly {
    readonly name: string;
    readonly size: number;
    readonly permutable: boolean;
    /** The layers whose outputs lie in the space. */
    readonly layers: readonly string[];
    /** Attention's spaces: whole heads move, with the partner space (an index) moving its heads alike. */
    readonly heads?: { readonly count: number; readonly withinHead: boolean; readonly partner: number };
  }[];
  /**
   * For each parameter tensor, the index of the space each axis lies in, or null; `statistic`
   * marks running statistics; `repeat`, per axis, how many copies of each of the space's units
   * the axis holds (grouped-query attention; absent: 1 everywhere).
   */
  readonly tensors: readonly {
    readonly name: string;
    readonly axes: readonly (number | null)[];
    readonly statistic?: true;
    readonly repeat?: readonly number[];
  }[];
}

/** How many entries of its axis `entry` gives each unit of `group` (GQA's repeated query heads; else 1). */
export function entryRepeat(entry: PermutedAxis): number {
  return entry.repeat ?? 1;
}

/**
 * The permutation of a whole tensor axis that the group's permutation induces on `entry`: the
 * group's own when the axis is the group's, else, for an axis laid out [heads, repeat, headSize],
 * every copy of a unit moving with it.
 */
export function axisPermutation(group: PermutationGroup, entry: PermutedAxis, perm: Permutation): Permutation {
  const repeat = entryRepeat(entry);
  if (repeat === 1) return perm;
  if (!group.heads) throw new Error(`group '${group.name}' repeats units on '${entry.tensor}' but has no heads`);
  const width = group.size / group.heads.count;
  const out = new Int32Array(group.size * repeat);
  for (let unit = 0; unit < group.size; unit++) {
    const [head, i] = [Math.floor(unit / width), unit % width];
    const [from, j] = [Math.floor(perm[unit]! / width), perm[unit]! % width];
    for (let r = 0; r < repeat; r++) out[(head * repeat + r) * width + i] = (from * repeat + r) * width + j;
  }
  return out;
}

/** One group per permutable space, touching every tensor axis that lies in it. */
export function derivePermutationSpec(model: ChannelSpaces): PermutationSpec {
  const axesBySpace = model.spaces.map((): PermutedAxis[] => []);
  for (const tensor of model.tensors) {
    tensor.axes.forEach((space, axis) => {
      if (space === null) return;
      const repeat = tensor.repeat?.[axis] ?? 1;
      axesBySpace[space]!.push({ tensor: tensor.name, axis, ...(tensor.statistic ? { statistic: true as const } : {}), ...(repeat !== 1 ? { repeat } : {}) });
    });
  }
  return {
    groups: model.spaces.flatMap((space, index) => {
      if (!space.permutable) return [];
      const heads = space.heads && { count: space.heads.count, withinHead: space.heads.withinHead, partner: model.spaces[space.heads.partner]!.name };
      return [{ name: space.name, size: space.size, layers: space.layers, axes: axesBySpace[index]!, ...(heads ? { heads } : {}) }];
    }),
  };
}
