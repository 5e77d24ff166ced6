import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readNetwork } from '../../../src/engine/architecture/loadNetwork';
import { initBackend } from '../../../src/engine/backend/tfBackend';
import { openCheckpoint } from '../../../src/engine/formats/openCheckpoint';
import { forwardNetwork } from '../../../src/engine/model/forward';
import { fixture } from '../../helpers/paths';

/**
 * The ViT fixtures (make_vit_fixtures.py: timm's naming, and vit_a again in Hugging Face's) run
 * forward on their held-out digits must give the loss and accuracy PyTorch computed in float64.
 */
const expected = JSON.parse(readFileSync(fixture('transformers', 'vit', 'expected.json'), 'utf8')) as {
  models: Record<string, { loss: number; accuracy: number }>;
};
const IMAGE = { shape: [1, 28, 28], file: 'digits_eval.npz' };

async function digits(): Promise<{ x: Float32Array; y: Float32Array; count: number }> {
  const npz = await openCheckpoint(fixture('transformers', 'vit', 'digits_eval.npz'));
  try {
    return { x: await npz.readFloat32('x'), y: await npz.readFloat32('y'), count: npz.info('y').shape[0]! };
  } finally {
    await npz.close();
  }
}

function score(logits: Float32Array, labels: Float32Array, count: number, classes: number): { loss: number; accuracy: number } {
  let loss = 0;
  let correct = 0;
  for (let s = 0; s < count; s++) {
    const row = logits.subarray(s * classes, (s + 1) * classes);
    const max = Math.max(...row);
    const sum = row.reduce((acc, v) => acc + Math.exp(v - max), 0);
    loss += Math.log(sum) + max - row[labels[s]!]!;
    if (row.indexOf(max) === labels[s]) correct++;
  }
  return { loss: loss / count, accuracy: correct / count };
}

test('ViT (timm naming): patch convolution, class token, positions, packed qkv, not causal, the class token to the head', async () => {
  const checkpoint = await openCheckpoint(fixture('transformers', 'vit', 'vit_a.pt'));
  const loaded = await readNetwork(checkpoint, { activation: 'relu', sample: IMAGE }).finally(() => checkpoint.close());
  const ids = loaded.network.nodes.map((n) => `${n.id}:${n.op}`);
  assert.deepEqual(ids.slice(0, 9), [
    'patch_embed.proj:conv2d', 'patch_embed:patches', 'cls_token:prepend', 'pos_embed:positions',
    'blocks.0.norm1:layernorm', 'blocks.0.attn.qkv.q:linear', 'blocks.0.attn.qkv.k:linear', 'blocks.0.attn.qkv.v:linear', 'blocks.0.attn:attention',
  ]);
  assert.deepEqual(ids.slice(-3), ['norm:layernorm', 'norm.token:token', 'head:linear']);
  assert.deepEqual(loaded.network.input, [1, 28, 28]);
  const conv = loaded.network.nodes[0]!;
  assert.deepEqual(conv.op === 'conv2d' && [conv.kernel, conv.stride], [[7, 7], [7, 7]]);
  const attention = loaded.network.nodes.find((n) => n.op === 'attention')!;
  assert.deepEqual(attention.op === 'attention' && [attention.heads, attention.headSize, attention.causal, attention.padding, attention.rotary], [4, 16, false, false, null]);
  const norm = loaded.network.nodes.find((n) => n.op === 'layernorm')!;
  assert.equal(norm.op === 'layernorm' && norm.eps, 1e-6);
  assert.deepEqual(loaded.params.get('pos_embed')!.shape, [17, 64]);
  assert.deepEqual(loaded.params.get('cls_token')!.shape, [64]);
  assert.deepEqual(loaded.params.get('blocks.1.attn.qkv.weight:k')!.shape, [64, 64]);
});

for (const name of ['vit_a', 'vit_b', 'vit_hf_a']) {
  test(`wasm: ${name} reproduces PyTorch's loss and accuracy on the held-out digits`, async (t) => {
    await initBackend('wasm');
    const folder = name.startsWith('vit_hf') ? 'vit_hf' : 'vit';
    const checkpoint = await openCheckpoint(fixture('transformers', folder, `${name}.pt`));
    const loaded = await readNetwork(checkpoint, { activation: 'relu', sample: IMAGE }).finally(() => checkpoint.close());
    const data = await digits();
    const out = await forwardNetwork(loaded.network, loaded.params, data.x, data.count);
    const got = score(out.logits, data.y, data.count, 10);
    const want = expected.models[name]!;
    t.diagnostic(`${name}: loss ${got.loss} (PyTorch float64 ${want.loss}), accuracy ${got.accuracy} (${want.accuracy})`);
    assert.ok(Math.abs(got.loss - want.loss) <= 1e-4 * want.loss, `${name}: loss ${got.loss} against ${want.loss}`);
    assert.equal(got.accuracy, want.accuracy);
  });
}
