import { basename } from 'node:path';
import type { Checkpoint, TensorData, TensorInfo } from '../formats/checkpoint';
import { readJsonObjectFile, type JsonObject } from '../formats/strictJson';
import { FormatError, clip } from '../io/formatError';
import type { Activation } from '../../shared/compareRequest';
import { INPUT, nodeTensors, type Network, type NetworkNode } from '../model/network';
import { valueShapes } from '../model/networkShapes';
import { flattenedMap } from '../model/networkSpaces';
import type { Params, Tensor32 } from '../model/params';
import { descriptionBeside } from './descriptionFiles';
import { describeNetwork, DESCRIPTION_FORMAT, parseDescription, resolveDescription, type Description, type DescriptionLayer } from './description';
import { inferTransformer, transformerFamily, type PackedSlice, type TransformerFamily } from './inferTransformer';
import { inferMlpLayout } from './inferMlp';
import { inferResnet, looksLikeResnet } from './inferResnet';
import { inferSequential } from './inferSequential';
import { spatialInput, type SampleShape } from './inputShape';
import { isBatchCounter, stateDictModules } from './stateDictModules';
import { readTransformerConfig } from './transformerConfig';

export interface NetworkOptions {
  /** The activation of inferred networks (checkpoints do not store it); a description names its own. */
  readonly activation: Activation;
  /** A description file to use; absent or null: `CKPT.arch.json` beside the checkpoint if there is one, else inference. */
  readonly description?: string | null;
  /** One data sample's shape, which the input size is taken from (absent: the description's, or a default where any size works). */
  readonly sample?: SampleShape | null;
  /** A transformer's number of attention heads, given as a flag: it wins over config.json and the description's "config". */
  readonly heads?: number | null;
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
  /**
   * Virtual tensors that are parts of one stored tensor (a transformer's packed query, key and
   * value: `NAME:q`, `NAME:k`, `NAME:v`), each with the stored tensor and its part.
   */
  readonly packed: ReadonlyMap<string, PackedSlice>;
  /** Stored tensors that duplicate one the network reads (a tied head saved under both names) → that tensor; checked equal on reading. */
  readonly aliases: ReadonlyMap<string, string>;
}

export interface LoadedNetwork extends NetworkLayout {
  /**
   * Float32, in the engine's layout: linear weights [out, in], or [out, C, H, W] after a flattened
   * map; packed parts as their own [out, in] tensors; a position table [positions, features] and a
   * class token [features] whatever extra leading 1s they are stored with.
   */
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
    if (description.config) {
      const family = transformerFamily(file, tensors);
      if (!family) throw new FormatError(descriptionFile, `states a transformer's "config", but ${basename(file)}'s tensor names follow none of the transformer layouts read (GPT-2, Llama, ViT in timm's or Hugging Face's naming)`);
      return transformerLayout(checkpoint, tensors, counters, family, { descriptionFile, description, config: description.config }, options);
    }
    input = description.input ?? descriptionInput(descriptionFile, description, tensors, options.sample ?? null);
  } else {
    const family = transformerFamily(file, tensors);
    if (family) return transformerLayout(checkpoint, tensors, counters, family, null, options);
    ({ description, notes } = inferDescription(checkpoint, tensors, options));
    input = description.input!;
  }
  const where = descriptionFile ?? file;
  const resolved = resolveDescription(where, description, tensors, input);
  const unused = tensors.filter((t) => !resolved.used.has(t.name));
  if (unused.length > 0) {
    const list = unused.slice(0, 4).map((t) => `'${clip(t.name)}' [${clip(t.shape.join(', '))}]`).join(', ');
    throw new FormatError(where, `${descriptionFile ? `describes a network that leaves ${basename(file)}'s tensors` : 'holds tensors no inferred layer uses:'} ${list}${unused.length > 4 ? ', …' : ''}${descriptionFile ? ' unused' : ''}`);
  }
  const shapes = valueShapes(resolved.network);
  if (!description.input && options.sample == null && resolved.network.input.length === 3 && hasSpatialFlatten(resolved.network, shapes)) {
    throw new FormatError(where, 'flattens a feature map, so its input size matters: give the evaluation data or the input shape (--input-shape, or "input" in the description)');
  }
  return { network: resolved.network, description: { ...description, input: resolved.network.input }, descriptionFile, notes, transposed: resolved.transposed, counters, packed: new Map(), aliases: new Map() };
}

/** A transformer's layout: its settings from the description's "config", else config.json beside it; every tensor used. */
async function transformerLayout(
  checkpoint: Checkpoint,
  tensors: readonly TensorInfo[],
  counters: readonly string[],
  family: TransformerFamily,
  stated: { readonly descriptionFile: string; readonly description: Description; readonly config: JsonObject } | null,
  options: NetworkOptions,
): Promise<NetworkLayout> {
  const file = checkpoint.file;
  const config = await readTransformerConfig(file, stated ? { file: stated.descriptionFile, config: stated.config } : null);
  const inferred = inferTransformer(file, tensors, family, config, {
    heads: options.heads ?? null,
    sample: options.sample ?? null,
    input: stated?.description.input ?? null,
    descriptionFile: stated?.descriptionFile ?? null,
  });
  const unused = tensors.filter((t) => !inferred.used.has(t.name) && !inferred.aliases.has(t.name));
  if (unused.length > 0) {
    const list = unused.slice(0, 4).map((t) => `'${clip(t.name)}' [${clip(t.shape.join(', '))}]`).join(', ');
    throw new FormatError(file, `holds tensors the inferred transformer does not use: ${list}${unused.length > 4 ? ', …' : ''}; such a variant is not supported`);
  }
  const { network, transposed, notes, packed, aliases } = inferred;
  return { network, description: describeNetwork(network, transposed, notes), descriptionFile: stated?.descriptionFile ?? null, notes, transposed, counters, packed, aliases };
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

/**
 * The shape the engine computes with for tensor `name` of `node`, given the shape it is stored in
 * ([out, in] for a kernel stored transposed): a linear weight after a flattened map is
 * [out, C, H, W], a position table [positions, features] and a class token [features] whatever
 * extra leading 1s they are stored with; anything else as stored. The values are the same.
 */
export function engineShape(network: Network, shapes: readonly (readonly number[])[], node: NetworkNode, name: string, stored: readonly number[]): readonly number[] {
  if (node.op === 'linear' && name === node.weight) {
    const map = flattenedMap(network, shapes, node.input);
    return map ? [node.outFeatures, ...map] : [node.outFeatures, node.inFeatures];
  }
  if (node.op === 'positions') return [node.positions, node.features];
  if (node.op === 'prepend') return [node.features];
  return stored;
}

/** Counts NaN and infinite values, for the refusal message. */
export function nonFiniteCount(data: Float32Array): number {
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
 * (`known`: the checkpoint's layout, already worked out); a packed tensor's parts under their
 * virtual names. NaN or infinite values are refused: no measurement would mean anything.
 */
export async function readNetwork(checkpoint: Checkpoint, options: NetworkOptions, known?: NetworkLayout): Promise<LoadedNetwork> {
  const layout = known ?? (await networkLayout(checkpoint, options));
  const { network } = layout;
  const shapes = valueShapes(network);
  const params = new Map<string, Tensor32>();
  const storedCache = new Map<string, Tensor32>();
  // A stored tensor's values in [out, in] layout (a kernel stored [in, out] transposed), checked finite.
  const stored = async (name: string): Promise<Tensor32> => {
    const cached = storedCache.get(name);
    if (cached) return cached;
    const info = checkpoint.info(name);
    let data = await checkpoint.readFloat32(name);
    let shape = [...info.shape];
    if (layout.transposed.has(name)) {
      data = transpose(data, shape[0]!, shape[1]!);
      shape = [shape[1]!, shape[0]!];
    }
    const bad = nonFiniteCount(data);
    if (bad > 0) throw new FormatError(checkpoint.file, `tensor '${name}' holds ${bad} NaN or infinite value${bad === 1 ? '' : 's'}; the network cannot be compared`);
    const tensor = { shape, data };
    storedCache.set(name, tensor);
    return tensor;
  };
  for (const node of network.nodes) {
    for (const name of nodeTensors(node)) {
      if (params.has(name)) continue;
      const slice = layout.packed.get(name);
      if (slice) {
        const whole = await stored(slice.stored);
        const rows = whole.shape[0]! / slice.parts;
        const cols = whole.data.length / whole.shape[0]!;
        const data = whole.data.slice(slice.part * rows * cols, (slice.part + 1) * rows * cols);
        params.set(name, { shape: whole.shape.length === 1 ? [rows] : [rows, cols], data });
        continue;
      }
      const { shape, data } = await stored(name);
      params.set(name, { shape: engineShape(network, shapes, node, name, shape), data });
    }
  }
  for (const [alias, of] of layout.aliases) {
    const [copy, original] = [await checkpoint.readFloat32(alias), params.get(of)!.data];
    let differ = 0;
    for (let i = 0; i < copy.length; i++) if (copy[i] !== original[i]) differ++;
    if (differ > 0) {
      throw new FormatError(
        checkpoint.file,
        `'${alias}' differs from '${of}' in ${differ} of ${copy.length} values, but the head is taken as tied to the embedding (tie_word_embeddings); set "tie_word_embeddings": false in its config if the head is its own`,
      );
    }
  }
  const counterValues = [];
  for (const name of layout.counters) counterValues.push({ name, ...(await checkpoint.read(name)) });
  return { ...layout, params, counterValues };
}
