import type { Activation } from '../../shared/compareRequest';

/** Height and width, in that order. */
export type Pair = readonly [number, number];

/**
 * Where a node reads its value: an earlier node's index, or INPUT for the network's input. Nodes
 * are stored in an order where every node comes after what it reads, so one pass computes them.
 */
export const INPUT = -1;

/** y = conv(x, W) + b with W stored [out, in, kh, kw], as PyTorch's Conv2d (groups = 1, no dilation). */
export interface ConvNode {
  readonly op: 'conv2d';
  readonly id: string;
  readonly input: number;
  readonly weight: string;
  readonly bias: string | null;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernel: Pair;
  readonly stride: Pair;
  readonly padding: Pair;
}

/**
 * y = x · Wᵀ + b. W is [out, in], or [out, C, H, W] when the layer reads a flattened C×H×W map:
 * the engine keeps the map's axes apart, so a channel permutation reorders one axis.
 */
export interface LinearNode {
  readonly op: 'linear';
  readonly id: string;
  readonly input: number;
  readonly weight: string;
  readonly bias: string | null;
  readonly inFeatures: number;
  readonly outFeatures: number;
}

/** Per channel: (x − running_mean) / √(running_var + eps) · weight + bias, as BatchNorm1d/2d in eval mode. */
export interface BatchNormNode {
  readonly op: 'batchnorm';
  readonly id: string;
  readonly input: number;
  /** Null when the layer has no affine parameters (affine=False). */
  readonly weight: string | null;
  readonly bias: string | null;
  readonly runningMean: string;
  readonly runningVar: string;
  readonly eps: number;
  readonly channels: number;
}

export interface ActivationNode {
  readonly op: 'activation';
  readonly id: string;
  readonly input: number;
  readonly fn: Activation;
}

/** Max or average pooling without ceil mode; an average pool has no padding (PyTorch counts padded zeros, TensorFlow does not). */
export interface PoolNode {
  readonly op: 'maxpool' | 'avgpool';
  readonly id: string;
  readonly input: number;
  readonly kernel: Pair;
  readonly stride: Pair;
  readonly padding: Pair;
}

/** The mean over every spatial position: C×H×W → C (AdaptiveAvgPool2d(1) followed by flatten). */
export interface GlobalAvgPoolNode {
  readonly op: 'globalavgpool';
  readonly id: string;
  readonly input: number;
}

/** C×H×W → C·H·W in PyTorch's order (channel-major). */
export interface FlattenNode {
  readonly op: 'flatten';
  readonly id: string;
  readonly input: number;
}

/** The sum of two values of one shape: a residual connection. */
export interface AddNode {
  readonly op: 'add';
  readonly id: string;
  readonly inputs: readonly [number, number];
}

/*
 * Transformers. A sequence value is [positions, features] per sample ([N, T, d] on the backend);
 * a linear layer reading a sequence applies to every position. A token model's input is [T]
 * token ids per sample, stored as float32 (exact below 2^24); an id of −1 marks padding
 * (attention_mask 0): its embedding is zero and no attention reads it as a key.
 */

/** Token ids [T] → rows of a table stored [vocab, features] (nn.Embedding). */
export interface EmbeddingNode {
  readonly op: 'embedding';
  readonly id: string;
  readonly input: number;
  readonly weight: string;
  readonly vocab: number;
  readonly features: number;
}

/**
 * Adds a learned table's first T rows to a sequence [T, features]: GPT-2's `wpe` (stored
 * [maxPositions, features]) or a ViT's `pos_embed` (stored [1, maxPositions, features]).
 */
export interface PositionsNode {
  readonly op: 'positions';
  readonly id: string;
  readonly input: number;
  readonly weight: string;
  readonly positions: number;
  readonly features: number;
}

/** Puts a learned token (stored [1, 1, features]: a ViT's `cls_token`) before a sequence: [T, d] → [T + 1, d]. */
export interface PrependTokenNode {
  readonly op: 'prepend';
  readonly id: string;
  readonly input: number;
  readonly weight: string;
  readonly features: number;
}

/** A feature map [C, H, W] read as the sequence of its positions [H·W, C], row by row (a ViT's patch embedding, flattened). */
export interface PatchesNode {
  readonly op: 'patches';
  readonly id: string;
  readonly input: number;
}

/** One position of a sequence: [T, d] → [d] (a ViT's class token before its head). */
export interface TokenNode {
  readonly op: 'token';
  readonly id: string;
  readonly input: number;
  readonly index: number;
}

/**
 * Normalisation over the last axis of every position (or of a flat value):
 * layernorm: (x − mean) / √(var + eps) · weight + bias (nn.LayerNorm, biased variance);
 * rmsnorm: x / √(mean(x²) + eps) · weight (Llama's RMSNorm, bias null).
 */
export interface NormNode {
  readonly op: 'layernorm' | 'rmsnorm';
  readonly id: string;
  readonly input: number;
  readonly weight: string;
  readonly bias: string | null;
  readonly features: number;
  readonly eps: number;
}

/** Rotary position embeddings as Llama applies them (rotate_half: dimension i pairs with i + headSize/2). */
export interface Rotary {
  /** The base of the frequencies: pair i turns by position · theta^(−2i/headSize). */
  readonly theta: number;
}

/**
 * Scaled dot-product attention over the positions of one sequence, from query [T, heads·headSize],
 * key [T, kvHeads·headSize] and value [T, kvHeads·valueSize] to [T, heads·valueSize]; head h
 * reads key/value head ⌊h / (heads / kvHeads)⌋ (grouped-query attention; kvHeads = heads is
 * plain multi-head attention). Scores are scaled by 1/√headSize, causal ones masked to earlier
 * positions, padded keys (id −1 in the input) never read.
 */
export interface AttentionNode {
  readonly op: 'attention';
  readonly id: string;
  readonly inputs: readonly [query: number, key: number, value: number];
  readonly heads: number;
  readonly kvHeads: number;
  readonly headSize: number;
  readonly valueSize: number;
  readonly causal: boolean;
  readonly rotary: Rotary | null;
  /** Whether the network's input is token ids whose padding (−1) masks keys. */
  readonly padding: boolean;
}

/** The elementwise product of two values of one shape: SwiGLU's act(gate) · up. */
export interface MulNode {
  readonly op: 'mul';
  readonly id: string;
  readonly inputs: readonly [number, number];
}

export type NetworkNode =
  | ConvNode
  | LinearNode
  | BatchNormNode
  | ActivationNode
  | PoolNode
  | GlobalAvgPoolNode
  | FlattenNode
  | AddNode
  | EmbeddingNode
  | PositionsNode
  | PrependTokenNode
  | PatchesNode
  | TokenNode
  | NormNode
  | AttentionNode
  | MulNode;

/** A node with weights: what the per-layer barriers, Dim(S) and the matching tables list. */
export type WeightedNode = ConvNode | LinearNode;

/**
 * A feed-forward network as a graph of nodes; the last node's value is the logits. An MLP is a
 * chain of linear and activation nodes; a VGG or ResNet adds convolutions, BatchNorm, pooling and
 * residual additions. Every permutation group, forward pass and measurement is derived from this.
 */
export interface Network {
  readonly kind: 'mlp' | 'conv' | 'transformer';
  /**
   * One sample's shape: [features], [channels, height, width], or [positions] of token ids for a
   * transformer whose first node is an embedding.
   */
  readonly input: readonly number[];
  readonly nodes: readonly NetworkNode[];
}

/** The indices a node reads. */
export function nodeInputs(node: NetworkNode): readonly number[] {
  return node.op === 'add' || node.op === 'mul' || node.op === 'attention' ? node.inputs : [node.input];
}

export function isWeighted(node: NetworkNode): node is WeightedNode {
  return node.op === 'conv2d' || node.op === 'linear';
}

/** Every tensor name a node reads its parameters and statistics from. */
export function nodeTensors(node: NetworkNode): string[] {
  switch (node.op) {
    case 'conv2d':
    case 'linear':
      return [node.weight, ...(node.bias ? [node.bias] : [])];
    case 'batchnorm':
      return [...(node.weight ? [node.weight] : []), ...(node.bias ? [node.bias] : []), node.runningMean, node.runningVar];
    case 'layernorm':
    case 'rmsnorm':
      return [node.weight, ...(node.bias ? [node.bias] : [])];
    case 'embedding':
    case 'positions':
    case 'prepend':
      return [node.weight];
    default:
      return [];
  }
}

/** For every node, the nodes that read it. */
export function consumers(network: Network): number[][] {
  const out = network.nodes.map((): number[] => []);
  network.nodes.forEach((node, i) => {
    for (const input of nodeInputs(node)) if (input !== INPUT) out[input]!.push(i);
  });
  return out;
}

/** The nodes whose value depends on any of `sources` (the sources included), as a mask over nodes. */
export function downstreamOf(network: Network, sources: Iterable<number>): boolean[] {
  const mask = network.nodes.map(() => false);
  for (const s of sources) mask[s] = true;
  network.nodes.forEach((node, i) => {
    if (!mask[i] && nodeInputs(node).some((input) => input !== INPUT && mask[input])) mask[i] = true;
  });
  return mask;
}

/**
 * A weighted layer and the BatchNorm that directly normalises its output (when it is that
 * BatchNorm's only reader): one unit for per-layer barriers, Dim(S) and REPAIR.
 */
export interface LayerUnit {
  readonly node: number;
  readonly batchNorm: number | null;
}

export function layerUnits(network: Network): LayerUnit[] {
  const readers = consumers(network);
  return network.nodes.flatMap((node, i) => {
    if (!isWeighted(node)) return [];
    const only = readers[i]!.length === 1 ? readers[i]![0]! : null;
    return [{ node: i, batchNorm: only !== null && network.nodes[only]!.op === 'batchnorm' ? only : null }];
  });
}

/**
 * What a layer's activations are called in the report: the weighted layer (or residual sum) they
 * come from, seen through BatchNorm, so an MLP's features keep the names of its linear layers.
 */
export function featureName(network: Network, index: number): string {
  const node = network.nodes[index]!;
  if ((node.op === 'activation' || node.op === 'batchnorm') && node.input !== INPUT) return featureName(network, node.input);
  return node.id;
}
