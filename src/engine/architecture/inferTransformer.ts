import { basename } from 'node:path';
import type { TensorInfo } from '../formats/checkpoint';
import { quoteJson } from '../formats/strictJson';
import { FormatError, clip } from '../io/formatError';
import type { Activation } from '../../shared/compareRequest';
import { INPUT, type Network, type NetworkNode } from '../model/network';
import { valueShapes } from '../model/networkShapes';
import { spatialInput, type SampleShape } from './inputShape';
import type { TransformerConfig } from './transformerConfig';

/** The transformer layouts inferred from a state_dict's names. */
export type TransformerFamily = 'gpt2' | 'llama' | 'vit-timm' | 'vit-hf';

const FAMILY_NAMES: Readonly<Record<TransformerFamily, string>> = {
  gpt2: 'GPT-2-style transformer',
  llama: 'Llama-style transformer',
  'vit-timm': 'ViT (timm naming)',
  'vit-hf': 'ViT (Hugging Face naming)',
};

/**
 * One of three parts a stored tensor packs along its output axis (GPT-2's `c_attn`, timm's
 * `attn.qkv`: query, key, value in that order). The engine's tensor is rows
 * [part·n, (part + 1)·n) of the stored one in [out, in] layout (after transposing a kernel stored
 * [in, out]), n its output size over `parts`.
 */
export interface PackedSlice {
  readonly stored: string;
  readonly part: number;
  readonly parts: number;
}

export interface TransformerLayout {
  readonly network: Network;
  readonly used: ReadonlySet<string>;
  readonly transposed: ReadonlySet<string>;
  /** Virtual tensor name → the slice of a stored tensor it is. */
  readonly packed: ReadonlyMap<string, PackedSlice>;
  /** A stored tensor that duplicates another the network reads (a tied head stored twice) → that tensor. */
  readonly aliases: ReadonlyMap<string, string>;
  readonly notes: readonly string[];
}

/** The virtual name of one part of a packed tensor. */
export function packedName(stored: string, part: 'q' | 'k' | 'v'): string {
  return `${stored}:${part}`;
}

const QKV = ['q', 'k', 'v'] as const;

/**
 * The Hugging Face model types each layout is computed as. Others share the names but not the
 * function (Gemma's (1 + w) RMSNorm and scaled embeddings, for one), so they are refused.
 */
const MODEL_TYPES: Readonly<Record<TransformerFamily, readonly string[]>> = {
  gpt2: ['gpt2'],
  llama: ['llama', 'mistral', 'qwen2'],
  'vit-timm': ['vit'],
  'vit-hf': ['vit', 'deit'],
};

/**
 * Which transformer layout a state_dict's names follow, or null for a network without attention.
 * A mixture of experts is refused by name, and so is attention in a layout not read here.
 */
export function transformerFamily(file: string, tensors: readonly TensorInfo[]): TransformerFamily | null {
  const names = tensors.map((t) => t.name);
  // Only a network with attention is read as a transformer: an MLP may well call a layer "experts.0".
  if (!names.some((n) => /(^|\.)(self_attn|attn|attention)\./.test(n))) return null;
  const moe =
    names.find((n) => /(^|\.)block_sparse_moe\./.test(n)) ??
    names.find((n) => /(^|\.)experts\.\d+\./.test(n)) ??
    names.find((n) => /(^|\.)(router|mlp\.gate|moe\.gate)\.weight$/.test(n));
  if (moe !== undefined) {
    const kind = /block_sparse_moe/.test(moe) ? 'a Mixtral-style mixture of experts (block_sparse_moe)' : 'a mixture of experts';
    throw new FormatError(file, `holds '${clip(moe)}': ${kind} is not supported (only dense MLPs: one MLP per block)`);
  }
  if (names.some((n) => /(^|\.)h\.\d+\.attn\.c_attn\.weight$/.test(n))) return 'gpt2';
  if (names.some((n) => /(^|\.)layers\.\d+\.self_attn\.q_proj\.weight$/.test(n))) return 'llama';
  if (names.some((n) => /(^|\.)blocks\.\d+\.attn\.qkv\.weight$/.test(n)) && names.includes('patch_embed.proj.weight')) return 'vit-timm';
  if (names.some((n) => /(^|\.)embeddings\.patch_embeddings\.projection\.weight$/.test(n))) return 'vit-hf';
  const attention = names.find((n) => /(^|\.)(self_attn|attn|attention)\./.test(n))!;
  throw new FormatError(
    file,
    `holds attention weights ('${clip(attention)}') in a layout not read here; the transformers read are GPT-2 (h.N.attn.c_attn), Llama (layers.N.self_attn.q_proj), and ViT in timm's (blocks.N.attn.qkv) or Hugging Face's naming (embeddings.patch_embeddings)`,
  );
}

export interface TransformerOptions {
  /** The heads count given as a flag, which wins over the config. */
  readonly heads: number | null;
  /** One data sample's shape: [T] token ids, or an image. */
  readonly sample: SampleShape | null;
  /** The input a description states, which wins over the sample's. */
  readonly input: readonly number[] | null;
  /** The description file that gave the config, if one did (for messages). */
  readonly descriptionFile: string | null;
}

/** The sequence length given to a token model when no data says otherwise: only the equivalence check sees it. */
const DEFAULT_TOKENS = 16;

/**
 * The network of a GPT-2, Llama or ViT checkpoint in Hugging Face's or timm's naming, with what
 * the weights do not say from `config`. Every node comes after what it reads; node ids are the
 * module prefixes. Tensors are checked for shape; refusals name the tensor and the variant.
 */
export function inferTransformer(file: string, tensors: readonly TensorInfo[], family: TransformerFamily, config: TransformerConfig, options: TransformerOptions): TransformerLayout {
  const b = new Builder(file, tensors);
  const heads = options.heads ?? config.heads;
  if (heads === null) {
    const stem = basename(file).replace(/\.[^.]+$/, '');
    throw new FormatError(
      file,
      `is a ${FAMILY_NAMES[family]}, but the number of attention heads is not in its weights and ${config.source ? `${config.source} does not state it` : 'no config.json is beside it'}: put a config.json beside it with "${family === 'gpt2' ? 'n_head' : family === 'vit-timm' ? 'num_heads' : 'num_attention_heads'}": N (the Hugging Face convention), or "config": { "num_attention_heads": N } in ${stem}.arch.json, or give the head count (--heads N on the command line, the mergeLens.attentionHeads setting in VS Code)`,
    );
  }
  if (config.modelType !== null && !MODEL_TYPES[family].includes(config.modelType)) {
    b.fail(
      `follows the ${FAMILY_NAMES[family]}'s names, but its config says "model_type": ${quoteJson(config.modelType)}, a variant computed otherwise (its norms, scaling or attention differ); it is not supported (read: ${MODEL_TYPES[family].join(', ')})`,
    );
  }
  const notes: string[] = [];
  if (options.heads !== null) notes.push(`${heads} attention heads, as the flag says`);
  else notes.push(`${heads} attention heads, from ${config.source}`);
  switch (family) {
    case 'gpt2':
      gpt2(b, heads, config, options, notes);
      break;
    case 'llama':
      llama(b, heads, config, options, notes);
      break;
    default:
      vit(b, family, heads, config, options, notes);
  }
  const network: Network = { kind: 'transformer', input: b.input, nodes: b.nodes };
  for (const what of b.ignored) notes.push(`${what} are buffers, not weights: left out`);
  try {
    valueShapes(network);
  } catch (error) {
    b.fail(`the inferred ${FAMILY_NAMES[family]} does not connect: ${(error as Error).message}`);
  }
  return { network, used: b.used, transposed: b.transposed, packed: b.packed, aliases: b.aliases, notes };
}

/** Nodes and the tensors they use, checked against the checkpoint as they are added. */
class Builder {
  readonly nodes: NetworkNode[] = [];
  readonly used = new Set<string>();
  readonly transposed = new Set<string>();
  readonly packed = new Map<string, PackedSlice>();
  readonly aliases = new Map<string, string>();
  /** Kinds of buffer found and left aside, for the notes. */
  readonly ignored = new Set<string>();
  input: readonly number[] = [];
  private readonly byName: Map<string, TensorInfo>;

  constructor(
    readonly file: string,
    tensors: readonly TensorInfo[],
  ) {
    this.byName = new Map(tensors.map((t) => [t.name, t]));
  }

  fail(problem: string): never {
    throw new FormatError(this.file, problem);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** The prefix before the first name `anchor` matches ("transformer." for "transformer.wte.weight"), or null. */
  prefix(anchor: RegExp): string | null {
    for (const name of this.byName.keys()) {
      const m = anchor.exec(name);
      if (m) return m[1] ?? '';
    }
    return null;
  }

  /** The tensor, marked used, with its shape checked (null entries: any size). */
  tensor(name: string, shape: readonly (number | null)[], role: string): TensorInfo {
    const t = this.byName.get(name) ?? this.fail(`lacks '${clip(name)}' (${role})`);
    if (t.shape.length !== shape.length || shape.some((d, k) => d !== null && d !== t.shape[k])) {
      this.fail(`'${clip(name)}' (${role}) is [${clip(t.shape.join(', '))}], not [${shape.map((d) => d ?? '·').join(', ')}]`);
    }
    this.used.add(name);
    return t;
  }

  /**
   * A non-persistent buffer that older library versions saved (GPT-2's causal mask `attn.bias`,
   * Llama's `rotary_emb.inv_freq`): no parameter, recomputed by the engine, left out of exports.
   */
  buffer(name: string, what: string): void {
    if (!this.has(name)) return;
    this.used.add(name);
    this.ignored.add(what);
  }

  /** A bias if stored, checked to fit its layer. */
  bias(name: string, size: number, role: string): string | null {
    if (!this.has(name)) return null;
    const t = this.byName.get(name)!;
    if (t.shape.length !== 1 || t.shape[0] !== size) this.fail(`'${clip(name)}' (${role}) is [${clip(t.shape.join(', '))}], which does not fit a layer of ${size} outputs; such a bias is not supported`);
    this.used.add(name);
    return name;
  }

  add(node: NetworkNode): number {
    this.nodes.push(node);
    return this.nodes.length - 1;
  }

  /** A linear layer stored [out, in] (nn.Linear) or [in, out] (GPT-2's Conv1D). */
  linear(id: string, input: number, inFeatures: number, outFeatures: number | null, layout: 'out-in' | 'in-out', bias = true): number {
    const weight = `${id}.weight`;
    const t = this.tensor(weight, layout === 'out-in' ? [outFeatures, inFeatures] : [inFeatures, outFeatures], 'a linear layer');
    const out = layout === 'out-in' ? t.shape[0]! : t.shape[1]!;
    if (layout === 'in-out') this.transposed.add(weight);
    return this.add({ op: 'linear', id, input, weight, bias: bias ? this.bias(`${id}.bias`, out, 'its bias') : null, inFeatures, outFeatures: out });
  }

  /** A linear node's output size. */
  outputs(index: number): number {
    const node = this.nodes[index]!;
    if (node.op !== 'linear') throw new Error(`'${node.id}' is not a linear layer`);
    return node.outFeatures;
  }

  /** Three linear nodes q, k, v reading one packed tensor's parts (ids `ID.q` …). */
  packedQkv(id: string, input: number, d: number, layout: 'out-in' | 'in-out'): [number, number, number] {
    const weight = `${id}.weight`;
    this.tensor(weight, layout === 'out-in' ? [3 * d, d] : [d, 3 * d], 'query, key and value packed along the outputs');
    if (layout === 'in-out') this.transposed.add(weight);
    const bias = this.bias(`${id}.bias`, 3 * d, 'the packed bias');
    return QKV.map((part, k) => {
      const w = packedName(weight, part);
      this.packed.set(w, { stored: weight, part: k, parts: 3 });
      let bb: string | null = null;
      if (bias) {
        bb = packedName(bias, part);
        this.packed.set(bb, { stored: bias, part: k, parts: 3 });
      }
      return this.add({ op: 'linear', id: `${id}.${part}`, input, weight: w, bias: bb, inFeatures: d, outFeatures: d });
    }) as [number, number, number];
  }

  norm(op: 'layernorm' | 'rmsnorm', id: string, input: number, d: number, eps: number): number {
    const weight = this.tensor(`${id}.weight`, [d], 'a norm\'s scale').name;
    const bias = op === 'layernorm' ? this.tensor(`${id}.bias`, [d], 'a LayerNorm\'s shift').name : null;
    if (op === 'rmsnorm' && this.has(`${id}.bias`)) this.fail(`'${id}.bias': an RMSNorm with a shift is not supported`);
    return this.add({ op, id, input, weight, bias, features: d, eps });
  }

  /** The block indices under `prefix` (`h.` → 0, 1, …), checked to run from 0 without gaps. */
  blocks(prefix: string): number {
    const pattern = new RegExp(`^${prefix.replace(/\./g, '\\.')}(\\d+)\\.`);
    const found = new Set<number>();
    for (const name of this.byName.keys()) {
      const m = pattern.exec(name);
      if (m) found.add(Number(m[1]));
    }
    const n = found.size;
    for (let i = 0; i < n; i++) if (!found.has(i)) this.fail(`has blocks under '${clip(prefix)}' but not '${clip(`${prefix}${i}`)}'; the blocks must be numbered 0 to ${n - 1}`);
    if (n === 0) this.fail(`has no blocks under '${clip(prefix)}'`);
    return n;
  }
}

function headSizeOf(b: Builder, d: number, heads: number, what: string): number {
  if (d % heads !== 0) b.fail(`has ${what} ${d}, which ${heads} attention heads do not divide; check the head count`);
  return d / heads;
}

/** Token-model input: [T] from the data, the description, or a default no longer than the position table. */
function tokenInput(b: Builder, options: TransformerOptions, maxPositions: number | null, notes: string[]): number[] {
  const given = options.input ?? options.sample?.shape ?? null;
  if (given) {
    if (given.length !== 1) {
      const where = options.input ? options.descriptionFile! : options.sample!.file ?? '--input-shape';
      throw new FormatError(where, `gives inputs of ${given.join('×')}, but a token model takes sequences of token ids [T]`);
    }
    if (maxPositions !== null && given[0]! > maxPositions) b.fail(`takes at most ${maxPositions} positions but the data's sequences have ${given[0]}`);
    return [given[0]!];
  }
  const t = Math.min(maxPositions ?? DEFAULT_TOKENS, DEFAULT_TOKENS);
  notes.push(`no data: sequences of ${t} tokens are assumed`);
  return [t];
}

function embedding(b: Builder, id: string, input: number): { node: number; vocab: number; d: number } {
  const t = b.tensor(`${id}.weight`, [null, null], 'the token embedding');
  const [vocab, d] = t.shape as [number, number];
  if (vocab === 0 || d === 0) b.fail(`'${clip(t.name)}' (the token embedding) is [${vocab}, ${d}]: an empty table embeds nothing`);
  return { node: b.add({ op: 'embedding', id, input, weight: t.name, vocab, features: d }), vocab, d };
}

/**
 * The language-model head: `lm_head.weight` when stored and not tied, else the embedding table
 * itself. A tied head stored under both names is read once; `lm_head.weight` is then an alias,
 * checked on reading to hold the same values.
 */
function head(b: Builder, input: number, table: string, vocab: number, d: number, tiedByDefault: boolean, config: TransformerConfig, notes: string[]): number {
  const tied = config.tied ?? tiedByDefault;
  const stored = b.has('lm_head.weight');
  if (stored) b.tensor('lm_head.weight', [vocab, d], 'the language-model head');
  if (b.has('lm_head.bias')) b.fail(`'lm_head.bias': a language-model head with a bias is not supported`);
  if (!stored || tied) {
    if (stored) b.aliases.set('lm_head.weight', table);
    notes.push(stored ? `the head is tied to the embedding ('lm_head.weight' is stored too and must equal '${table}')` : `the head is tied to the embedding '${table}' (no 'lm_head.weight')`);
    return b.add({ op: 'linear', id: 'lm_head', input, weight: table, bias: null, inFeatures: d, outFeatures: vocab });
  }
  notes.push('the head is not tied to the embedding (its own lm_head.weight)');
  return b.linear('lm_head', input, d, vocab, 'out-in', false);
}

function gpt2(b: Builder, heads: number, config: TransformerConfig, options: TransformerOptions, notes: string[]): void {
  const base = b.prefix(/^((?:.*\.)?)wte\.weight$/) ?? b.fail('is a GPT-2-style transformer without its token embedding wte.weight');
  const positions = b.tensor(`${base}wpe.weight`, [null, null], 'the position embedding');
  if (positions.shape[0] === 0) b.fail(`'${clip(positions.name)}' (the position embedding) has no positions`);
  b.input = tokenInput(b, options, positions.shape[0]!, notes);
  const wte = embedding(b, `${base}wte`, INPUT);
  const { d, vocab } = wte;
  if (positions.shape[1] !== d) b.fail(`'${clip(positions.name)}' is [${clip(positions.shape.join(', '))}] but the embedding has ${d} features`);
  let x = b.add({ op: 'positions', id: `${base}wpe`, input: wte.node, weight: positions.name, positions: positions.shape[0]!, features: d });
  const eps = config.eps ?? 1e-5;
  const activation: Activation = config.activation ?? 'gelu_tanh';
  const headSize = headSizeOf(b, d, heads, 'an embedding width of');
  const n = b.blocks(`${base}h.`);
  for (let i = 0; i < n; i++) {
    const p = `${base}h.${i}`;
    const ln1 = b.norm('layernorm', `${p}.ln_1`, x, d, eps);
    const [q, k, v] = b.packedQkv(`${p}.attn.c_attn`, ln1, d, 'in-out');
    const att = b.add({ op: 'attention', id: `${p}.attn`, inputs: [q, k, v], heads, kvHeads: heads, headSize, valueSize: headSize, causal: true, rotary: null, padding: true });
    b.buffer(`${p}.attn.bias`, 'the causal-mask buffers attn.bias and attn.masked_bias');
    b.buffer(`${p}.attn.masked_bias`, 'the causal-mask buffers attn.bias and attn.masked_bias');
    const proj = b.linear(`${p}.attn.c_proj`, att, d, d, 'in-out');
    x = b.add({ op: 'add', id: `${p}.attn_residual`, inputs: [x, proj] });
    const ln2 = b.norm('layernorm', `${p}.ln_2`, x, d, eps);
    const fc = b.linear(`${p}.mlp.c_fc`, ln2, d, null, 'in-out');
    const inner = b.outputs(fc);
    const act = b.add({ op: 'activation', id: `${p}.mlp.act`, input: fc, fn: activation });
    const down = b.linear(`${p}.mlp.c_proj`, act, inner, d, 'in-out');
    x = b.add({ op: 'add', id: p, inputs: [x, down] });
  }
  const lnf = b.norm('layernorm', `${base}ln_f`, x, d, eps);
  head(b, lnf, `${base}wte.weight`, vocab, d, true, config, notes);
  notes.push(
    `GPT-2 blocks: pre-LayerNorm (eps ${eps}), causal attention, Conv1D weights stored [in, out], c_attn packing query, key and value along its outputs; MLP activation ${activation}${config.activation ? '' : ' (GPT-2\'s default gelu_new)'}`,
  );
}

function llama(b: Builder, heads: number, config: TransformerConfig, options: TransformerOptions, notes: string[]): void {
  const base = b.prefix(/^((?:.*\.)?)embed_tokens\.weight$/) ?? b.fail('is a Llama-style transformer without its token embedding embed_tokens.weight');
  b.input = tokenInput(b, options, config.maxPositions, notes);
  const emb = embedding(b, `${base}embed_tokens`, INPUT);
  const { d, vocab } = emb;
  const kvHeads = config.kvHeads ?? heads;
  if (heads % kvHeads !== 0) b.fail(`has ${heads} query heads and ${kvHeads} key/value heads; the query heads must be a whole number of groups`);
  const headSize = config.headSize ?? headSizeOf(b, d, heads, 'a hidden size of');
  const eps = config.eps ?? 1e-6;
  const theta = config.ropeTheta ?? 10000;
  const activation: Activation = config.activation ?? 'silu';
  let x = emb.node;
  const n = b.blocks(`${base}layers.`);
  for (let i = 0; i < n; i++) {
    const p = `${base}layers.${i}`;
    const ln1 = b.norm('rmsnorm', `${p}.input_layernorm`, x, d, eps);
    const q = b.linear(`${p}.self_attn.q_proj`, ln1, d, heads * headSize, 'out-in');
    const k = b.linear(`${p}.self_attn.k_proj`, ln1, d, kvHeads * headSize, 'out-in');
    const v = b.linear(`${p}.self_attn.v_proj`, ln1, d, kvHeads * headSize, 'out-in');
    const att = b.add({ op: 'attention', id: `${p}.self_attn`, inputs: [q, k, v], heads, kvHeads, headSize, valueSize: headSize, causal: true, rotary: { theta }, padding: true });
    b.buffer(`${p}.self_attn.rotary_emb.inv_freq`, 'the rotary frequency buffers rotary_emb.inv_freq (recomputed from rope_theta)');
    const o = b.linear(`${p}.self_attn.o_proj`, att, heads * headSize, d, 'out-in');
    x = b.add({ op: 'add', id: `${p}.attn_residual`, inputs: [x, o] });
    const ln2 = b.norm('rmsnorm', `${p}.post_attention_layernorm`, x, d, eps);
    const gate = b.linear(`${p}.mlp.gate_proj`, ln2, d, null, 'out-in');
    const inner = b.outputs(gate);
    const act = b.add({ op: 'activation', id: `${p}.mlp.act`, input: gate, fn: activation });
    const up = b.linear(`${p}.mlp.up_proj`, ln2, d, inner, 'out-in');
    const mul = b.add({ op: 'mul', id: `${p}.mlp.mul`, inputs: [act, up] });
    const down = b.linear(`${p}.mlp.down_proj`, mul, inner, d, 'out-in');
    x = b.add({ op: 'add', id: p, inputs: [x, down] });
  }
  const norm = b.norm('rmsnorm', `${base}norm`, x, d, eps);
  head(b, norm, `${base}embed_tokens.weight`, vocab, d, false, config, notes);
  notes.push(
    `Llama blocks: pre-RMSNorm (eps ${eps}${config.eps === null ? ', Llama\'s default' : ''}), causal attention with ${heads} query and ${kvHeads} key/value heads of ${headSize}, rotary embeddings (theta ${theta}${config.ropeTheta === null ? ', the default' : ''}) on positions 0…T−1, SwiGLU MLP ${activation}(gate)·up`,
  );
  notes.push('rotary embeddings: query/key units within a head are not permuted (each pair turns at its own frequency)');
}

function vit(b: Builder, family: 'vit-timm' | 'vit-hf', heads: number, config: TransformerConfig, options: TransformerOptions, notes: string[]): void {
  const timm = family === 'vit-timm';
  const base = timm ? '' : b.prefix(/^((?:.*\.)?)embeddings\.patch_embeddings\.projection\.weight$/)!;
  const names = timm
    ? { proj: 'patch_embed.proj', cls: 'cls_token', pos: 'pos_embed', blocks: 'blocks.', norm: 'norm', head: 'head' }
    : {
        proj: `${base}embeddings.patch_embeddings.projection`,
        cls: `${base}embeddings.cls_token`,
        pos: `${base}embeddings.position_embeddings`,
        blocks: `${base}encoder.layer.`,
        norm: `${base}layernorm`,
        head: 'classifier',
      };
  const proj = b.tensor(`${names.proj}.weight`, [null, null, null, null], 'the patch embedding');
  const [d, channels, kh, kw] = proj.shape as [number, number, number, number];
  b.tensor(names.cls, [1, 1, d], 'the class token');
  const pos = b.tensor(names.pos, [1, null, d], 'the position embedding');
  const patches = pos.shape[1]! - 1;
  const given = options.input ?? (options.sample ? spatialInput(channels, options.sample) : null);
  if (given) {
    const [c, h, w] = given as [number, number, number];
    if (given.length !== 3 || c !== channels) b.fail(`takes ${channels}-channel images but the input is ${given.join('×')}`);
    if (h % kh !== 0 || w % kw !== 0 || (h / kh) * (w / kw) !== patches) {
      b.fail(`has position embeddings for ${patches} patches of ${kh}×${kw}, which ${h}×${w} images do not give`);
    }
    b.input = [c, h, w];
  } else {
    const side = Math.round(Math.sqrt(patches));
    if (side * side !== patches) b.fail(`has position embeddings for ${patches} patches, not a square grid: give the input shape`);
    b.input = [channels, side * kh, side * kw];
    notes.push(`no data: ${b.input.join('×')} images are assumed (${side}×${side} patches, as the position embeddings say)`);
  }
  const conv = b.add({ op: 'conv2d', id: names.proj, input: INPUT, weight: proj.name, bias: b.bias(`${names.proj}.bias`, d, 'the patch embedding\'s bias'), inChannels: channels, outChannels: d, kernel: [kh, kw], stride: [kh, kw], padding: [0, 0] });
  let x = b.add({ op: 'patches', id: timm ? 'patch_embed' : `${base}embeddings.patch_embeddings`, input: conv });
  x = b.add({ op: 'prepend', id: names.cls, input: x, weight: names.cls, features: d });
  x = b.add({ op: 'positions', id: names.pos, input: x, weight: names.pos, positions: patches + 1, features: d });
  const eps = config.eps ?? (timm ? 1e-6 : 1e-12);
  const activation: Activation = config.activation ?? 'gelu';
  const headSize = headSizeOf(b, d, heads, 'an embedding width of');
  const n = b.blocks(names.blocks);
  for (let i = 0; i < n; i++) {
    const p = `${names.blocks}${i}`;
    const attention = (q: number, k: number, v: number) =>
      b.add({ op: 'attention', id: timm ? `${p}.attn` : `${p}.attention.attention`, inputs: [q, k, v], heads, kvHeads: heads, headSize, valueSize: headSize, causal: false, rotary: null, padding: false });
    if (timm) {
      const ln1 = b.norm('layernorm', `${p}.norm1`, x, d, eps);
      const [q, k, v] = b.packedQkv(`${p}.attn.qkv`, ln1, d, 'out-in');
      const o = b.linear(`${p}.attn.proj`, attention(q, k, v), d, d, 'out-in');
      x = b.add({ op: 'add', id: `${p}.attn_residual`, inputs: [x, o] });
      const ln2 = b.norm('layernorm', `${p}.norm2`, x, d, eps);
      const fc1 = b.linear(`${p}.mlp.fc1`, ln2, d, null, 'out-in');
      const inner = b.outputs(fc1);
      const act = b.add({ op: 'activation', id: `${p}.mlp.act`, input: fc1, fn: activation });
      x = b.add({ op: 'add', id: p, inputs: [x, b.linear(`${p}.mlp.fc2`, act, inner, d, 'out-in')] });
    } else {
      const ln1 = b.norm('layernorm', `${p}.layernorm_before`, x, d, eps);
      const q = b.linear(`${p}.attention.attention.query`, ln1, d, d, 'out-in');
      const k = b.linear(`${p}.attention.attention.key`, ln1, d, d, 'out-in');
      const v = b.linear(`${p}.attention.attention.value`, ln1, d, d, 'out-in');
      const o = b.linear(`${p}.attention.output.dense`, attention(q, k, v), d, d, 'out-in');
      x = b.add({ op: 'add', id: `${p}.attn_residual`, inputs: [x, o] });
      const ln2 = b.norm('layernorm', `${p}.layernorm_after`, x, d, eps);
      const fc1 = b.linear(`${p}.intermediate.dense`, ln2, d, null, 'out-in');
      const inner = b.outputs(fc1);
      const act = b.add({ op: 'activation', id: `${p}.intermediate.act`, input: fc1, fn: activation });
      x = b.add({ op: 'add', id: p, inputs: [x, b.linear(`${p}.output.dense`, act, inner, d, 'out-in')] });
    }
  }
  const norm = b.norm('layernorm', names.norm, x, d, eps);
  const token = b.add({ op: 'token', id: `${names.norm}.token`, input: norm, index: 0 });
  if (!b.has(`${names.head}.weight`)) b.fail(`has no classifier head '${names.head}.weight'; a ViT without its head is not supported`);
  b.linear(names.head, token, d, null, 'out-in');
  notes.push(
    `ViT blocks: pre-LayerNorm (eps ${eps}${config.eps === null ? `, ${timm ? 'timm' : 'Hugging Face'}'s default` : ''}), attention over every position (not causal), MLP activation ${activation}${config.activation ? '' : ' (exact erf)'}; patches of ${kh}×${kw} with stride ${kh}×${kw}, the class token first, its output read by the head`,
  );
  if (timm) notes.push('attn.qkv packs query, key and value along its outputs, each head contiguous');
}
