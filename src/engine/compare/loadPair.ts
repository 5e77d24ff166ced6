import type { SampleShape } from '../architecture/inputShape';
import { networkLayout, readNetwork, type LoadedNetwork, type NetworkLayout } from '../architecture/loadNetwork';
import type { Checkpoint, TensorData } from '../formats/checkpoint';
import { openCheckpoint } from '../formats/openCheckpoint';
import { FormatError } from '../io/formatError';
import type { Activation } from '../../shared/compareRequest';
import { nodeTensors, type Network, type NetworkNode } from '../model/network';
import type { Params, Tensor32 } from '../model/params';
import type { CheckpointSummary } from '../../shared/compareReport';

export interface ModelOptions {
  /** The activation of inferred networks, which checkpoints do not store. */
  readonly activation: Activation;
  /** An architecture description for both checkpoints; absent: each one's own beside it, else inference. */
  readonly description?: string | null;
  /** One data sample's shape, for the input size. */
  readonly sample?: SampleShape | null;
  /** A transformer's number of attention heads, given as a flag (see NetworkOptions). */
  readonly heads?: number | null;
}

/** How B stores one tensor, so that exports give it back as it was. */
export interface StoredAs {
  readonly name: string;
  readonly shape: readonly number[];
  /** A linear kernel stored [in, out] (TensorFlow, JAX, GPT-2's Conv1D). */
  readonly transposed: boolean;
  /** This tensor is one part of the stored one (packed query, key and value): rows part·n… of its [out, in] layout. */
  readonly packed?: { readonly part: number; readonly parts: number };
}

/** A checkpoint's network as its header states it, before any value is read. */
export interface HeaderNetwork {
  readonly network: Network;
  readonly shapeOf: (name: string) => readonly number[];
}

/** Called with A's and B's networks once both headers are read, before any tensor's values: throwing refuses the pair. */
export type PairCheck = (networks: readonly [HeaderNetwork, HeaderNetwork]) => void;

export interface CheckpointPair {
  /** A's network, under A's tensor names. */
  readonly network: Network;
  readonly a: LoadedNetwork;
  /** B's parameters under A's tensor names (layers matched by position), so one spec serves both. */
  readonly b: { readonly params: Params };
  /** For each of A's tensor names, B's own name and layout. */
  readonly bStored: ReadonlyMap<string, StoredAs>;
  /** B's BatchNorm step counters, which exports carry over unchanged. */
  readonly bCounters: readonly (TensorData & { readonly name: string })[];
  /** B's stored duplicates (a tied head saved under both names) → B's name of the tensor they copy: exports write both. */
  readonly bAliases: ReadonlyMap<string, string>;
  readonly summaries: { readonly a: CheckpointSummary; readonly b: CheckpointSummary };
}

/** Both checkpoints' networks from their headers, then `beforeReading` (which may refuse), then their values. */
async function readBoth(fileA: string, fileB: string, options: ModelOptions, beforeReading: PairCheck | undefined) {
  const checkpointA = await openCheckpoint(fileA);
  try {
    const checkpointB = await openCheckpoint(fileB);
    try {
      const checkpoints = [checkpointA, checkpointB] as const;
      const layouts = await Promise.all(checkpoints.map((c) => networkLayout(c, options)));
      beforeReading?.(layouts.map((layout, k) => ({ network: layout.network, shapeOf: (name: string) => storedShape(checkpoints[k]!, layout, name) })) as [HeaderNetwork, HeaderNetwork]);
      return await Promise.all(
        checkpoints.map(async (checkpoint, k) => ({
          loaded: await readNetwork(checkpoint, options, layouts[k]),
          format: checkpoint.format,
          shapes: new Map(checkpoint.tensors.map((t) => [t.name, t.shape])),
        })),
      );
    } finally {
      await checkpointB.close();
    }
  } finally {
    await checkpointA.close();
  }
}

/** A tensor's shape from the header; a packed part's is its share of the stored tensor's rows. */
function storedShape(checkpoint: Checkpoint, layout: NetworkLayout, name: string): readonly number[] {
  const slice = layout.packed.get(name);
  if (!slice) return checkpoint.info(name).shape;
  const size = checkpoint.info(slice.stored).shape.reduce((x, y) => x * y, 1);
  return [size / slice.parts];
}

const shapeText = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/** What a node's tensors are for, so A's and B's can be paired whatever their names. */
function roles(node: NetworkNode): [string, string][] {
  if (node.op === 'batchnorm') {
    return [['weight', node.weight], ['bias', node.bias], ['running mean', node.runningMean], ['running variance', node.runningVar]].filter((r): r is [string, string] => r[1] !== null);
  }
  if (node.op === 'conv2d' || node.op === 'linear' || node.op === 'layernorm' || node.op === 'rmsnorm') {
    return [['weight', node.weight], ...(node.bias ? [['bias', node.bias] as [string, string]] : [])];
  }
  if (node.op === 'embedding' || node.op === 'positions' || node.op === 'prepend') return [['table', node.weight]];
  return [];
}

/** A layer's shape-defining settings and connections, without names: what A and B must agree on. */
function structure(node: NetworkNode): string {
  const { id: _id, ...rest } = node;
  const names = new Set(nodeTensors(node));
  return JSON.stringify(Object.fromEntries(Object.entries(rest).filter(([, v]) => !(typeof v === 'string' && names.has(v)) && v !== null)));
}

function describeNode(node: NetworkNode): string {
  return node.op === 'activation' ? node.fn : node.op;
}

/**
 * Reads both checkpoints and checks they hold one architecture, naming the first layer or tensor
 * that differs. Names may differ (a PyTorch A against a TensorFlow.js B): layers are matched by
 * position in the network. `beforeReading` sees both networks once the headers are read, before
 * any tensor's values (the comparison's memory check).
 */
export async function loadCheckpointPair(fileA: string, fileB: string, options: ModelOptions, beforeReading?: PairCheck): Promise<CheckpointPair> {
  const [a, b] = await readBoth(fileA, fileB, options, beforeReading);
  const na = a.loaded.network.nodes;
  const nb = b.loaded.network.nodes;
  const weighted = (nodes: readonly NetworkNode[]) => nodes.filter((n) => n.op === 'linear' || n.op === 'conv2d').length;
  const kinds = (nodes: readonly NetworkNode[]) => (nodes.some((n) => n.op === 'conv2d') ? 'layers with weights' : 'linear layers');
  if (weighted(na) !== weighted(nb)) {
    throw new FormatError(fileB, `has ${weighted(nb)} ${kinds(nb)} but ${fileA} has ${weighted(na)}; the two checkpoints must share one architecture`);
  }
  if (na.length !== nb.length || a.loaded.network.input.join() !== b.loaded.network.input.join()) {
    throw new FormatError(fileB, `has a network of ${nb.length} layers on ${b.loaded.network.input.join('×')} inputs but ${fileA} has ${na.length} on ${a.loaded.network.input.join('×')}; the two checkpoints must share one architecture`);
  }
  const params = new Map<string, Tensor32>();
  const bStored = new Map<string, StoredAs>();
  na.forEach((la, i) => {
    const lb = nb[i]!;
    const ra = roles(la);
    const rb = roles(lb);
    if (la.op !== lb.op || (la.op === 'activation' && lb.op === 'activation' && la.fn !== lb.fn)) {
      throw new FormatError(fileB, `layer '${lb.id}' is a ${describeNode(lb)} where ${fileA} has a ${describeNode(la)} ('${la.id}'); the two checkpoints must share one architecture`);
    }
    if (ra.length !== rb.length || ra.some(([role], k) => role !== rb[k]![0])) {
      throw new FormatError(fileB, `layer '${lb.id}' has ${rb.map(([r]) => r).join(', ')} but its counterpart '${la.id}' in A has ${ra.map(([r]) => r).join(', ')}`);
    }
    ra.forEach(([, nameA], k) => {
      const nameB = rb[k]![1];
      const ta = a.loaded.params.get(nameA)!;
      const tb = b.loaded.params.get(nameB)!;
      if (ta.shape.join() !== tb.shape.join()) {
        throw new FormatError(fileB, `tensor '${nameB}' is ${shapeText(tb.shape)} but its counterpart '${nameA}' in A is ${shapeText(ta.shape)}; the two checkpoints must share one architecture`);
      }
      params.set(nameA, tb);
      const slice = b.loaded.packed.get(nameB);
      const stored = slice?.stored ?? nameB;
      bStored.set(nameA, { name: stored, shape: b.shapes.get(stored)!, transposed: b.loaded.transposed.has(stored), ...(slice ? { packed: { part: slice.part, parts: slice.parts } } : {}) });
    });
    if (structure(la) !== structure(lb)) {
      throw new FormatError(fileB, `layer '${lb.id}' (${structure(lb)}) is not laid out as its counterpart '${la.id}' in A (${structure(la)}); the two checkpoints must share one architecture`);
    }
  });
  return {
    network: a.loaded.network,
    a: a.loaded,
    b: { params },
    bStored,
    bCounters: b.loaded.counterValues,
    bAliases: b.loaded.aliases,
    summaries: { a: { file: fileA, format: a.format }, b: { file: fileB, format: b.format } },
  };
}
