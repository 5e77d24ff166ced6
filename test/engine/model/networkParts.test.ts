import { test } from 'node:test';
import assert from 'node:assert/strict';
import { layerUnits } from '../../../src/engine/model/network';
import { blockBoundaries, networkParts } from '../../../src/engine/model/networkParts';
import { fixture } from '../../helpers/paths';
import { readFixtureNetwork } from '../../helpers/readFixtureNetwork';

test('a transformer splits into embeddings, per block attention, MLP and the whole block, then the head', async () => {
  const { network } = await readFixtureNetwork(fixture('transformers', 'gpt2', 'gpt2_a.pt'), 'relu');
  const ids = (nodes: readonly number[]) => nodes.map((i) => network.nodes[i]!.id);
  // The stream after the position embeddings, after block 0, after block 1.
  assert.deepEqual(ids(blockBoundaries(network)), ['transformer.wpe', 'transformer.h.0', 'transformer.h.1']);
  const parts = networkParts(network);
  assert.deepEqual(parts.map((p) => [p.kind, p.name, p.block]), [
    ['embeddings', 'embeddings', null],
    ['attention', 'transformer.h.0.attn', 'transformer.h.0'],
    ['mlp', 'transformer.h.0.mlp', 'transformer.h.0'],
    ['block', 'transformer.h.0', null],
    ['attention', 'transformer.h.1.attn', 'transformer.h.1'],
    ['mlp', 'transformer.h.1.mlp', 'transformer.h.1'],
    ['block', 'transformer.h.1', null],
    ['head', 'lm_head', null],
  ]);
  assert.deepEqual(ids(parts[0]!.nodes), ['transformer.wte', 'transformer.wpe']);
  assert.deepEqual(ids(parts[1]!.nodes), ['transformer.h.0.ln_1', 'transformer.h.0.attn.c_attn.q', 'transformer.h.0.attn.c_attn.k', 'transformer.h.0.attn.c_attn.v', 'transformer.h.0.attn.c_proj']);
  assert.deepEqual(ids(parts[2]!.nodes), ['transformer.h.0.ln_2', 'transformer.h.0.mlp.c_fc', 'transformer.h.0.mlp.c_proj']);
  assert.deepEqual(parts[3]!.nodes, [...parts[1]!.nodes, ...parts[2]!.nodes]);
  assert.deepEqual(ids(parts[7]!.nodes), ['transformer.ln_f', 'lm_head']);
  // Every node with tensors is in exactly one of the parts that are not whole blocks.
  const covered = parts.filter((p) => p.kind !== 'block').flatMap((p) => p.nodes);
  assert.equal(new Set(covered).size, covered.length);
});

test('Llama: the SwiGLU MLP is named by its projections\' prefix', async () => {
  const { network } = await readFixtureNetwork(fixture('transformers', 'llama', 'llama_a.pt'), 'relu');
  const parts = networkParts(network);
  assert.deepEqual(parts.filter((p) => p.block === 'model.layers.1').map((p) => p.name), ['model.layers.1.self_attn', 'model.layers.1.mlp']);
  assert.deepEqual(parts.find((p) => p.name === 'model.layers.1.mlp')!.nodes.map((i) => network.nodes[i]!.id), [
    'model.layers.1.post_attention_layernorm',
    'model.layers.1.mlp.gate_proj',
    'model.layers.1.mlp.up_proj',
    'model.layers.1.mlp.down_proj',
  ]);
});

test('other networks: one part per layer with weights and its BatchNorm', async () => {
  const { network } = await readFixtureNetwork(fixture('compare', 'a.pt'), 'relu');
  assert.deepEqual(blockBoundaries(network), []);
  assert.deepEqual(networkParts(network).map((p) => p.nodes[0]), layerUnits(network).map((u) => u.node));
});
