import { consumers, type Network } from './network';
import { networkParts } from './networkParts';
import { channelSpacesWithValues } from './networkSpaces';
import type { PermutationSpec } from './permutationSpec';

export type GroupRole = 'residual' | 'mlp' | 'query-key' | 'value-output';

/** One attention and the indices of its two head-structured groups in the spec. */
export interface AttentionGroups {
  readonly attention: string;
  readonly block: string;
  readonly queryKey: number;
  readonly valueOutput: number;
}

export interface TransformerGroups {
  /** Per group of the spec: its role and block (null for the residual stream). */
  readonly groups: readonly { readonly role: GroupRole; readonly block: string | null }[];
  /** Per attention, in network order. */
  readonly attentions: readonly AttentionGroups[];
}

/**
 * What each permutation group of a transformer is: the residual stream (the space its embedding,
 * or a ViT's patch convolution, writes), an attention's query/key or value/output units (the spaces of its key and value
 * inputs), or an MLP's hidden units (a space an activation reads), each with its block. Null for
 * other networks.
 */
export function transformerGroups(network: Network, spec: PermutationSpec): TransformerGroups | null {
  if (network.kind !== 'transformer') return null;
  const { spaces, values } = channelSpacesWithValues(network);
  const groupOf = (node: number): number => spec.groups.findIndex((g) => g.name === spaces.spaces[values[node]!]!.name);
  const parts = networkParts(network);
  const blockOf = (node: number): string | null => parts.find((p) => p.block !== null && p.nodes.includes(node))?.block ?? null;
  const roles = spec.groups.map((): { role: GroupRole; block: string | null } | null => null);
  const attentions: AttentionGroups[] = [];
  const readers = consumers(network);
  network.nodes.forEach((node, i) => {
    if (node.op === 'embedding' || node.op === 'patches') {
      const g = groupOf(i);
      if (g >= 0) roles[g] = { role: 'residual', block: null };
    } else if (node.op === 'attention') {
      const [queryKey, valueOutput] = [groupOf(node.inputs[1]), groupOf(node.inputs[2])];
      // The block is the one holding the attention's output projection, the node reading its value.
      const block = blockOf(readers[i]![0] ?? i) ?? node.id;
      roles[queryKey] = { role: 'query-key', block };
      roles[valueOutput] = { role: 'value-output', block };
      attentions.push({ attention: node.id, block, queryKey, valueOutput });
    } else if (node.op === 'activation') {
      const g = groupOf(i);
      // The activation has no tensors, so no part lists it: its block is the one of the layer it reads.
      if (g >= 0 && !roles[g]) roles[g] = { role: 'mlp', block: blockOf(node.input) };
    }
  });
  const missing = roles.findIndex((r) => r === null);
  if (missing >= 0) throw new Error(`the transformer's group '${spec.groups[missing]!.name}' is neither its residual stream, an attention's nor an MLP's`);
  return { groups: roles as { role: GroupRole; block: string | null }[], attentions };
}
