import { basename } from 'node:path';
import type { Checkpoint, TensorData, TensorInfo } from '../formats/checkpoint';
import { readJsonObjectFile } from '../formats/strictJson';
import { FormatError } from '../io/formatError';
import type { Activation } from '../../shared/compareRequest';
import { INPUT, nodeTensors, type Network } from '../model/network';
import { valueShapes } from '../model/networkShapes';
import { flattenedMap } from '../model/networkSpaces';
import type { Params, Tensor32 } from '../model/params';
import { descriptionBeside } from './descriptionFiles';
import { DESCRIPTION_FORMAT, parseDescription, resolveDescription, type Description, type DescriptionLayer } from './description';
import { inferMlpLayout } from './inferMlp';
import { inferResnet, looksLikeResnet } from './inferResnet';
import { inferSequential } from './inferSequential';
import { spatialInput, type SampleShape } from './inputShape';
import { isBatchCounter, stateDictModules } from './stateDictModules';

export interface NetworkOptions {
  /** The activation of inferred networks (checkpoints do not store it); a description names its own. */
  readonly activation: Activation;
  /** A description file to use; absent or null: `CKPT.arch.json` beside the checkpoint if there is one, else inference. */
  readonly description?: string | null;
  /** One data sample's shape, which the input size is taken from (absent: the description's, or a default where any size works). */
  readonly sample?: SampleShape | null;
}

/** The input a network with global pooling is given when no data or shape says otherwise: only the equivalence check sees it. */
const DEFAULT_SIDE = 32;
const MAX_DESCRIPTION_BYTES = 16 << 20;

/** A checkpoint's network, known from its header (and a description file) alone. */
export interface NetworkLayout {
  readonly network: Network;
  readonly description: Description;
  /** The description file that stated the layout, or null when it was inferred. */
  readonly descriptionFile: string | null;
  /** What inference assumed, for the user. */
  readonly notes: readonly string[];
  /** Linear weights stored [in, out] (TensorFlow, JAX kernels). */
  readonly transposed: ReadonlySet<string>;
  /** BatchNorm step counters: no part of the function, carried to exports as they are. */
  readonly counters: readonly string[];
}

export interface LoadedNetwork extends NetworkLayout {
  /** Float32, in the engine's layout: linear weights [out, in], or [out, C, H, W] after a flattened map. */
  readonly params: Params;
  /** The counters' stored values. */
  readonly counterValues: readonly (TensorData & { readonly name: string })[];
}

/**
 * The network a checkpoint holds: as a description file states it (given, or beside the
 * checkpoint), else inferred from the tensors' names and shapes (an MLP, a VGG-style stack, a
 * ResNet). Every tensor must be used, BatchNorm's step counters aside.
 */
export async function networkLayout(checkpoint: Checkpoint, options: NetworkOptions): Promise<NetworkLayout> {
  const file = checkpoint.file;
  const counters = checkpoint.tensors.filter((t) => isBatchCounter(t.name)).map((t) => t.name);
  const tensors = checkpoint.tensors.filter((t) => !isBatchCounter(t.name));
  const descriptionFile = options.description ?? descriptionBeside(file);
  let description: Description;
  let notes: readonly string[] = [];
  let input: readonly number[];
  if (descriptionFile !== null) {
    description = parseDescription(descriptionFile, await readJsonObjectFile(descriptionFile, MAX_DESCRIPTION_BYTES, 'architecture description'));
    input = description.input ?? descriptionInput(descriptionFile, description, tensors, options.sample ?? null);
  } else {
    ({ description, notes } = inferDescription(checkpoint, tensors, options));
    input = description.input!;
  }
  const where = descriptionFile ?? file;
  const resolved = resolveDescription(where, description, tensors, input);
  const unused = tensors.filter((t) => !resolved.used.has(t.name));
  if (unused.length > 0) {
    const list = unused.slice(0, 4).map((t) => `'${t.name}' [${t.shape.join(', ')}]`).join(', ');
    throw new FormatError(where, `${descriptionFile ? `describes a network that leaves ${basename(file)}'s tensors` : 'holds tensors no inferred layer uses:'} ${list}${unused.length > 4 ? ', …' : ''}${descriptionFile ? ' unused' : ''}`);
  }
  const shapes = valueShapes(resolved.network);
  if (!description.input && options.sample == null && resolved.network.input.length === 3 && hasSpatialFlatten(resolved.network, shapes)) {
    throw new FormatError(where, 'flattens a feature map, so its input size matters: give the evaluation data or the input shape (--input-shape, or "input" in the description)');
  }
  return { network: resolved.network, description: { ...description, input: resolved.network.input }, descriptionFile, notes, transposed: resolved.transposed, counters };
}

function inferDescription(checkpoint: Checkpoint, tensors: readonly TensorInfo[], options: NetworkOptions): { description: Description; notes: readonly string[] } {
  const file = checkpoint.file;
  const structured = tensors.some((t) => t.shape.length === 4 || /(^|\.)running_mean$/.test(t.name));
  if (!structured) {
    const layout = inferMlpLayout(file, tensors);
    const layers: DescriptionLayer[] = layout.layers.flatMap((layer, l) => [
      { id: layer.name, op: 'linear' as const, weight: layer.weight, bias: layer.bias, ...(layer.layout === 'in-out' ? { layout: 'in-out' as const } : {}) },
      ...(l < layout.layers.length - 1 ? [{ id: `${layer.name}.${options.activation}`, op: options.activation }] : []),
    ]);
    return { description: { format: DESCRIPTION_FORMAT, version: 1, input: [layout.layers[0]!.inFeatures], layers }, notes: [] };
  }
  const modules = stateDictModules(file, tensors);
  if (looksLikeResnet(modules)) {
    const stem = modules.find((m) => m.prefix === 'conv1' && m.kind === 'conv');
    const channels = stem?.shape[1] ?? 3;
    const sample = options.sample ?? null;
    const input = sample ? spatialInput(channels, sample) : [channels, DEFAULT_SIDE, DEFAULT_SIDE];
    const inferred = inferResnet(file, modules, input, options.activation);
    return sample ? inferred : { ...inferred, notes: [...inferred.notes, `no data: an input of ${input.join('×')} is assumed (global pooling makes any size work)`] };
  }
  const first = modules.find((m) => m.kind === 'conv');
  const input = first ? (options.sample ? spatialInput(first.shape[1]!, options.sample) : null) : [modules.find((m) => m.kind === 'linear')?.shape[1] ?? 0];
  return inferSequential(file, tensors, modules, input, options.activation);
}

/** The input of a description that states none: from its first layer's tensor and the data. */
function descriptionInput(file: string, description: Description, tensors: readonly TensorInfo[], sample: SampleShape | null): number[] {
  const first = description.layers.find((l) => l.op !== 'add' && (l.input === undefined || l.input === 'input'))!;
  if (first.op !== 'conv2d' && first.op !== 'linear') {
    throw new FormatError(file, `states no "input" and its first layer '${first.id}' is not a convolution or linear layer to take the input size from`);
  }
  const name = first.weight ?? `${first.id}.weight`;
  const weight = tensors.find((t) => t.name === name);
  if (!weight) throw new FormatError(file, `layer '${first.id}' needs tensor '${name}', which the checkpoint lacks`);
  if (first.op === 'linear') return [first.layout === 'in-out' ? weight.shape[0]! : weight.shape[1]!];
  const channels = weight.shape[1]!;
  return sample ? spatialInput(channels, sample) : [channels, DEFAULT_SIDE, DEFAULT_SIDE];
}

function hasSpatialFlatten(network: Network, shapes: readonly (readonly number[])[]): boolean {
  return network.nodes.some((node, i) => node.op === 'flatten' && (node.input === INPUT ? network.input : shapes[node.input]!).length === 3 && shapes[i]!.length === 1);
}

/** Counts NaN and infinite values, for the refusal message. */
function nonFiniteCount(data: Float32Array): number {
  let n = 0;
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) n++;
  return n;
}

function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}

/**
 * Reads the network's parameters into the engine's layout under the file's own tensor names
 * (`known`: the checkpoint's layout, already worked out).
 * NaN or infinite values are refused: no measurement would mean anything.
 */
export async function readNetwork(checkpoint: Checkpoint, options: NetworkOptions, known?: NetworkLayout): Promise<LoadedNetwork> {
  const layout = known ?? (await networkLayout(checkpoint, options));
  const { network } = layout;
  const shapes = valueShapes(network);
  const params = new Map<string, Tensor32>();
  for (const node of network.nodes) {
    for (const name of nodeTensors(node)) {
      const info = checkpoint.info(name);
      let data = await checkpoint.readFloat32(name);
      let shape = [...info.shape];
      if (node.op === 'linear' && name === node.weight) {
        if (layout.transposed.has(name)) data = transpose(data, node.inFeatures, node.outFeatures);
        const map = flattenedMap(network, shapes, node.input);
        shape = map ? [node.outFeatures, ...map] : [node.outFeatures, node.inFeatures];
      }
      const bad = nonFiniteCount(data);
      if (bad > 0) throw new FormatError(checkpoint.file, `tensor '${name}' holds ${bad} NaN or infinite value${bad === 1 ? '' : 's'}; the network cannot be compared`);
      params.set(name, { shape, data });
    }
  }
  const counterValues = [];
  for (const name of layout.counters) counterValues.push({ name, ...(await checkpoint.read(name)) });
  return { ...layout, params, counterValues };
}
