import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNetwork } from '../../src/engine/architecture/loadNetwork';
import { initBackend } from '../../src/engine/backend/tfBackend';
import { openDataset } from '../../src/engine/datasets/openDataset';
import { openCheckpoint } from '../../src/engine/formats/openCheckpoint';
import { forwardNetwork } from '../../src/engine/model/forward';
import { fixture, tempDir } from '../helpers/paths';
import { cli as runCli } from '../helpers/runCli';

const cli = (...args: string[]) => runCli(args);

test('describe writes the inferred layout of the PyTorch VGG, what it assumed on stderr', () => {
  const run = cli('describe', fixture('conv', 'vgg_a.pt'), '--data', fixture('compare', 'eval.npz'));
  assert.equal(run.code, 0, run.stderr);
  const description = JSON.parse(run.stdout);
  assert.equal(description.format, 'merge-lens.architecture');
  assert.deepEqual(description.input, [1, 28, 28]);
  assert.deepEqual(description.layers.map((l: { id: string; op: string }) => `${l.id}:${l.op}`).slice(-7), [
    'features.8:batchnorm', 'features.9:relu', 'features.10:maxpool', 'flatten:flatten', 'classifier.0:linear', 'classifier.1:relu', 'classifier.3:linear',
  ]);
  assert.match(run.stderr, /assumed: .*1 max pool follow 'features\.8'/);
  // The description, saved with --out, is what compare reads back.
  const out = join(tempDir(), 'vgg.arch.json');
  assert.equal(cli('describe', fixture('conv', 'vgg_a.pt'), '--input-shape', '1x28x28', '--out', out).code, 0);
  assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')).layers, description.layers);
});

test('describe: a ResNet needs no data; a VGG without an input size, and bad options, are refused', () => {
  const resnet = cli('describe', fixture('conv', 'resnet_a.pt'));
  assert.equal(resnet.code, 0, resnet.stderr);
  assert.ok(JSON.parse(resnet.stdout).layers.some((l: { id: string; op: string }) => l.id === 'layer2.0' && l.op === 'add'));
  const vgg = cli('describe', fixture('conv', 'vgg_a.pt'));
  assert.equal(vgg.code, 1);
  assert.match(vgg.stderr, /vgg_a\.pt: cannot tell the input size of 'features\.0' without data/);
  assert.equal(cli('describe').code, 2);
  assert.match(cli('describe', fixture('conv', 'vgg_a.pt'), '--input-shape', '3xx').stderr, /--input-shape takes C×H×W/);
  assert.match(cli('compare', fixture('conv', 'vgg_a.pt'), fixture('conv', 'vgg_b.pt'), '--bn-reset', 'maybe').stderr, /--bn-reset takes one of on, off/);
  assert.match(cli('compare', fixture('conv', 'vgg_a.pt'), fixture('conv', 'vgg_b.pt'), '--mean', '0.5').stderr, /--mean and --std go together/);
});

test('compare: data whose size fits no input of the network is refused, naming the data file', () => {
  const run = cli('compare', fixture('conv', 'vgg_a.pt'), fixture('conv', 'vgg_b.pt'), '--data', fixture('datasets', 'cifar', 'test_batch.bin'));
  assert.equal(run.code, 1);
  assert.match(run.stderr, /test_batch\.bin: inputs of 3×32×32 \(3072 values\) do not have the 1 channels the network's first convolution takes/);
});

test('compare exports an aligned VGG with B\'s names and layout: the flattened classifier 2-D again, the step counters kept, B\'s function', async () => {
  const dir = tempDir();
  const out = join(dir, 'aligned.safetensors');
  const run = cli('compare', fixture('conv', 'vgg_a.pt'), fixture('conv', 'vgg_b.pt'), '--input-shape', '1x28x28', '--methods', 'weight', '--export-aligned', out);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /conv network on 1×28×28 inputs: 5 layers, 4 permutation groups/);
  const [aligned, original] = [await openCheckpoint(out), await openCheckpoint(fixture('conv', 'vgg_b.pt'))];
  try {
    assert.deepEqual(aligned.tensors.map((t) => `${t.name}:${t.dtype}:${t.shape.join('x')}`).sort(), original.tensors.map((t) => `${t.name}:${t.dtype}:${t.shape.join('x')}`).sort());
    assert.deepEqual(Array.from((await aligned.read('features.1.num_batches_tracked')).data as BigInt64Array), Array.from((await original.read('features.1.num_batches_tracked')).data as BigInt64Array));
  } finally {
    await aligned.close();
    await original.close();
  }
  // π(B), read back as a network, computes B's function on the evaluation data.
  await initBackend('wasm');
  const data = await openDataset(fixture('compare', 'eval.npz'));
  const logits: Float32Array[] = [];
  for (const file of [out, fixture('conv', 'vgg_b.pt')]) {
    const checkpoint = await openCheckpoint(file);
    const loaded = await readNetwork(checkpoint, { activation: 'relu', sample: { shape: data.inputShape, file: null } }).finally(() => checkpoint.close());
    logits.push((await forwardNetwork(loaded.network, loaded.params, data.inputs, 100)).logits);
  }
  logits[0]!.forEach((v, k) => assert.ok(Math.abs(v - logits[1]![k]!) < 1e-4 * (1 + Math.abs(v)), `logit ${k}: ${v} vs ${logits[1]![k]}`));
});
