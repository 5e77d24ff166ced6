import { readFileSync } from 'node:fs';
import { fixture } from '../helpers/paths';
import { parseSafetensors, safetensorsOf } from './formats';
import type { Seed } from './families';
import { byteMutators, deepJson, NESTING_DEPTHS, type Draft, type Mutator } from './mutate';
import { Random } from './random';
import { tokenArraysIn, tokenFile } from './tokenFamily';

/**
 * The transformer family: a GPT-2- or Llama-style checkpoint with its config.json beside it, read
 * as a comparison reads it (the network inferred from the names, shapes and config, its tensors
 * read; with token data beside it, the data checked against it) and, where accepted, run forward
 * on two sequences: the data's first, or random tokens. The mutators change
 * what inference trusts: the config's values (head counts that do not divide the width, rotary
 * bases of 0, negative eps, unknown activations), the config file as a whole, and the tensors'
 * names (a mixture of experts, missing and extra tensors) and shapes. Values are left alone: a
 * byte flipped in a weight is the checkpoint families' business, and a huge weight overflows any
 * forward pass.
 */

const CONFIG = 'config.json';
/** Token data beside the checkpoint, which the worker reads as a comparison's evaluation data. */
export const TRANSFORMER_DATA = 'tokens.npz';
const DATA = TRANSFORMER_DATA;
const enc = new TextEncoder();
const json = (value: unknown): Uint8Array => enc.encode(JSON.stringify(value));

/** A small random tensor: F32 values of about ±0.5 (norm scales about 1), drawn from `rng`. */
function tensor(rng: Random, name: string, shape: number[], around = 0): { name: string; dtype: string; shape: number[]; data: Uint8Array } {
  const values = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => around + (rng.next() - 0.5));
  return { name, dtype: 'F32', shape, data: new Uint8Array(values.buffer) };
}

/** A one-block GPT-2 of width 8 (2 heads of 4), vocabulary 16, 8 positions, under `prefix`. */
function tinyGpt2(prefix: string, storeHead: boolean): Uint8Array {
  const rng = new Random(2);
  const [v, p, d, inner] = [16, 8, 8, 16];
  const tensors = [
    tensor(rng, `${prefix}wte.weight`, [v, d]),
    tensor(rng, `${prefix}wpe.weight`, [p, d]),
    tensor(rng, `${prefix}h.0.ln_1.weight`, [d], 1),
    tensor(rng, `${prefix}h.0.ln_1.bias`, [d]),
    tensor(rng, `${prefix}h.0.attn.c_attn.weight`, [d, 3 * d]),
    tensor(rng, `${prefix}h.0.attn.c_attn.bias`, [3 * d]),
    tensor(rng, `${prefix}h.0.attn.c_proj.weight`, [d, d]),
    tensor(rng, `${prefix}h.0.attn.c_proj.bias`, [d]),
    tensor(rng, `${prefix}h.0.ln_2.weight`, [d], 1),
    tensor(rng, `${prefix}h.0.ln_2.bias`, [d]),
    tensor(rng, `${prefix}h.0.mlp.c_fc.weight`, [d, inner]),
    tensor(rng, `${prefix}h.0.mlp.c_fc.bias`, [inner]),
    tensor(rng, `${prefix}h.0.mlp.c_proj.weight`, [inner, d]),
    tensor(rng, `${prefix}h.0.mlp.c_proj.bias`, [d]),
    tensor(rng, `${prefix}ln_f.weight`, [d], 1),
    tensor(rng, `${prefix}ln_f.bias`, [d]),
  ];
  // A tied head stored twice, as older transformers versions save it: the same values.
  if (storeHead) tensors.push({ ...tensors[0]!, name: 'lm_head.weight' });
  return safetensorsOf(tensors);
}

/** A one-block Llama of width 8: `heads` query heads of 2 and `kvHeads` key/value heads, an MLP of 16. */
function tinyLlama(heads: number, kvHeads: number, storeHead: boolean): Uint8Array {
  const rng = new Random(3);
  const [v, d, size, inner] = [16, 8, 2, 16];
  const p = 'model.layers.0';
  const tensors = [
    tensor(rng, 'model.embed_tokens.weight', [v, d]),
    tensor(rng, `${p}.input_layernorm.weight`, [d], 1),
    tensor(rng, `${p}.self_attn.q_proj.weight`, [heads * size, d]),
    tensor(rng, `${p}.self_attn.k_proj.weight`, [kvHeads * size, d]),
    tensor(rng, `${p}.self_attn.v_proj.weight`, [kvHeads * size, d]),
    tensor(rng, `${p}.self_attn.o_proj.weight`, [d, heads * size]),
    tensor(rng, `${p}.post_attention_layernorm.weight`, [d], 1),
    tensor(rng, `${p}.mlp.gate_proj.weight`, [inner, d]),
    tensor(rng, `${p}.mlp.up_proj.weight`, [inner, d]),
    tensor(rng, `${p}.mlp.down_proj.weight`, [d, inner]),
    tensor(rng, 'model.norm.weight', [d], 1),
    ...(storeHead ? [tensor(rng, 'lm_head.weight', [v, d])] : []),
  ];
  return safetensorsOf(tensors);
}

const GPT2_CONFIG = { model_type: 'gpt2', n_embd: 8, n_head: 2, n_layer: 1, n_positions: 8, vocab_size: 16, activation_function: 'gelu_new', layer_norm_epsilon: 1e-5 };
const LLAMA_CONFIG = {
  model_type: 'llama', hidden_size: 8, intermediate_size: 16, num_hidden_layers: 1, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 2,
  hidden_act: 'silu', max_position_embeddings: 8, rms_norm_eps: 1e-6, rope_theta: 10000, tie_word_embeddings: false, vocab_size: 16,
};

export function transformerSeeds(): Seed[] {
  const read = (...parts: string[]): Uint8Array => new Uint8Array(readFileSync(fixture(...parts)));
  const seed = (name: string, target: string, weights: Uint8Array, config: Uint8Array, weight = 3): Seed => ({ name, target, weight, files: new Map([[target, weights], [CONFIG, config]]) });
  // A comparison with token data: the data's length is the model's input, its ids must fit the vocabulary.
  const withData = (base: Seed, name: string, length: number): Seed => ({ ...base, name, weight: 2, files: new Map([...base.files, [DATA, tokenFile(3, length, 16, new Random(length))]]) });
  const gpt2 = seed('gpt2_tiny', 'model.safetensors', tinyGpt2('transformer.', false), json(GPT2_CONFIG));
  const llama = seed('llama_tiny_gqa', 'model.safetensors', tinyLlama(4, 2, true), json(LLAMA_CONFIG));
  return [
    gpt2,
    withData(gpt2, 'gpt2_tiny_data', 6),
    withData(llama, 'llama_tiny_gqa_data', 8),
    seed('gpt2_tiny_head', 'model.safetensors', tinyGpt2('', true), json({ ...GPT2_CONFIG, tie_word_embeddings: true })),
    llama,
    seed('llama_tiny_tied', 'model.safetensors', tinyLlama(4, 4, false), json({ ...LLAMA_CONFIG, num_key_value_heads: 4, tie_word_embeddings: true, model_type: 'mistral' })),
    // The trained fixtures, as PyTorch wrote them, with the configs their script wrote: drawn less
    // often, as a case of theirs (400 KB written, read and run at width 64) costs twice a tiny one.
    seed('gpt2_fixture', 'model.pt', read('transformers', 'gpt2', 'gpt2_a.pt'), json(JSON.parse(readFileSync(fixture('transformers', 'gpt2', CONFIG), 'utf8'))), 1),
    seed('llama_fixture', 'model.pt', read('transformers', 'llama', 'llama_a.pt'), json(JSON.parse(readFileSync(fixture('transformers', 'llama', CONFIG), 'utf8'))), 1),
  ];
}

/** The config keys inference reads or refuses by, and a few it must leave alone. */
const CONFIG_KEYS: readonly string[] = [
  'n_head', 'num_attention_heads', 'num_heads', 'num_key_value_heads', 'head_dim', 'rope_theta', 'layer_norm_epsilon', 'rms_norm_eps',
  'layer_norm_eps', 'norm_eps', 'activation_function', 'hidden_act', 'act_layer', 'tie_word_embeddings', 'n_positions', 'max_position_embeddings',
  'model_type', 'sliding_window', 'use_sliding_window', 'rope_scaling', 'partial_rotary_factor', 'num_local_experts', 'num_experts',
  'position_embedding_type', 'alibi', 'scale_attn_weights', 'scale_attn_by_inverse_layer_idx', 'n_embd', 'hidden_size', 'vocab_size', 'model_args',
  '__proto__', 'constructor',
];

/** Values for a config key: zeros, signs, fractions, huge and tiny numbers, non-dividing counts, wrong types. */
const CONFIG_VALUES: readonly unknown[] = [
  0, -1, -4, 1, 2, 3, 4, 5, 6, 7, 8, 16, 1.5, 2.5, 0.5, 2 ** 31, 2 ** 53, 2 ** 64, 1e308, -1e308, 1e-300, 5e-324, -1e-5, 1e-45, 1e39, 3.5e38,
  '4', 'NaN', 'Infinity', '-inf', '', 'x'.repeat(5000), '\u001b[31mred\n', true, false, null, [], [4], {}, { num_heads: 4 }, { type: 'linear', factor: 2 },
  'gelu', 'gelu_new', 'silu', 'swish', 'relu', 'mish', 'quick_gelu', 'constructor', 'toString', '__proto__', 'gpt2', 'llama', 'mistral', 'qwen2', 'gemma', 'vit', 'absolute', 'alibi', 'rotary',
];

function configOf(draft: Draft): Record<string, unknown> | undefined {
  const bytes = draft.files.get(CONFIG);
  if (!bytes) return undefined;
  try {
    const value = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const configValue: Mutator = {
  name: 'config-value',
  weight: 10,
  apply(draft, rng) {
    const config = configOf(draft);
    if (!config) return 'no config to change';
    const key = rng.pick(CONFIG_KEYS);
    const value = rng.pick(CONFIG_VALUES);
    // timm's constructor arguments stand under "model_args"; the top level wins there.
    const where = rng.chance(0.15) ? ((config.model_args ??= {}) as Record<string, unknown>) : config;
    if (typeof where !== 'object' || where === null) return 'no config to change';
    Object.defineProperty(where, key, { value, enumerable: true, writable: true, configurable: true });
    draft.files.set(CONFIG, json(config));
    return `set ${where === config ? '' : 'model_args.'}${key} in ${CONFIG} to ${JSON.stringify(value)?.slice(0, 40)}`;
  },
};

/**
 * The head counts and head size together, so that more combinations pass the shape checks: the
 * seeds' q/k/v rows are 8, and 8 = 8 heads × 1, 4 × 2, 2 × 4, 1 × 8 (an odd head size cannot rotate).
 */
const configHeads: Mutator = {
  name: 'config-heads',
  weight: 3,
  apply(draft, rng) {
    const config = configOf(draft);
    if (!config) return 'no config to change';
    const heads = rng.pick([1, 2, 4, 8, 3, 16]);
    const kvHeads = rng.pick([undefined, 1, 2, 4, 8, heads]);
    const headDim = rng.pick([undefined, 1, 2, 3, 4, 8, 64 / heads]);
    const key = 'n_head' in config ? 'n_head' : 'num_attention_heads';
    Object.assign(config, { [key]: heads, num_key_value_heads: kvHeads, head_dim: headDim });
    draft.files.set(CONFIG, json(config));
    return `set ${key} ${heads}, num_key_value_heads ${kvHeads}, head_dim ${headDim} in ${CONFIG}`;
  },
};

const configDelete: Mutator = {
  name: 'config-delete',
  weight: 2,
  apply(draft, rng) {
    const config = configOf(draft);
    if (!config) return 'no config to change';
    if (rng.chance(0.2)) {
      draft.files.delete(CONFIG);
      return `delete ${CONFIG}`;
    }
    const keys = Object.keys(config);
    if (!keys.length) return 'no key to delete';
    const key = rng.pick(keys);
    delete config[key];
    draft.files.set(CONFIG, json(config));
    return `delete ${key} from ${CONFIG}`;
  },
};

/** The config file as a whole: not an object, nested deep, megabytes long, or not JSON. */
const configWhole: Mutator = {
  name: 'config-whole',
  weight: 2,
  apply(draft, rng) {
    const config = configOf(draft) ?? {};
    const how = rng.below(6);
    let text: string;
    if (how === 0) text = rng.pick(['', '[]', '"x"', 'null', '4', '{', '{"n_head": 2,}', '\ufeff{"n_head": 2}', '{"n_head": 2} {"n_head": 3}']);
    else if (how === 1) {
      const depth = rng.pick(NESTING_DEPTHS);
      text = JSON.stringify({ ...config, extra: '\u0001' }).replace('"\\u0001"', deepJson(depth, rng));
    } else if (how === 2) text = JSON.stringify({ ...config, padding: 'p'.repeat(rng.pick([100_000, (4 << 20) + 1])) });
    else if (how === 3) text = JSON.stringify({ ...config, ...Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, i])) });
    else if (how === 4) text = JSON.stringify(config).replace(/"(n_head|num_attention_heads)":\s*\d+/, '"$1": 4, "$1": 3');
    else text = JSON.stringify([config]);
    draft.files.set(CONFIG, enc.encode(text));
    return `replace ${CONFIG} by ${text.length} characters: ${text.slice(0, 40)}`;
  },
};

/** Names a tensor may be renamed to or added under: experts and routers, other blocks, odd text. */
const TENSOR_NAMES: readonly string[] = [
  'model.layers.0.block_sparse_moe.experts.0.w1.weight', 'model.layers.0.block_sparse_moe.gate.weight', 'model.layers.0.mlp.experts.0.down_proj.weight',
  'model.layers.0.mlp.gate.weight', 'model.layers.0.mlp.router.weight', 'transformer.h.0.mlp.experts.1.c_fc.weight', 'router.weight',
  'model.layers.1.self_attn.q_proj.weight', 'model.layers.7.input_layernorm.weight', 'transformer.h.3.ln_1.weight', 'h.1.attn.c_attn.weight',
  'model.layers.0.self_attn.rotary_emb.inv_freq', 'transformer.h.0.attn.bias', 'transformer.h.0.attn.masked_bias', 'lm_head.weight', 'lm_head.bias',
  'model.layers.0.input_layernorm.bias', 'model.layers.0.self_attn.q_proj.bias', 'model.layers.0.self_attn.q_norm.weight', 'score.weight',
  'transformer.wte.weight', 'model.embed_tokens.weight', 'gpt_neox.layers.0.attention.query_key_value.weight', 'blocks.0.attn.qkv.weight',
  'model.layers.00.mlp.up_proj.weight', 'model.layers.-1.mlp.up_proj.weight', 'model.layers.1e3.mlp.up_proj.weight', '', 'x'.repeat(5000), 'a\nb', '\u202elm_head.weight',
];

function tensorsOf(draft: Draft): { header: Record<string, unknown>; data: Uint8Array; names: string[] } | undefined {
  if (!draft.target.endsWith('.safetensors')) return undefined;
  const parts = parseSafetensors(draft.files.get(draft.target)!);
  if (!parts) return undefined;
  return { ...parts, names: Object.keys(parts.header).filter((n) => n !== '__metadata__') };
}

/** The header's tensors written as a fresh file, with `extra` tensors of random values after them. */
function rewrite(draft: Draft, header: Record<string, unknown>, data: Uint8Array, extra: { name: string; shape: number[] }[] = []): void {
  const tensors = Object.entries(header)
    .filter(([name]) => name !== '__metadata__')
    .map(([name, entry]) => {
      const { dtype, shape, data_offsets: at } = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
      return { name, dtype, shape, data: data.subarray(at[0], at[1]) };
    });
  const rng = new Random(tensors.length);
  for (const { name, shape } of extra) tensors.push(tensor(rng, name, shape));
  draft.files.set(draft.target, safetensorsOf(tensors));
}

const tensorNames: Mutator = {
  name: 'tensor-names',
  weight: 5,
  apply(draft, rng) {
    const parts = tensorsOf(draft);
    if (!parts?.names.length) return 'no safetensors names to change';
    const { header, data, names } = parts;
    const old = rng.pick(names);
    const how = rng.below(3);
    if (how === 0) {
      delete header[old];
      rewrite(draft, header, data);
      return `delete tensor ${old}`;
    }
    const name = rng.pick(TENSOR_NAMES);
    if (how === 1) {
      const rebuilt: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(header)) rebuilt[k === old ? name : k] = v;
      rewrite(draft, rebuilt, data);
      return `rename tensor ${old} to ${JSON.stringify(name).slice(0, 60)}`;
    }
    const shape = rng.pick([(header[old] as { shape: number[] }).shape, [8], [8, 8], [16, 8], [4, 8, 2], [0], []]);
    rewrite(draft, header, data, [{ name, shape }]);
    return `add tensor ${JSON.stringify(name).slice(0, 60)} [${shape.join(', ')}]`;
  },
};

const tensorShape: Mutator = {
  name: 'tensor-shape',
  weight: 5,
  apply(draft, rng) {
    const parts = tensorsOf(draft);
    if (!parts?.names.length) return 'no safetensors shapes to change';
    const { header, data, names } = parts;
    const name = rng.pick(names);
    const old = (header[name] as { shape: number[] }).shape;
    const k = rng.below(Math.max(1, old.length));
    const dim = old[k] ?? 1;
    const shape = rng.pick([
      old.map((d, j) => (j === k ? d + 1 : d)),
      old.map((d, j) => (j === k ? Math.max(0, d - 1) : d)),
      old.map((d, j) => (j === k ? d * 2 : d)),
      old.map((d, j) => (j === k ? 0 : d)),
      old.map((d, j) => (j === k ? Math.max(1, Math.floor(dim / 3)) : d)),
      [...old].reverse(),
      [...old, 1],
      [1, ...old],
      old.slice(1),
      [old.reduce((a, b) => a * b, 1)],
    ]);
    if (shape.reduce((a, b) => a * b, 1) > 1 << 16) return `no change to ${name}`;
    delete header[name];
    rewrite(draft, header, data, [{ name, shape }]);
    return `reshape tensor ${name} from [${old.join(', ')}] to [${shape.join(', ')}]`;
  },
};

/**
 * The byte mutators, on config.json only (written compact, so that every cut breaks it): where an
 * earlier step deleted it they do nothing rather than fall back to the weights.
 */
const configBytes: Mutator[] = byteMutators(/^config\.json$/).map((m) => ({
  ...m,
  apply: (draft: Draft, rng: Random) => (draft.files.has(CONFIG) ? m.apply(draft, rng) : `${m.name} skipped: no ${CONFIG}`),
}));

export const transformerMutators: readonly Mutator[] = [
  ...configBytes, configValue, configHeads, configDelete, configWhole, tensorNames, tensorShape,
  tokenArraysIn((draft) => (draft.files.has(DATA) ? DATA : undefined), 4),
];
