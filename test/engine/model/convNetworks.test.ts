// The layer graph of convolutional networks: the permutation groups derived from it, the
// forward pass against a double-precision reference, and the invariance that makes alignment
// meaningful: permuting every group leaves the outputs unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readNetwork, type LoadedNetwork } from '../../../src/engine/architecture/loadNetwork';
import { initBackend, tf } from '../../../src/engine/backend/tfBackend';
import { openCheckpoint } from '../../../src/engine/formats/openCheckpoint';
import { applyPermutation } from '../../../src/engine/model/applyPermutation';
import { forwardNetwork } from '../../../src/engine/model/forward';
import { mlpNetwork } from '../../../src/engine/model/mlpNetwork';
import { networkChannelSpaces } from '../../../src/engine/model/networkSpaces';
import { valueShapes } from '../../../src/engine/model/networkShapes';
import { disposeTensors, uploadNetwork, uploadSamples } from '../../../src/engine/model/networkTensors';
import { runNetwork } from '../../../src/engine/model/runNetwork';
import { derivePermutationSpec, type PermutationSpec } from '../../../src/engine/model/permutationSpec';
import { tempDir } from '../../helpers/paths';
import { referenceNetworkForward, RESNET_SHAPES, VGG_SHAPES, writeStateDict } from './convTestModels';
import { mlpArchitecture, randomInputs, seededRandom, shuffled } from './mlpTestModels';

const dir = tempDir();
const SAMPLE = { shape: [3, 8, 8], file: null };

async function load(name: string, shapes: typeof VGG_SHAPES, seed: number): Promise<LoadedNetwork> {
  const checkpoint = await openCheckpoint(await writeStateDict(dir, `${name}-${seed}`, shapes, seed));
  try {
    return await readNetwork(checkpoint, { activation: 'relu', sample: SAMPLE });
  } finally {
    await checkpoint.close();
  }
}

/** Each group as "name(size): tensor:axis ..." with statistics starred, for readable comparison. */
function summary(spec: PermutationSpec): string[] {
  return spec.groups.map((g) => `${g.name}(${g.size})[${g.layers.join(' ')}]: ${g.axes.map((a) => `${a.tensor}:${a.axis}${a.statistic ? '*' : ''}`).join(' ')}`);
}

test('an MLP: one group per hidden layer, its rows, bias and the next layer\'s columns', () => {
  const spec = derivePermutationSpec(networkChannelSpaces(mlpNetwork(mlpArchitecture([5, 4, 3, 2], 'relu'))));
  assert.deepEqual(summary(spec), [
    'fc1(4)[fc1]: fc1.weight:0 fc1.bias:0 fc2.weight:1',
    'fc2(3)[fc2]: fc2.weight:0 fc2.bias:0 fc3.weight:1',
  ]);
});

test('a VGG: conv outputs start groups, BatchNorm follows with its statistics unmatched, the flatten reaches the classifier\'s channel axis', async () => {
  const vgg = await load('vgg', VGG_SHAPES, 1);
  assert.equal(vgg.params.get('classifier.0.weight')!.shape.join(), '7,5,2,2');
  assert.deepEqual(summary(derivePermutationSpec(networkChannelSpaces(vgg.network))), [
    'features.0(4)[features.0]: features.0.weight:0 features.0.bias:0 features.1.weight:0 features.1.bias:0 features.1.running_mean:0* features.1.running_var:0* features.3.weight:1',
    'features.3(6)[features.3]: features.3.weight:0 features.3.bias:0 features.4.weight:0 features.4.bias:0 features.4.running_mean:0* features.4.running_var:0* features.7.weight:1',
    'features.7(5)[features.7]: features.7.weight:0 features.7.bias:0 classifier.0.weight:1',
    'classifier.0(7)[classifier.0]: classifier.0.weight:0 classifier.0.bias:0 classifier.3.weight:1',
  ]);
});

test('a ResNet: a stage is one group, stem and every block writing into it; the shortcut convolution joins the next stage', async () => {
  const resnet = await load('resnet', RESNET_SHAPES, 2);
  const groups = summary(derivePermutationSpec(networkChannelSpaces(resnet.network)));
  const bnAxes = (p: string) => `${p}.weight:0 ${p}.bias:0 ${p}.running_mean:0* ${p}.running_var:0*`;
  assert.deepEqual(groups, [
    `conv1(4)[conv1 layer1.0.conv2 layer1.1.conv2]: conv1.weight:0 ${bnAxes('bn1')} layer1.0.conv1.weight:1 layer1.0.conv2.weight:0 ${bnAxes('layer1.0.bn2')} layer1.1.conv1.weight:1 layer1.1.conv2.weight:0 ${bnAxes('layer1.1.bn2')} layer2.0.conv1.weight:1 layer2.0.shortcut.0.weight:1`,
    `layer1.0.conv1(4)[layer1.0.conv1]: layer1.0.conv1.weight:0 ${bnAxes('layer1.0.bn1')} layer1.0.conv2.weight:1`,
    `layer1.1.conv1(4)[layer1.1.conv1]: layer1.1.conv1.weight:0 ${bnAxes('layer1.1.bn1')} layer1.1.conv2.weight:1`,
    `layer2.0.conv1(6)[layer2.0.conv1]: layer2.0.conv1.weight:0 ${bnAxes('layer2.0.bn1')} layer2.0.conv2.weight:1`,
    `layer2.0.conv2(6)[layer2.0.conv2 layer2.0.shortcut.0]: layer2.0.conv2.weight:0 ${bnAxes('layer2.0.bn2')} layer2.0.shortcut.0.weight:0 ${bnAxes('layer2.0.shortcut.1')} linear.weight:1`,
  ]);
});

for (const [name, stateDict] of [['vgg', VGG_SHAPES], ['resnet', RESNET_SHAPES]] as const) {
  test(`${name}: the forward pass matches a double-precision reference, every node's value too`, async () => {
    await initBackend('wasm');
    const { network, params } = await load(name, stateDict, 3);
    const count = 5;
    const inputs = randomInputs(count, 3 * 8 * 8, 4);
    const reference = referenceNetworkForward(network, params, inputs, count);
    const nodes = network.nodes.map((_, i) => i);
    const out = await forwardNetwork(network, params, inputs, count, { capture: nodes, batchSize: 2 });
    const flat = reference.logits.flat();
    out.logits.forEach((v, k) => assert.ok(Math.abs(v - flat[k]!) < 1e-5 * (1 + Math.abs(flat[k]!)), `logit ${k}: ${v} vs ${flat[k]}`));
    // Captured maps come height × width × channel (a flattened map too); the reference is channel-major.
    const shapes = valueShapes(network);
    network.nodes.forEach((node, i) => {
      const map = node.op === 'flatten' ? shapes[node.input]! : shapes[i]!;
      const [c, h, w] = map.length === 3 ? (map as [number, number, number]) : [map[0]!, 1, 1];
      const got = out.captured[i]!;
      assert.equal(got.length, count * c * h * w, `${node.id}: size`);
      for (let s = 0; s < count; s++) {
        for (let k = 0; k < c * h * w; k++) {
          const [ch, y, x] = [Math.floor(k / (h * w)), Math.floor(k / w) % h, k % w];
          const want = reference.values[i]![s]![k]!;
          const have = got[s * c * h * w + (y * w + x) * c + ch]!;
          assert.ok(Math.abs(have - want) < 1e-5 * (1 + Math.abs(want)), `${node.id} sample ${s} value ${k}: ${have} vs ${want}`);
        }
      }
    });
    assert.ok(out.logits.some((v) => Math.abs(v) > 0.05), 'the logits are not all near zero');
    // Capturing nothing, each BatchNorm is folded into the layer before it: the same logits.
    const folded = await forwardNetwork(network, params, inputs, count, { batchSize: 2 });
    folded.logits.forEach((v, k) => assert.ok(Math.abs(v - flat[k]!) < 1e-5 * (1 + Math.abs(flat[k]!)), `folded logit ${k}: ${v} vs ${flat[k]}`));
  });

  test(`${name}: a BatchNorm is folded into its layer only where nothing else reads the layer; a run told what it reads frees the rest`, async () => {
    await initBackend('wasm');
    const { network, params } = await load(name, stateDict, 8);
    const tensors = uploadNetwork(network, params);
    try {
      const inputs = randomInputs(2, 3 * 8 * 8, 4);
      const layerBeforeBatchNorm = network.nodes.findIndex((node, i) => node.op === 'batchnorm' && node.input === i - 1) - 1;
      tf.tidy(() => {
        const x = uploadSamples(network, inputs, 0, 2);
        assert.equal(runNetwork(network, tensors, x).values[layerBeforeBatchNorm], undefined);
        assert.ok(runNetwork(network, tensors, x, { read: [layerBeforeBatchNorm] }).values[layerBeforeBatchNorm]);
        // A BatchNorm that reports its batch's moments runs on the layer's own output.
        const modes = new Map([[layerBeforeBatchNorm + 1, { kind: 'batch' as const }]]);
        const run = runNetwork(network, tensors, x, { modes });
        assert.ok(run.values[layerBeforeBatchNorm] && run.moments.has(layerBeforeBatchNorm + 1));
      });
      tf.tidy(() => {
        // Told what it reads, a run frees every map as it goes: what outlives it is the logits and
        // per-channel or per-filter temporaries, far less than one map.
        const count = 64;
        const x = uploadSamples(network, randomInputs(count, 3 * 8 * 8, 9), 0, count);
        const largestMap = Math.max(...valueShapes(network).map((shape) => shape.reduce((p, q) => p * q, count * 4)));
        let before = tf.memory().numBytes;
        const lean = runNetwork(network, tensors, x, { read: [] });
        assert.ok(tf.memory().numBytes - before < largestMap / 2, `a run that reads only the logits left ${tf.memory().numBytes - before} bytes`);
        assert.equal(lean.values.filter((v) => v !== undefined).length, 1);
        before = tf.memory().numBytes;
        const full = runNetwork(network, tensors, x);
        assert.ok(tf.memory().numBytes - before > 4 * largestMap, 'a run told nothing keeps its values');
        assert.deepEqual(lean.values.at(-1)!.dataSync(), full.values.at(-1)!.dataSync());
      });
    } finally {
      disposeTensors(tensors);
    }
  });

  test(`${name}: any random permutation of every group leaves the outputs unchanged`, async () => {
    await initBackend('wasm');
    const { network, params } = await load(name, stateDict, 5);
    const spec = derivePermutationSpec(networkChannelSpaces(network));
    const random = seededRandom(6);
    const perms = spec.groups.map((g) => shuffled(g.size, random));
    const permuted = applyPermutation(params, spec, perms);
    const count = 6;
    const inputs = randomInputs(count, 3 * 8 * 8, 7);
    const before = tf.memory().numTensors;
    const [a, b] = [await forwardNetwork(network, params, inputs, count), await forwardNetwork(network, permuted, inputs, count)];
    assert.equal(tf.memory().numTensors, before);
    a.logits.forEach((v, k) => assert.ok(Math.abs(v - b.logits[k]!) < 1e-5 * (1 + Math.abs(v)), `logit ${k}: ${v} vs ${b.logits[k]}`));
    // Leaving out one tensor's permutation (a running variance) breaks it: the statistics matter.
    const statistic = spec.groups[0]!.axes.find((x) => x.statistic)!;
    const partial = { groups: spec.groups.map((g, i) => (i === 0 ? { ...g, axes: g.axes.filter((x) => x !== statistic) } : g)) };
    const broken = await forwardNetwork(network, applyPermutation(params, partial, perms), inputs, count);
    assert.ok(broken.logits.some((v, k) => Math.abs(v - a.logits[k]!) > 1e-4), 'an unpermuted running statistic changes the outputs');
  });
}
