import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isJsonObject, quoteJson, readJsonObjectFile, type JsonObject } from '../formats/strictJson';
import { FormatError } from '../io/formatError';
import type { Activation } from '../../shared/compareRequest';
import type { Network } from '../model/network';

/**
 * What a transformer's weights do not say (the head count above all), as Hugging Face's
 * `config.json` states it, or timm's (`num_heads` at the top or in `model_args`). Null: not stated.
 */
export interface TransformerConfig {
  readonly heads: number | null;
  readonly kvHeads: number | null;
  readonly headSize: number | null;
  readonly eps: number | null;
  readonly activation: Activation | null;
  readonly ropeTheta: number | null;
  readonly tied: boolean | null;
  readonly maxPositions: number | null;
  /** Hugging Face's "model_type" ("gpt2", "llama", …). */
  readonly modelType: string | null;
  /** Where these values were read, for notes and messages; null when nothing was. */
  readonly source: string | null;
}

const MAX_CONFIG_BYTES = 4 << 20;

/** The config.json looked for beside a checkpoint (the Hugging Face and timm convention). */
export function configBeside(file: string): string {
  return join(dirname(file), 'config.json');
}

/** HF `activation_function` / `hidden_act` values, as the engine names them. */
const ACTIVATION_NAMES: Readonly<Record<string, Activation>> = {
  gelu: 'gelu',
  gelu_new: 'gelu_tanh',
  gelu_pytorch_tanh: 'gelu_tanh',
  gelu_fast: 'gelu_tanh',
  silu: 'silu',
  swish: 'silu',
  relu: 'relu',
  tanh: 'tanh',
  sigmoid: 'sigmoid',
  leaky_relu: 'leaky_relu',
};

/**
 * Reads the config: `fromDescription` (a description file's "config") when given, else the
 * config.json beside the checkpoint if there is one. Variants the engine does not compute (a
 * mixture of experts, sliding-window attention, ALiBi, scaled rotary frequencies) are refused by
 * name; `where` names the file the config came from.
 */
export async function readTransformerConfig(checkpointFile: string, fromDescription: { readonly file: string; readonly config: JsonObject } | null): Promise<TransformerConfig> {
  if (fromDescription) return parseTransformerConfig(fromDescription.file, fromDescription.config, `"config" in ${fromDescription.file}`);
  const file = configBeside(checkpointFile);
  if (!existsSync(file)) return parseTransformerConfig(file, {}, null);
  return parseTransformerConfig(file, await readJsonObjectFile(file, MAX_CONFIG_BYTES, 'model config'), file);
}

export function parseTransformerConfig(file: string, json: JsonObject, source: string | null): TransformerConfig {
  const fail = (problem: string): never => {
    throw new FormatError(file, problem);
  };
  // timm keeps a model's constructor arguments under "model_args"; the top level wins.
  const args = isJsonObject(json.model_args) ? json.model_args : {};
  const pick = (...keys: string[]): unknown => {
    for (const key of keys) if (json[key] !== undefined && json[key] !== null) return json[key];
    for (const key of keys) if (args[key] !== undefined && args[key] !== null) return args[key];
    return undefined;
  };
  const count = (...keys: string[]): number | null => {
    const value = pick(...keys);
    if (value === undefined) return null;
    if (!(Number.isSafeInteger(value) && (value as number) > 0)) fail(`"${keys.find((k) => json[k] !== undefined || args[k] !== undefined)}" must be a positive whole number, not ${quoteJson(value)}`);
    return value as number;
  };
  const positive = (...keys: string[]): number | null => {
    const value = pick(...keys);
    if (value === undefined) return null;
    // The engine computes in float32: an eps that rounds to 0 there divides a padded position's zeros by 0.
    if (!(typeof value === 'number' && Math.fround(value) > 0 && Number.isFinite(Math.fround(value)))) {
      fail(`"${keys.find((k) => json[k] !== undefined || args[k] !== undefined)}" must be a positive number within float32's range, not ${quoteJson(value)}`);
    }
    return value as number;
  };

  const experts = pick('num_local_experts', 'num_experts', 'n_routed_experts', 'moe_num_experts');
  if (typeof experts === 'number' && experts > 0) fail(`describes a mixture of experts (${experts} experts per layer); a mixture of experts is not supported`);
  const window = pick('sliding_window');
  if (window !== undefined && window !== false && pick('use_sliding_window') !== false) {
    fail(`describes sliding-window attention ("sliding_window": ${quoteJson(window)}); sliding-window attention is not supported`);
  }
  if (pick('alibi') === true || pick('use_alibi') === true || pick('position_embedding_type') === 'alibi') fail('describes ALiBi position biases; ALiBi is not supported');
  const positionType = pick('position_embedding_type');
  if (positionType !== undefined && positionType !== 'absolute' && positionType !== 'alibi') fail(`has "position_embedding_type": ${quoteJson(positionType)}; only absolute (learned) position embeddings and rotary ones are supported`);
  if (pick('rope_scaling') !== undefined) fail(`has "rope_scaling": ${quoteJson(pick('rope_scaling'))}; scaled rotary frequencies are not supported`);
  const partial = pick('partial_rotary_factor');
  if (partial !== undefined && partial !== 1) fail(`has "partial_rotary_factor": ${quoteJson(partial)}; rotary embeddings on part of a head are not supported`);
  if (pick('scale_attn_by_inverse_layer_idx') === true) fail('has "scale_attn_by_inverse_layer_idx": true; attention scaled per layer is not supported');
  if (pick('scale_attn_weights') === false) fail('has "scale_attn_weights": false; attention without the 1/√head size scale is not supported');

  const actName = pick('activation_function', 'hidden_act', 'act_layer');
  let activation: Activation | null = null;
  if (actName !== undefined) {
    activation = typeof actName === 'string' && Object.hasOwn(ACTIVATION_NAMES, actName) ? ACTIVATION_NAMES[actName]! : null;
    if (!activation) fail(`names the activation ${quoteJson(actName)}; the ones supported are ${Object.keys(ACTIVATION_NAMES).join(', ')}`);
  }
  const tie = pick('tie_word_embeddings');
  if (tie !== undefined && typeof tie !== 'boolean') fail(`"tie_word_embeddings" must be true or false, not ${quoteJson(tie)}`);
  return {
    heads: count('n_head', 'num_attention_heads', 'num_heads'),
    kvHeads: count('num_key_value_heads'),
    headSize: count('head_dim'),
    eps: positive('layer_norm_epsilon', 'rms_norm_eps', 'layer_norm_eps', 'norm_eps'),
    activation,
    ropeTheta: positive('rope_theta'),
    tied: tie === undefined ? null : (tie as boolean),
    maxPositions: count('n_positions', 'max_position_embeddings'),
    modelType: typeof json.model_type === 'string' ? json.model_type : null,
    source,
  };
}

/** The Hugging Face name a description writes for each activation. */
const HF_ACTIVATION: Readonly<Record<Activation, string>> = {
  relu: 'relu',
  gelu: 'gelu',
  gelu_tanh: 'gelu_new',
  silu: 'silu',
  tanh: 'tanh',
  sigmoid: 'sigmoid',
  leaky_relu: 'leaky_relu',
};

/**
 * A transformer network's settings in config.json keys, read back from its nodes: what
 * `describe` writes as a description's "config", and what `parseTransformerConfig` reads.
 */
export function transformerSettings(network: Network): JsonObject {
  const attention = network.nodes.find((n) => n.op === 'attention');
  const norm = network.nodes.find((n) => n.op === 'layernorm' || n.op === 'rmsnorm');
  const act = network.nodes.find((n) => n.op === 'activation');
  const embedding = network.nodes.find((n) => n.op === 'embedding');
  const headNode = network.nodes[network.nodes.length - 1];
  return {
    ...(attention?.op === 'attention'
      ? {
          num_attention_heads: attention.heads,
          ...(attention.kvHeads !== attention.heads ? { num_key_value_heads: attention.kvHeads } : {}),
          head_dim: attention.headSize,
          ...(attention.rotary ? { rope_theta: attention.rotary.theta } : {}),
        }
      : {}),
    ...(norm && 'eps' in norm ? { layer_norm_eps: norm.eps } : {}),
    ...(act?.op === 'activation' ? { hidden_act: HF_ACTIVATION[act.fn] } : {}),
    ...(embedding?.op === 'embedding' && headNode?.op === 'linear' ? { tie_word_embeddings: headNode.weight === embedding.weight } : {}),
  };
}
