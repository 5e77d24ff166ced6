import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../../src/engine/backend/tfBackend';
import { openDataset } from '../../../src/engine/datasets/openDataset';
import { ensureDemoPair } from '../../../src/engine/demo/demoFiles';
import { openSafetensors } from '../../../src/engine/formats/safetensors/openSafetensors';
import { accuracy } from '../../../src/engine/metrics/classification';
import { forwardNetwork } from '../../../src/engine/model/forward';
import { readNetwork } from '../../../src/engine/architecture/loadNetwork';
import type { LinearNode } from '../../../src/engine/model/network';
import { tempDir } from '../../helpers/paths';

// A small recipe keeps the test quick; the default one is measured by test/bench/demoTraining.bench.ts.
const SMALL = { hidden: [24], epochs: 1 };

test('makes two different models and the held-out digits, readable by the engine\'s own readers, then reuses them', async () => {
  await initBackend();
  const dir = join(tempDir(), 'cache', 'demo');
  const messages: string[] = [];
  const files = await ensureDemoPair(dir, { ...SMALL, onProgress: (m) => messages.push(m) });
  assert.deepEqual(files, { a: join(dir, 'demo-a.safetensors'), b: join(dir, 'demo-b.safetensors'), data: join(dir, 'demo-test.safetensors') });
  assert.equal(messages[0], 'loading the MNIST digits');
  assert.ok(messages.includes('training demo model A: epoch 1/1'));
  assert.ok(messages.includes('training demo model B: epoch 1/1'));
  assert.ok(messages.some((m) => /^demo model B: \d+\.\d% test accuracy after \d+\.\d s$/.test(m)));

  const data = await openDataset(files.data);
  assert.equal(data.count, 2000);
  assert.deepEqual(data.inputShape, [784]);
  assert.equal(data.numClasses, 10);

  const weights = [];
  for (const file of [files.a, files.b]) {
    const checkpoint = await openSafetensors(file);
    try {
      const mlp = await readNetwork(checkpoint, { activation: 'relu' });
      const linear = mlp.network.nodes.filter((n): n is LinearNode => n.op === 'linear');
      assert.deepEqual(linear.map((l) => [l.id, l.inFeatures, l.outFeatures]), [['layers.0', 784, 24], ['layers.1', 24, 10]]);
      // The accuracy recorded at training time is what the engine measures from the files.
      const { logits } = await forwardNetwork(mlp.network, mlp.params, data.inputs, data.count);
      const measured = accuracy(logits, data.labels, 10);
      assert.equal(measured.toFixed(4), checkpoint.metadata.test_accuracy);
      assert.ok(measured > 0.8, `accuracy ${measured}`);
      weights.push(mlp.params.get('layers.0.weight')!.data);
    } finally {
      await checkpoint.close();
    }
  }
  assert.notDeepEqual(weights[0], weights[1]);

  const stamps = [files.a, files.b, files.data].map((f) => statSync(f).mtimeMs);
  const again: string[] = [];
  assert.deepEqual(await ensureDemoPair(dir, { ...SMALL, onProgress: (m) => again.push(m) }), files);
  assert.deepEqual(again, []);
  assert.deepEqual([files.a, files.b, files.data].map((f) => statSync(f).mtimeMs), stamps);
});

test('a cache made by another recipe, or damaged, is made again', async () => {
  await initBackend();
  const dir = tempDir();
  const files = await ensureDemoPair(dir, SMALL);
  const messages: string[] = [];
  await ensureDemoPair(dir, { hidden: [12], epochs: 1, onProgress: (m) => messages.push(m) });
  assert.ok(messages.includes('training demo model A: epoch 1/1'));
  const checkpoint = await openSafetensors(files.a);
  try {
    assert.deepEqual(checkpoint.info('layers.0.weight').shape, [12, 784]);
  } finally {
    await checkpoint.close();
  }

  truncateSync(files.b, 100);
  const repaired: string[] = [];
  await ensureDemoPair(dir, { hidden: [12], epochs: 1, onProgress: (m) => repaired.push(m) });
  assert.ok(repaired.includes('training demo model B: epoch 1/1'));
  assert.ok(!repaired.includes('training demo model A: epoch 1/1'));
  await (await openSafetensors(files.b)).close();
});
