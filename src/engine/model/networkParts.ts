import { consumers, isWeighted, layerUnits, nodeInputs, type Network } from './network';

/**
 * A part of a network that the per-layer barriers interpolate alone, the rest held at A: a layer
 * with weights and its BatchNorm, or, in a transformer, the embeddings, each block's attention and
 * MLP sub-layers, each whole block, and the final norm with the head.
 */
export interface NetworkPart {
  /** What the report calls it: the layer's id, or the sub-layer's, block's or head's. */
  readonly name: string;
  readonly kind: 'layer' | 'embeddings' | 'attention' | 'mlp' | 'block' | 'head';
  /** The nodes whose tensors it interpolates, in network order. */
  readonly nodes: readonly number[];
  /** The block a sub-layer belongs to; null for the others. */
  readonly block: string | null;
}

/**
 * A transformer's residual stream as its blocks read it: the value each attention block's norm
 * reads, and the value the final norm reads, in network order (after the embeddings, then after
 * each block). Empty for other networks.
 */
export function blockBoundaries(network: Network): number[] {
  if (network.kind !== 'transformer') return [];
  const readers = consumers(network);
  const norms = network.nodes.flatMap((node, i) => (node.op === 'layernorm' || node.op === 'rmsnorm' ? [i] : []));
  const feedsAttention = (norm: number) => readers[norm]!.some((r) => readers[r]!.some((q) => network.nodes[q]!.op === 'attention'));
  const read = norms.filter((n, k) => feedsAttention(n) || k === norms.length - 1).map((n) => nodeInputs(network.nodes[n]!)[0]!);
  return [...new Set(read)].sort((x, y) => x - y);
}

/**
 * Where LLFC compares features: every activation (an MLP's hidden layers, every ReLU of a
 * convolutional network); in a transformer, each MLP's hidden units as the down projection reads
 * them (SwiGLU: the product the activation feeds) and the residual stream after each block.
 */
export function llfcPoints(network: Network): number[] {
  const readers = consumers(network);
  const activations = network.nodes.flatMap((node, i) => (node.op === 'activation' ? [hiddenOutput(network, readers, i)] : []));
  return [...new Set([...activations, ...blockBoundaries(network).slice(1)])].sort((x, y) => x - y);
}

/** The value that carries an activation's units on: the activation's own, or the SwiGLU product it feeds (`readers`: `consumers(network)`). */
export function hiddenOutput(network: Network, readers: readonly (readonly number[])[], activation: number): number {
  const only = readers[activation]!.length === 1 ? readers[activation]![0]! : null;
  return only !== null && network.nodes[only]!.op === 'mul' ? only : activation;
}

/** The parts per-layer barriers measure, in network order (a transformer's block after its two sub-layers). */
export function networkParts(network: Network): NetworkPart[] {
  const boundaries = blockBoundaries(network);
  if (boundaries.length < 2) {
    return layerUnits(network).map((unit) => ({
      name: network.nodes[unit.node]!.id,
      kind: 'layer',
      nodes: unit.batchNorm === null ? [unit.node] : [unit.node, unit.batchNorm],
      block: null,
    }));
  }
  const withTensors = (from: number, to: number): number[] => {
    const out: number[] = [];
    for (let i = from; i < to; i++) {
      const op = network.nodes[i]!.op;
      if (isWeighted(network.nodes[i]!) || op === 'layernorm' || op === 'rmsnorm' || op === 'embedding' || op === 'positions' || op === 'prepend') out.push(i);
    }
    return out;
  };
  const parts: NetworkPart[] = [{ name: 'embeddings', kind: 'embeddings', nodes: withTensors(0, boundaries[0]! + 1), block: null }];
  for (let k = 0; k + 1 < boundaries.length; k++) {
    const [start, end] = [boundaries[k]! + 1, boundaries[k + 1]! + 1];
    const block = network.nodes[end - 1]!.id;
    // The attention sub-layer runs to the first residual sum after the block's start; the MLP is the rest.
    let split = start;
    while (split < end && network.nodes[split]!.op !== 'add') split++;
    const attention = network.nodes.slice(start, split).findIndex((node) => node.op === 'attention');
    const mlp = withTensors(split + 1, end);
    const prefix = commonPrefix(mlp.filter((i) => isWeighted(network.nodes[i]!)).map((i) => network.nodes[i]!.id));
    parts.push({ name: attention < 0 ? `${block} attention` : network.nodes[start + attention]!.id, kind: 'attention', nodes: withTensors(start, split + 1), block });
    parts.push({ name: prefix !== '' && prefix !== block ? prefix : `${block} MLP`, kind: 'mlp', nodes: mlp, block });
    parts.push({ name: block, kind: 'block', nodes: withTensors(start, end), block: null });
  }
  const last = boundaries[boundaries.length - 1]! + 1;
  const head = withTensors(last, network.nodes.length);
  parts.push({ name: network.nodes[network.nodes.length - 1]!.id, kind: 'head', nodes: head, block: null });
  return parts;
}

/** The dotted prefix every id shares ('model.layers.0.mlp' for its gate, up and down projections). */
function commonPrefix(ids: readonly string[]): string {
  if (ids.length === 0) return '';
  let parts = ids[0]!.split('.');
  for (const id of ids.slice(1)) {
    const other = id.split('.');
    let k = 0;
    while (k < parts.length && k < other.length && parts[k] === other[k]) k++;
    parts = parts.slice(0, k);
  }
  return ids.length === 1 ? ids[0]!.split('.').slice(0, -1).join('.') : parts.join('.');
}
