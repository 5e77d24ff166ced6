import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readNetwork } from '../../../src/engine/architecture/loadNetwork';
import { initBackend } from '../../../src/engine/backend/tfBackend';
import { openCheckpoint } from '../../../src/engine/formats/openCheckpoint';
import { forwardNetwork } from '../../../src/engine/model/forward';
import type { BackendName } from '../../../src/shared/compareRequest';
import { fixture } from '../../helpers/paths';

/**
 * The GPT-2 and Llama fixtures run forward on modadd_eval.npz must give the evaluation loss and
 * accuracy that make_transformer_fixtures.py computed in float64 with PyTorch (expected.json).
 * Scored as Hugging Face scores a causal LM: the logits at t against labels[t + 1], −100 skipped.
 */
const expected = JSON.parse(readFileSync(fixture('transformers', 'expected.json'), 'utf8')) as {
  models: Record<string, { loss: number; accuracy: number }>;
};

async function evalSet(): Promise<{ ids: Float32Array; labels: Float32Array; count: number; length: number }> {
  const npz = await openCheckpoint(fixture('transformers', 'modadd_eval.npz'));
  try {
    const [count, length] = npz.info('input_ids').shape as [number, number];
    return { ids: await npz.readFloat32('input_ids'), labels: await npz.readFloat32('labels'), count, length };
  } finally {
    await npz.close();
  }
}

/** Mean cross-entropy and accuracy over the scored positions, in double precision from the float32 logits. */
function score(logits: Float32Array, labels: Float32Array, count: number, length: number, vocab: number): { loss: number; accuracy: number } {
  let loss = 0;
  let correct = 0;
  let scored = 0;
  for (let s = 0; s < count; s++) {
    for (let t = 0; t + 1 < length; t++) {
      const target = labels[s * length + t + 1]!;
      if (target === -100) continue;
      const row = logits.subarray((s * length + t) * vocab, (s * length + t + 1) * vocab);
      let max = -Infinity;
      let best = 0;
      for (let v = 0; v < vocab; v++) if (row[v]! > max) [max, best] = [row[v]!, v];
      let sum = 0;
      for (let v = 0; v < vocab; v++) sum += Math.exp(row[v]! - max);
      loss += Math.log(sum) + max - row[target]!;
      if (best === target) correct++;
      scored++;
    }
  }
  return { loss: loss / scored, accuracy: correct / scored };
}

for (const backend of ['wasm', 'cpu'] as BackendName[]) {
  for (const name of ['gpt2_a', 'gpt2_b', 'llama_a', 'llama_b']) {
    // The cpu backend is slow: one model of each family there is enough to show the two agree.
    if (backend === 'cpu' && name.endsWith('_b')) continue;
    test(`${backend}: ${name} reproduces PyTorch's evaluation loss and accuracy on modular addition`, async (t) => {
      await initBackend(backend);
      const family = name.slice(0, name.indexOf('_'));
      const checkpoint = await openCheckpoint(fixture('transformers', family, `${name}.pt`));
      const loaded = await readNetwork(checkpoint, { activation: 'relu', sample: { shape: [4], file: 'modadd_eval.npz' } }).finally(() => checkpoint.close());
      const data = await evalSet();
      assert.deepEqual(loaded.network.input, [data.length]);
      const out = await forwardNetwork(loaded.network, loaded.params, data.ids, data.count);
      const vocab = out.logits.length / (data.count * data.length);
      assert.equal(vocab, 32);
      const got = score(out.logits, data.labels, data.count, data.length, vocab);
      const want = expected.models[name]!;
      t.diagnostic(`${name}: loss ${got.loss} (PyTorch float64 ${want.loss}), accuracy ${got.accuracy} (${want.accuracy})`);
      assert.ok(Math.abs(got.loss - want.loss) <= 1e-4 * want.loss, `${name}: loss ${got.loss} against PyTorch's ${want.loss}`);
      assert.equal(got.accuracy, want.accuracy, `${name}: accuracy`);
    });
  }
}
