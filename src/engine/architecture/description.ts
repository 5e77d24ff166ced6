import type { TensorInfo } from '../formats/checkpoint';
import { isJsonObject, type JsonObject } from '../formats/strictJson';
import { FormatError } from '../io/formatError';
import { ACTIVATIONS, type Activation } from '../../shared/compareRequest';
import { INPUT, type Network, type NetworkNode, type Pair } from '../model/network';
import { valueShapes } from '../model/networkShapes';
import { transformerSettings } from './transformerConfig';

/**
 * The architecture description file: a network's layer graph as JSON, for what inference cannot
 * settle, and what `merge-lens describe` writes for an inferred network. Tensor shapes come from
 * the checkpoint; the file says how the tensors connect. Each layer reads the layer before it
 * unless it names its `input` ("input" for the network's input); `add` names both operands.
 */
export const DESCRIPTION_FORMAT = 'merge-lens.architecture';

export type Size = number | readonly [number, number];

export type DescriptionLayer =
  | { readonly id: string; readonly op: 'conv2d'; readonly input?: string; readonly weight?: string; readonly bias?: string | null; readonly stride?: Size; readonly padding?: Size }
  | { readonly id: string; readonly op: 'linear'; readonly input?: string; readonly weight?: string; readonly bias?: string | null; readonly layout?: 'out-in' | 'in-out' }
  | {
      readonly id: string;
      readonly op: 'batchnorm';
      readonly input?: string;
      readonly weight?: string | null;
      readonly bias?: string | null;
      readonly running_mean?: string;
      readonly running_var?: string;
      readonly eps?: number;
    }
  | { readonly id: string; readonly op: Activation; readonly input?: string }
  | { readonly id: string; readonly op: 'maxpool' | 'avgpool'; readonly input?: string; readonly kernel: Size; readonly stride?: Size; readonly padding?: Size }
  | { readonly id: string; readonly op: 'globalavgpool' | 'flatten'; readonly input?: string }
  | { readonly id: string; readonly op: 'add'; readonly inputs: readonly [string, string] };

export interface Description {
  readonly format: typeof DESCRIPTION_FORMAT;
  readonly version: 1;
  /** One sample's shape, [channels, height, width] or [features]; absent: from the data. */
  readonly input?: readonly number[];
  /** Empty for a transformer, which `config` states instead. */
  readonly layers: readonly DescriptionLayer[];
  /**
   * A transformer's settings in Hugging Face's config.json keys (num_attention_heads, …), in place
   * of layers: its layers are inferred from the tensors' names, the rest read from here.
   */
  readonly config?: JsonObject;
  /** For people: what inference assumed. Ignored when read. */
  readonly notes?: readonly string[];
}

const OPS = ['conv2d', 'linear', 'batchnorm', ...ACTIVATIONS, 'maxpool', 'avgpool', 'globalavgpool', 'flatten', 'add'] as const;
const KEYS: Readonly<Record<string, readonly string[]>> = {
  conv2d: ['weight', 'bias', 'stride', 'padding'],
  linear: ['weight', 'bias', 'layout'],
  batchnorm: ['weight', 'bias', 'running_mean', 'running_var', 'eps'],
  maxpool: ['kernel', 'stride', 'padding'],
  avgpool: ['kernel', 'stride', 'padding'],
};

/** Checks a parsed JSON object is a description, naming the file and the layer at fault. */
export function parseDescription(file: string, json: JsonObject): Description {
  const fail = (problem: string): never => {
    throw new FormatError(file, problem);
  };
  if (json.format !== DESCRIPTION_FORMAT) fail(`is not an architecture description ("format" must be "${DESCRIPTION_FORMAT}")`);
  if (json.version !== 1) fail(`describes an architecture in version ${JSON.stringify(json.version)}; this Merge Lens reads version 1`);
  for (const key of Object.keys(json)) if (!['format', 'version', 'input', 'layers', 'config', 'notes'].includes(key)) fail(`has an unknown key "${key}"`);
  if (json.input !== undefined && !(Array.isArray(json.input) && (json.input.length === 1 || json.input.length === 3) && json.input.every(positiveInteger))) {
    fail('"input" must be [channels, height, width] or [features] (a token model: [positions]), positive whole numbers');
  }
  if (json.config !== undefined) {
    if (!isJsonObject(json.config)) fail('"config" must be a JSON object of a transformer\'s settings (Hugging Face config.json keys)');
    if (!(json.layers === undefined || (Array.isArray(json.layers) && json.layers.length === 0))) fail('states both "layers" and a transformer\'s "config"; a transformer\'s layers are inferred from its tensors, so give only "config"');
    if (json.notes !== undefined && !(Array.isArray(json.notes) && json.notes.every((n) => typeof n === 'string'))) fail('"notes" must be a list of strings');
    return { format: DESCRIPTION_FORMAT, version: 1, ...(json.input ? { input: json.input as number[] } : {}), layers: [], config: json.config as JsonObject };
  }
  if (!Array.isArray(json.layers) || json.layers.length === 0) fail('"layers" must be a non-empty list');
  const ids = new Set<string>();
  const layers = (json.layers as unknown[]).map((raw, k): DescriptionLayer => {
    if (!isJsonObject(raw)) return fail(`layer ${k + 1} is not a JSON object`);
    const where = typeof raw.id === 'string' ? `layer '${raw.id}'` : `layer ${k + 1}`;
    if (typeof raw.id !== 'string' || raw.id === '' || raw.id === 'input') fail(`${where} needs an "id" (a name other than "input")`);
    if (ids.has(raw.id as string)) fail(`two layers are called '${raw.id}'`);
    ids.add(raw.id as string);
    if (!(OPS as readonly unknown[]).includes(raw.op)) fail(`${where} has op ${JSON.stringify(raw.op)}; the ops are ${OPS.join(', ')}`);
    const allowed = ['id', 'op', ...(raw.op === 'add' ? ['inputs'] : ['input']), ...(KEYS[raw.op as string] ?? [])];
    for (const key of Object.keys(raw)) if (!allowed.includes(key)) fail(`${where} (${raw.op}) has an unknown key "${key}"`);
    const names = raw.op === 'add' ? raw.inputs : [raw.input];
    if (raw.op === 'add' && !(Array.isArray(raw.inputs) && raw.inputs.length === 2)) fail(`${where} must name its two "inputs"`);
    for (const name of names as unknown[]) {
      if (name === undefined && raw.op !== 'add') continue;
      if (typeof name !== 'string' || !(name === 'input' || ids.has(name)) || name === raw.id) {
        fail(`${where} reads ${JSON.stringify(name)}, which is not "input" nor a layer listed before it`);
      }
    }
    for (const key of ['weight', 'bias', 'running_mean', 'running_var']) {
      if (key in raw && !(typeof raw[key] === 'string' || (raw[key] === null && (key === 'bias' || (key === 'weight' && raw.op === 'batchnorm'))))) {
        fail(`${where}: "${key}" must be a tensor name${key === 'bias' ? ' or null' : ''}`);
      }
    }
    for (const key of ['kernel', 'stride']) if (key in raw && !size(raw[key], positiveInteger)) fail(`${where}: "${key}" must be a positive whole number or a pair of them`);
    if ('padding' in raw && !size(raw.padding, (v) => Number.isInteger(v) && (v as number) >= 0)) fail(`${where}: "padding" must be a whole number ≥ 0 or a pair of them`);
    if ((raw.op === 'maxpool' || raw.op === 'avgpool') && raw.kernel === undefined) fail(`${where} needs a "kernel"`);
    if ('eps' in raw && !(typeof raw.eps === 'number' && raw.eps > 0)) fail(`${where}: "eps" must be a positive number`);
    if ('layout' in raw && raw.layout !== 'out-in' && raw.layout !== 'in-out') fail(`${where}: "layout" is "out-in" (PyTorch) or "in-out" (TensorFlow)`);
    return raw as unknown as DescriptionLayer;
  });
  if (json.notes !== undefined && !(Array.isArray(json.notes) && json.notes.every((n) => typeof n === 'string'))) fail('"notes" must be a list of strings');
  return { format: DESCRIPTION_FORMAT, version: 1, ...(json.input ? { input: json.input as number[] } : {}), layers };
}

function positiveInteger(value: unknown): boolean {
  return Number.isInteger(value) && (value as number) > 0;
}

function size(value: unknown, ok: (v: unknown) => boolean): boolean {
  return ok(value) || (Array.isArray(value) && value.length === 2 && value.every(ok));
}

function pair(value: Size | undefined, fallback: Pair): Pair {
  if (value === undefined) return fallback;
  return typeof value === 'number' ? [value, value] : [value[0], value[1]];
}

/** A network built from a description and the checkpoint's tensors, with the tensors it uses and the linear kernels stored [in, out]. */
export interface ResolvedNetwork {
  readonly network: Network;
  readonly used: ReadonlySet<string>;
  readonly transposed: ReadonlySet<string>;
}

/**
 * Builds the network a description states, taking every shape from the checkpoint's tensors and
 * checking that the layers connect. `input` is the sample shape when the description has none.
 * Every problem is a FormatError naming `file` (the description, or the checkpoint it was inferred from).
 */
export function resolveDescription(file: string, description: Description, tensors: readonly TensorInfo[], input: readonly number[]): ResolvedNetwork {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const used = new Set<string>();
  const transposed = new Set<string>();
  const index = new Map<string, number>([['input', INPUT]]);
  const fail = (problem: string): never => {
    throw new FormatError(file, problem);
  };
  const tensor = (layer: DescriptionLayer, name: string, rank: number): TensorInfo => {
    const t = byName.get(name) ?? fail(`layer '${layer.id}' needs tensor '${name}', which the checkpoint lacks`);
    if (t.shape.length !== rank) fail(`layer '${layer.id}': tensor '${name}' is [${t.shape.join(', ')}], not ${rank}-D`);
    used.add(name);
    return t;
  };
  const optional = (layer: DescriptionLayer, given: string | null | undefined, fallback: string): TensorInfo | null => {
    if (given === null) return null;
    if (given === undefined && !byName.has(fallback)) return null;
    return tensor(layer, given ?? fallback, 1);
  };
  const vector = (layer: DescriptionLayer, t: TensorInfo | null, length: number): string | null => {
    if (t && t.shape[0] !== length) fail(`layer '${layer.id}': '${t.name}' has ${t.shape[0]} entries, the layer has ${length} channels`);
    return t?.name ?? null;
  };
  const nodes = description.layers.map((layer, i): NetworkNode => {
    const from = (name: string | undefined): number => (name === undefined ? i - 1 : index.get(name)!);
    index.set(layer.id, i);
    switch (layer.op) {
      case 'conv2d': {
        const w = tensor(layer, layer.weight ?? `${layer.id}.weight`, 4);
        const [out, inChannels, kh, kw] = w.shape as [number, number, number, number];
        return {
          op: 'conv2d',
          id: layer.id,
          input: from(layer.input),
          weight: w.name,
          bias: vector(layer, optional(layer, layer.bias, `${layer.id}.bias`), out),
          inChannels,
          outChannels: out,
          kernel: [kh, kw],
          stride: pair(layer.stride, [1, 1]),
          padding: pair(layer.padding, [0, 0]),
        };
      }
      case 'linear': {
        const w = tensor(layer, layer.weight ?? `${layer.id}.weight`, 2);
        const [rows, cols] = w.shape as [number, number];
        const inOut = layer.layout === 'in-out';
        if (inOut) transposed.add(w.name);
        const out = inOut ? cols : rows;
        return {
          op: 'linear',
          id: layer.id,
          input: from(layer.input),
          weight: w.name,
          bias: vector(layer, optional(layer, layer.bias, `${layer.id}.bias`), out),
          inFeatures: inOut ? rows : cols,
          outFeatures: out,
        };
      }
      case 'batchnorm': {
        const mean = tensor(layer, layer.running_mean ?? `${layer.id}.running_mean`, 1);
        const channels = mean.shape[0]!;
        return {
          op: 'batchnorm',
          id: layer.id,
          input: from(layer.input),
          weight: vector(layer, optional(layer, layer.weight, `${layer.id}.weight`), channels),
          bias: vector(layer, optional(layer, layer.bias, `${layer.id}.bias`), channels),
          runningMean: mean.name,
          runningVar: vector(layer, tensor(layer, layer.running_var ?? `${layer.id}.running_var`, 1), channels)!,
          eps: layer.eps ?? 1e-5,
          channels,
        };
      }
      case 'maxpool':
      case 'avgpool': {
        const kernel = pair(layer.kernel, [1, 1]);
        return { op: layer.op, id: layer.id, input: from(layer.input), kernel, stride: pair(layer.stride, kernel), padding: pair(layer.padding, [0, 0]) };
      }
      case 'globalavgpool':
      case 'flatten':
        return { op: layer.op, id: layer.id, input: from(layer.input) };
      case 'add':
        return { op: 'add', id: layer.id, inputs: [index.get(layer.inputs[0])!, index.get(layer.inputs[1])!] };
      default:
        return { op: 'activation', id: layer.id, input: from(layer.input), fn: layer.op };
    }
  });
  const network: Network = { kind: nodes.some((n) => n.op === 'conv2d') ? 'conv' : 'mlp', input: description.input ?? input, nodes };
  let shapes: number[][] = [];
  try {
    shapes = valueShapes(network);
  } catch (error) {
    fail(`the layers do not connect: ${(error as Error).message}`);
  }
  const logits = shapes[shapes.length - 1]!;
  if (logits.length !== 1) fail(`the last layer, '${nodes[nodes.length - 1]!.id}', gives [${logits.join(', ')}], not flat logits`);
  return { network, used, transposed };
}

/** The description of a network: every tensor name and size written out, so a reader sees exactly what was inferred. */
export function describeNetwork(network: Network, transposed: ReadonlySet<string>, notes: readonly string[]): Description {
  if (network.kind === 'transformer') {
    return { format: DESCRIPTION_FORMAT, version: 1, input: network.input, layers: [], config: transformerSettings(network), ...(notes.length > 0 ? { notes } : {}) };
  }
  const ids = network.nodes.map((n) => n.id);
  const ref = (input: number): string => (input === INPUT ? 'input' : ids[input]!);
  const size = ([h, w]: Pair): Size => (h === w ? h : [h, w]);
  const layers = network.nodes.map((node, i): DescriptionLayer => {
    const input = !('input' in node) || node.input === i - 1 ? {} : { input: ref(node.input) };
    switch (node.op) {
      case 'conv2d':
        return { id: node.id, op: 'conv2d', ...input, weight: node.weight, bias: node.bias, stride: size(node.stride), padding: size(node.padding) };
      case 'linear':
        return { id: node.id, op: 'linear', ...input, weight: node.weight, bias: node.bias, ...(transposed.has(node.weight) ? { layout: 'in-out' as const } : {}) };
      case 'batchnorm':
        return {
          id: node.id,
          op: 'batchnorm',
          ...input,
          weight: node.weight,
          bias: node.bias,
          running_mean: node.runningMean,
          running_var: node.runningVar,
          eps: node.eps,
        };
      case 'activation':
        return { id: node.id, op: node.fn, ...input };
      case 'maxpool':
      case 'avgpool':
        return { id: node.id, op: node.op, ...input, kernel: size(node.kernel), stride: size(node.stride), padding: size(node.padding) };
      case 'globalavgpool':
      case 'flatten':
        return { id: node.id, op: node.op, ...input };
      case 'add':
        return { id: node.id, op: 'add', inputs: [ref(node.inputs[0]), ref(node.inputs[1])] };
      default:
        throw new Error(`'${node.id}' (${node.op}) is a transformer's node, which a description states by its "config"`);
    }
  });
  return { format: DESCRIPTION_FORMAT, version: 1, input: network.input, layers, ...(notes.length > 0 ? { notes } : {}) };
}
