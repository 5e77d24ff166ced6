import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDescription } from '../../../src/engine/architecture/description';
import { networkLayout, readNetwork, type NetworkOptions } from '../../../src/engine/architecture/loadNetwork';
import { exportAligned } from '../../../src/engine/compare/exportModels';
import { loadCheckpointPair } from '../../../src/engine/compare/loadPair';
import { writeSafetensors } from '../../../src/engine/export/writeSafetensors';
import { openCheckpoint } from '../../../src/engine/formats/openCheckpoint';
import { FormatError } from '../../../src/engine/io/formatError';
import { valueShapes } from '../../../src/engine/model/networkShapes';
import { withTiedNodes } from '../../../src/engine/model/networkTensors';
import { fixture, tempDir } from '../../helpers/paths';

const dir = tempDir();
const GPT2_A = fixture('transformers', 'gpt2', 'gpt2_a.pt');
const GPT2_B = fixture('transformers', 'gpt2', 'gpt2_b.pt');
const LLAMA_A = fixture('transformers', 'llama', 'llama_a.pt');
const TOKENS = { shape: [4], file: 'modadd_eval.npz' };

async function layoutOf(file: string, options: Partial<NetworkOptions> = {}) {
  const checkpoint = await openCheckpoint(file);
  try {
    return await networkLayout(checkpoint, { activation: 'relu', sample: TOKENS, ...options });
  } finally {
    await checkpoint.close();
  }
}

async function refusal(file: string, pattern: RegExp, options: Partial<NetworkOptions> = {}): Promise<FormatError> {
  let caught: FormatError | null = null;
  await assert.rejects(layoutOf(file, options), (error: unknown) => {
    assert.ok(error instanceof FormatError, String(error));
    assert.match(error.message, pattern);
    caught = error;
    return true;
  });
  return caught!;
}

/** A safetensors checkpoint of zeros with these tensor shapes, alone in a fresh folder (no config.json unless written). */
async function checkpointOf(name: string, shapes: readonly [string, readonly number[]][], config?: object): Promise<string> {
  const folder = join(dir, name);
  mkdirSync(folder, { recursive: true });
  if (config) writeFileSync(join(folder, 'config.json'), JSON.stringify(config));
  const file = join(folder, 'model.safetensors');
  const tensors = shapes.map(([tensor, shape]) => ({ name: tensor, dtype: 'F32' as const, shape, data: new Float32Array(shape.reduce((x, y) => x * y, 1)).fill(0.01) }));
  await writeSafetensors(file, tensors);
  return file;
}

/** A tiny Llama's tensors (hidden 8, 2 query and 1 key/value heads of 4, MLP 16, vocab 5), with one block's MLP replaced by `mlp`. */
function llamaShapes(mlp: readonly [string, readonly number[]][] | null = null): [string, readonly number[]][] {
  const block = (i: number): [string, readonly number[]][] => [
    [`model.layers.${i}.input_layernorm.weight`, [8]],
    [`model.layers.${i}.self_attn.q_proj.weight`, [8, 8]],
    [`model.layers.${i}.self_attn.k_proj.weight`, [4, 8]],
    [`model.layers.${i}.self_attn.v_proj.weight`, [4, 8]],
    [`model.layers.${i}.self_attn.o_proj.weight`, [8, 8]],
    [`model.layers.${i}.post_attention_layernorm.weight`, [8]],
    ...(mlp && i === 0
      ? mlp
      : ([
          [`model.layers.${i}.mlp.gate_proj.weight`, [16, 8]],
          [`model.layers.${i}.mlp.up_proj.weight`, [16, 8]],
          [`model.layers.${i}.mlp.down_proj.weight`, [8, 16]],
        ] as [string, readonly number[]][])),
  ];
  return [['model.embed_tokens.weight', [5, 8]], ...block(0), ...block(1), ['model.norm.weight', [8]], ['lm_head.weight', [5, 8]]];
}

test('GPT-2: nodes in order from the HF names, packed c_attn as q/k/v parts of the stored tensor, the head tied to wte', async () => {
  const layout = await layoutOf(GPT2_A);
  const { network } = layout;
  assert.equal(network.kind, 'transformer');
  assert.deepEqual(network.input, [4]);
  const ids = network.nodes.map((n) => `${n.id}:${n.op}`);
  assert.deepEqual(ids.slice(0, 17), [
    'transformer.wte:embedding', 'transformer.wpe:positions',
    'transformer.h.0.ln_1:layernorm', 'transformer.h.0.attn.c_attn.q:linear', 'transformer.h.0.attn.c_attn.k:linear', 'transformer.h.0.attn.c_attn.v:linear',
    'transformer.h.0.attn:attention', 'transformer.h.0.attn.c_proj:linear', 'transformer.h.0.attn_residual:add',
    'transformer.h.0.ln_2:layernorm', 'transformer.h.0.mlp.c_fc:linear', 'transformer.h.0.mlp.act:activation', 'transformer.h.0.mlp.c_proj:linear', 'transformer.h.0:add',
    'transformer.h.1.ln_1:layernorm', 'transformer.h.1.attn.c_attn.q:linear', 'transformer.h.1.attn.c_attn.k:linear',
  ]);
  assert.deepEqual(ids.slice(-3), ['transformer.h.1:add', 'transformer.ln_f:layernorm', 'lm_head:linear']);
  const shapes = valueShapes(network);
  assert.deepEqual(shapes[network.nodes.length - 1], [4, 32]);
  assert.deepEqual(shapes[network.nodes.findIndex((n) => n.id === 'transformer.h.0.mlp.c_fc')], [4, 256]);
  const attention = network.nodes.find((n) => n.op === 'attention')!;
  assert.deepEqual(attention.op === 'attention' && [attention.heads, attention.kvHeads, attention.headSize, attention.causal, attention.rotary, attention.padding], [4, 4, 16, true, null, true]);
  const act = network.nodes.find((n) => n.op === 'activation')!;
  assert.equal(act.op === 'activation' && act.fn, 'gelu_tanh');
  const head = network.nodes[network.nodes.length - 1]!;
  assert.equal(head.op === 'linear' && head.weight, 'transformer.wte.weight');
  assert.deepEqual(layout.aliases, new Map([['lm_head.weight', 'transformer.wte.weight']]));
  assert.deepEqual(layout.packed.get('transformer.h.0.attn.c_attn.weight:k'), { stored: 'transformer.h.0.attn.c_attn.weight', part: 1, parts: 3 });
  assert.ok(layout.transposed.has('transformer.h.0.attn.c_attn.weight') && layout.transposed.has('transformer.h.1.mlp.c_proj.weight'));
  assert.ok(layout.notes.some((n) => /4 attention heads, from .*config\.json/.test(n)), layout.notes.join(' | '));
  assert.ok(layout.notes.some((n) => /tied/.test(n)));
  assert.equal(layout.description.config?.num_attention_heads, 4);
  // What describe writes reads back as a description stating the same config.
  const reread = parseDescription('gpt2_a.arch.json', JSON.parse(JSON.stringify(layout.description)));
  assert.deepEqual(reread.config, layout.description.config);
  assert.deepEqual(reread.layers, []);
});

test('GPT-2: the q/k/v parts are the stored c_attn\'s column blocks, transposed to [out, in]', async () => {
  const checkpoint = await openCheckpoint(GPT2_A);
  try {
    const loaded = await readNetwork(checkpoint, { activation: 'relu', sample: TOKENS });
    const stored = await checkpoint.readFloat32('transformer.h.1.attn.c_attn.weight'); // [64, 192], [in, out]
    const v = loaded.params.get('transformer.h.1.attn.c_attn.weight:v')!;
    assert.deepEqual(v.shape, [64, 64]);
    for (const [o, i] of [[0, 0], [5, 17], [63, 63]] as const) assert.equal(v.data[o * 64 + i], stored[i * 192 + 128 + o]);
    const bias = loaded.params.get('transformer.h.1.attn.c_attn.bias:q')!;
    assert.deepEqual(Array.from(bias.data), Array.from((await checkpoint.readFloat32('transformer.h.1.attn.c_attn.bias')).subarray(0, 64)));
    assert.deepEqual(loaded.params.get('transformer.wpe.weight')!.shape, [8, 64]);
  } finally {
    await checkpoint.close();
  }
});

test('Llama: RMSNorm, GQA with rotary attention, SwiGLU as activation and mul, an untied head', async () => {
  const layout = await layoutOf(LLAMA_A);
  const ids = layout.network.nodes.map((n) => `${n.id}:${n.op}`);
  assert.deepEqual(ids.slice(0, 15), [
    'model.embed_tokens:embedding',
    'model.layers.0.input_layernorm:rmsnorm', 'model.layers.0.self_attn.q_proj:linear', 'model.layers.0.self_attn.k_proj:linear', 'model.layers.0.self_attn.v_proj:linear',
    'model.layers.0.self_attn:attention', 'model.layers.0.self_attn.o_proj:linear', 'model.layers.0.attn_residual:add',
    'model.layers.0.post_attention_layernorm:rmsnorm', 'model.layers.0.mlp.gate_proj:linear', 'model.layers.0.mlp.act:activation', 'model.layers.0.mlp.up_proj:linear',
    'model.layers.0.mlp.mul:mul', 'model.layers.0.mlp.down_proj:linear', 'model.layers.0:add',
  ]);
  assert.deepEqual(ids.slice(-2), ['model.norm:rmsnorm', 'lm_head:linear']);
  const attention = layout.network.nodes.find((n) => n.op === 'attention')!;
  assert.ok(attention.op === 'attention');
  assert.deepEqual([attention.heads, attention.kvHeads, attention.headSize, attention.rotary?.theta, attention.causal], [4, 2, 16, 10000, true]);
  const head = layout.network.nodes[layout.network.nodes.length - 1]!;
  assert.equal(head.op === 'linear' && head.weight, 'lm_head.weight');
  assert.equal(layout.aliases.size, 0);
  assert.equal(layout.packed.size, 0);
  assert.ok(layout.notes.includes('rotary embeddings: query/key units within a head are not permuted (each pair turns at its own frequency)'));
  assert.ok(layout.notes.some((n) => /4 query and 2 key\/value heads of 16/.test(n)), layout.notes.join(' | '));
});

test('without config.json the head count is asked for, naming where it goes; the flag or the description\'s "config" gives it', async () => {
  const file = join(dir, 'bare', 'gpt2_a.pt');
  mkdirSync(join(dir, 'bare'), { recursive: true });
  copyFileSync(GPT2_A, file);
  const error = await refusal(file, /number of attention heads/);
  assert.match(error.message, /gpt2_a\.pt/);
  assert.match(error.message, /no config\.json is beside it/);
  assert.match(error.message, /config\.json beside it with "n_head"/);
  assert.match(error.message, /"config": \{ "num_attention_heads": N \} in gpt2_a\.arch\.json/);
  assert.match(error.message, /--heads N/);
  const flagged = await layoutOf(file, { heads: 8 });
  const attention = flagged.network.nodes.find((n) => n.op === 'attention')!;
  assert.equal(attention.op === 'attention' && attention.headSize, 8);
  assert.ok(flagged.notes.includes('8 attention heads, as the flag says'));
  const description = join(dir, 'bare', 'gpt2_a.arch.json');
  writeFileSync(description, JSON.stringify({ format: 'merge-lens.architecture', version: 1, config: { n_head: 2 } }));
  const described = await layoutOf(file);
  assert.equal(described.descriptionFile, description);
  const two = described.network.nodes.find((n) => n.op === 'attention')!;
  assert.equal(two.op === 'attention' && two.heads, 2);
});

test('a description states a transformer by "config" alone, not beside layers', () => {
  assert.throws(
    () => parseDescription('x.arch.json', { format: 'merge-lens.architecture', version: 1, config: { n_head: 2 }, layers: [{ id: 'fc', op: 'linear' }] }),
    /both "layers" and a transformer's "config"/,
  );
  assert.throws(() => parseDescription('x.arch.json', { format: 'merge-lens.architecture', version: 1, config: 3 }), /"config" must be a JSON object/);
});

test('a mixture of experts is refused by name (Mixtral\'s block_sparse_moe, Qwen-MoE\'s mlp.experts)', async () => {
  const config = { num_attention_heads: 2, num_key_value_heads: 1 };
  const mixtral = await checkpointOf('mixtral', llamaShapes([
    ['model.layers.0.block_sparse_moe.gate.weight', [2, 8]],
    ['model.layers.0.block_sparse_moe.experts.0.w1.weight', [16, 8]],
    ['model.layers.0.block_sparse_moe.experts.0.w2.weight', [8, 16]],
    ['model.layers.0.block_sparse_moe.experts.0.w3.weight', [16, 8]],
  ]), config);
  await refusal(mixtral, /block_sparse_moe.*Mixtral-style mixture of experts.*not supported/);
  const qwen = await checkpointOf('qwen-moe', llamaShapes([
    ['model.layers.0.mlp.gate.weight', [2, 8]],
    ['model.layers.0.mlp.experts.0.gate_proj.weight', [16, 8]],
    ['model.layers.0.mlp.experts.0.up_proj.weight', [16, 8]],
    ['model.layers.0.mlp.experts.0.down_proj.weight', [8, 16]],
  ]), config);
  await refusal(qwen, /mlp\.experts\.0.*mixture of experts is not supported/);
  // The config alone says so too.
  const dense = await checkpointOf('moe-config', llamaShapes(), { ...config, num_local_experts: 8 });
  await refusal(dense, /mixture of experts \(8 experts per layer\).*not supported/);
});

test('sliding windows, ALiBi, scaled rotary frequencies and ill-fitting biases are refused by name', async () => {
  const config = { num_attention_heads: 2, num_key_value_heads: 1 };
  await refusal(await checkpointOf('mistral', llamaShapes(), { ...config, sliding_window: 4096 }), /sliding-window attention.*not supported/);
  await refusal(await checkpointOf('alibi', llamaShapes(), { ...config, alibi: true }), /ALiBi is not supported/);
  await refusal(await checkpointOf('gemma', llamaShapes(), { ...config, model_type: 'gemma' }), /"model_type": "gemma", a variant computed otherwise.*not supported/);
  await refusal(await checkpointOf('scaled', llamaShapes(), { ...config, rope_scaling: { type: 'linear', factor: 2 } }), /scaled rotary frequencies are not supported/);
  const biased = [...llamaShapes(), ['model.layers.0.self_attn.q_proj.bias', [4]] as [string, readonly number[]]];
  await refusal(await checkpointOf('bias', biased, config), /q_proj\.bias.*\[4\].*8 outputs; such a bias is not supported/);
  // A tiny Llama that fits loads, its GQA from the config.
  const ok = await layoutOf(await checkpointOf('tiny-llama', llamaShapes(), config));
  const attention = ok.network.nodes.find((n) => n.op === 'attention')!;
  assert.deepEqual(attention.op === 'attention' && [attention.heads, attention.kvHeads, attention.headSize], [2, 1, 4]);
  // A tensor no layer uses is named.
  const extra = [...llamaShapes(), ['model.layers.0.self_attn.q_norm.weight', [4]] as [string, readonly number[]]];
  await refusal(await checkpointOf('qk-norm', extra, config), /q_norm\.weight.*not supported/);
});

test('a tied head stored under both names must hold the embedding\'s values', async () => {
  const config = { num_attention_heads: 2, num_key_value_heads: 1, tie_word_embeddings: true };
  const shapes = llamaShapes();
  const folder = join(dir, 'untied-values');
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'config.json'), JSON.stringify(config));
  const file = join(folder, 'model.safetensors');
  await writeSafetensors(file, shapes.map(([name, shape]) => ({ name, dtype: 'F32' as const, shape, data: new Float32Array(shape.reduce((x, y) => x * y, 1)).fill(name === 'lm_head.weight' ? 0.5 : 0.01) })));
  const checkpoint = await openCheckpoint(file);
  try {
    await assert.rejects(readNetwork(checkpoint, { activation: 'relu', sample: TOKENS }), /'lm_head\.weight' differs from 'model\.embed_tokens\.weight' in 40 of 40 values.*"tie_word_embeddings": false/);
  } finally {
    await checkpoint.close();
  }
});

test('sequences longer than the position table are refused; without data a short default is noted', async () => {
  await refusal(GPT2_A, /at most 8 positions but the data's sequences have 9/, { sample: { shape: [9], file: 'long.npz' } });
  await refusal(GPT2_A, /token model takes sequences of token ids \[T\]/, { sample: { shape: [1, 28, 28], file: 'mnist.npz' } });
  const layout = await layoutOf(GPT2_A, { sample: null });
  assert.deepEqual(layout.network.input, [8]);
  assert.ok(layout.notes.includes('no data: sequences of 8 tokens are assumed'));
});

test('exporting π(B) writes B back as stored: c_attn packed and [in, out], the tied head under both names', async () => {
  const pair = await loadCheckpointPair(GPT2_A, GPT2_B, { activation: 'relu', sample: TOKENS });
  const out = join(dir, 'gpt2_b.aligned.safetensors');
  await exportAligned(out, pair, pair.b.params, 'naive', {});
  const [written, original] = [await openCheckpoint(out), await openCheckpoint(GPT2_B)];
  try {
    assert.deepEqual(written.tensors.map((t) => t.name).sort(), original.tensors.map((t) => t.name).sort());
    for (const t of original.tensors) {
      assert.deepEqual(written.info(t.name).shape, t.shape, t.name);
      assert.deepEqual(await written.readFloat32(t.name), await original.readFloat32(t.name), t.name);
    }
  } finally {
    await Promise.all([written.close(), original.close()]);
  }
});

test('buffers older libraries saved are left aside; attention in another layout is refused, naming the layouts read', async () => {
  const config = { num_attention_heads: 2, num_key_value_heads: 1 };
  const withBuffers = [...llamaShapes(), ['model.layers.0.self_attn.rotary_emb.inv_freq', [2]], ['model.layers.1.self_attn.rotary_emb.inv_freq', [2]]] as [string, readonly number[]][];
  const layout = await layoutOf(await checkpointOf('inv-freq', withBuffers, config));
  assert.ok(layout.notes.some((n) => /rotary_emb\.inv_freq.*buffers, not weights: left out/.test(n)), layout.notes.join(' | '));
  const neox = await checkpointOf('neox', [['gpt_neox.layers.0.attention.query_key_value.weight', [24, 8]], ['gpt_neox.embed_in.weight', [5, 8]]], config);
  await refusal(neox, /'gpt_neox\.layers\.0\.attention\.query_key_value\.weight'.*layout not read here.*GPT-2.*Llama.*ViT/);
});

test('head counts that do not fit the weights are refused, naming the sizes', async () => {
  const file = await checkpointOf('bad-heads', llamaShapes(), { num_attention_heads: 3, num_key_value_heads: 1 });
  await refusal(file, /hidden size of 8, which 3 attention heads do not divide/);
  await refusal(await checkpointOf('bad-kv', llamaShapes(), { num_attention_heads: 2, num_key_value_heads: 4 }), /2 query heads and 4 key\/value heads/);
  await refusal(await checkpointOf('bad-count', llamaShapes(), { num_attention_heads: -2 }), /"num_attention_heads" must be a positive whole number/);
  await refusal(await checkpointOf('no-count', llamaShapes(), { hidden_size: 8 }), /not in its weights and .*config\.json does not state it: put a config\.json beside it with "num_attention_heads"/);
});

test('interpolating a tied head interpolates its embedding too: they read one tensor', async () => {
  const { network } = await layoutOf(GPT2_A);
  const last = network.nodes.length - 1;
  const mask = withTiedNodes(network, network.nodes.map((_, i) => i === last));
  assert.deepEqual(network.nodes.flatMap((n, i) => (mask[i] ? [n.id] : [])), ['transformer.wte', 'lm_head']);
});

test('ViT in Hugging Face\'s naming: separate query, key and value, the class token read by the classifier; eps from its config', async () => {
  const layout = await layoutOf(fixture('transformers', 'vit_hf', 'vit_hf_a.pt'), { sample: { shape: [1, 28, 28], file: 'digits_eval.npz' } });
  const ids = layout.network.nodes.map((n) => `${n.id}:${n.op}`);
  assert.deepEqual(ids.slice(0, 9), [
    'vit.embeddings.patch_embeddings.projection:conv2d', 'vit.embeddings.patch_embeddings:patches', 'vit.embeddings.cls_token:prepend', 'vit.embeddings.position_embeddings:positions',
    'vit.encoder.layer.0.layernorm_before:layernorm', 'vit.encoder.layer.0.attention.attention.query:linear', 'vit.encoder.layer.0.attention.attention.key:linear',
    'vit.encoder.layer.0.attention.attention.value:linear', 'vit.encoder.layer.0.attention.attention:attention',
  ]);
  assert.deepEqual(ids.slice(-3), ['vit.layernorm:layernorm', 'vit.layernorm.token:token', 'classifier:linear']);
  const norm = layout.network.nodes.find((n) => n.op === 'layernorm')!;
  assert.equal(norm.op === 'layernorm' && norm.eps, 1e-6);
  // Without data the image size follows from the position embeddings: 16 patches of 7×7.
  const bare = await layoutOf(fixture('transformers', 'vit_hf', 'vit_hf_a.pt'), { sample: null });
  assert.deepEqual(bare.network.input, [1, 28, 28]);
  await refusal(fixture('transformers', 'vit_hf', 'vit_hf_a.pt'), /position embeddings for 16 patches of 7×7, which 32×32 images do not give/, { sample: { shape: [1, 32, 32], file: 'big.npz' } });
});

test('a config.json that is not JSON, or names an unknown activation, is refused naming it', async () => {
  const broken = await checkpointOf('broken-config', llamaShapes());
  writeFileSync(join(dir, 'broken-config', 'config.json'), '{"num_attention_heads": 2,');
  await refusal(broken, /config\.json/);
  await refusal(await checkpointOf('odd-act', llamaShapes(), { num_attention_heads: 2, num_key_value_heads: 1, hidden_act: 'mish' }), /config\.json: names the activation "mish"/);
});

test('GPT2Model\'s names without the transformer. prefix, no lm_head: the head is the embedding; timm\'s num_heads under model_args', async () => {
  const block = (i: number): [string, readonly number[]][] => [
    [`h.${i}.ln_1.weight`, [8]], [`h.${i}.ln_1.bias`, [8]],
    [`h.${i}.attn.c_attn.weight`, [8, 24]], [`h.${i}.attn.c_attn.bias`, [24]],
    [`h.${i}.attn.c_proj.weight`, [8, 8]], [`h.${i}.attn.c_proj.bias`, [8]],
    [`h.${i}.ln_2.weight`, [8]], [`h.${i}.ln_2.bias`, [8]],
    [`h.${i}.mlp.c_fc.weight`, [8, 32]], [`h.${i}.mlp.c_fc.bias`, [32]],
    [`h.${i}.mlp.c_proj.weight`, [32, 8]], [`h.${i}.mlp.c_proj.bias`, [8]],
  ];
  const shapes: [string, readonly number[]][] = [['wte.weight', [5, 8]], ['wpe.weight', [6, 8]], ...block(0), ['ln_f.weight', [8]], ['ln_f.bias', [8]]];
  const layout = await layoutOf(await checkpointOf('gpt2model', shapes, { model_args: { num_heads: 2 } }));
  const ids = layout.network.nodes.map((n) => n.id);
  assert.deepEqual(ids.slice(0, 4), ['wte', 'wpe', 'h.0.ln_1', 'h.0.attn.c_attn.q']);
  const head = layout.network.nodes[layout.network.nodes.length - 1]!;
  assert.deepEqual(head.op === 'linear' && [head.id, head.weight, head.outFeatures], ['lm_head', 'wte.weight', 5]);
  const attention = layout.network.nodes.find((n) => n.op === 'attention')!;
  assert.equal(attention.op === 'attention' && attention.heads, 2);
  assert.ok(layout.notes.some((n) => /tied to the embedding 'wte\.weight' \(no 'lm_head\.weight'\)/.test(n)), layout.notes.join(' | '));
});
