import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readNetwork } from '../../../src/engine/architecture/loadNetwork';
import { initBackend } from '../../../src/engine/backend/tfBackend';
import { checkDataFits } from '../../../src/engine/compare/loadData';
import { openDataset } from '../../../src/engine/datasets/openDataset';
import { openCheckpoint } from '../../../src/engine/formats/openCheckpoint';
import { PathEvaluator } from '../../../src/engine/metrics/pathEvaluator';
import { fixture } from '../../helpers/paths';

/**
 * The naive path between the two GPT-2 (and the two Llama) fixtures on modadd_eval.npz, read and scored as a
 * comparison does (the token reader, the data checks, the path evaluator), against the float64
 * PyTorch path make_transformer_fixtures.py wrote to expected.json.
 */
const expected = JSON.parse(readFileSync(fixture('transformers', 'expected.json'), 'utf8')) as {
  naive: Record<string, { alphas: number[]; loss: number[]; accuracy: number[]; barrier: { loss: number; accuracy: number } }>;
};

for (const family of ['gpt2', 'llama']) {
  test(`${family} pair, naive path at five α on modular addition: PyTorch's losses within 1e-4 relative, its accuracies exactly`, async (t) => {
    await initBackend('wasm');
    const data = await openDataset(fixture('transformers', 'modadd_eval.npz'));
    const load = async (name: string) => {
      const checkpoint = await openCheckpoint(fixture('transformers', family, `${name}.pt`));
      return readNetwork(checkpoint, { activation: 'relu', sample: { shape: data.inputShape, file: data.file } }).finally(() => checkpoint.close());
    };
    const [a, b] = [await load(`${family}_a`), await load(`${family}_b`)];
    checkDataFits(data, a.network, 'evaluation');
    const want = expected.naive[family]!;
    const evaluator = PathEvaluator.create(a.network, a.params, data, { fit: null, bnReset: false, batchSize: 100 });
    try {
      const got = await evaluator.measure(b.params, { alphas: want.alphas, layerBarriers: false, llfcSamples: 0 });
      t.diagnostic(`loss ${got.path.loss.join(', ')}; accuracy ${got.path.accuracy.join(', ')}; barriers ${got.barrier.loss}, ${got.barrier.accuracy}`);
      want.alphas.forEach((alpha, k) => {
        const [loss, wanted] = [got.path.loss[k]!, want.loss[k]!];
        assert.ok(Math.abs(loss - wanted) <= 1e-4 * wanted, `α = ${alpha}: loss ${loss} against PyTorch's ${wanted}`);
        assert.equal(got.path.accuracy[k], want.accuracy[k], `α = ${alpha}: accuracy`);
      });
      assert.ok(Math.abs(got.barrier.loss - want.barrier.loss) <= 1e-4 * want.barrier.loss, `loss barrier ${got.barrier.loss} against ${want.barrier.loss}`);
      assert.ok(Math.abs(got.barrier.accuracy - want.barrier.accuracy) < 1e-12, `accuracy barrier ${got.barrier.accuracy} against ${want.barrier.accuracy}`);
    } finally {
      evaluator.dispose();
    }
  });
}
