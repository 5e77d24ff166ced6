import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeNetwork, parseDescription } from '../../../src/engine/architecture/description';
import { spatialInput } from '../../../src/engine/architecture/inputShape';
import { networkLayout, readNetwork, type NetworkOptions } from '../../../src/engine/architecture/loadNetwork';
import { writeSafetensors } from '../../../src/engine/export/writeSafetensors';
import { openCheckpoint } from '../../../src/engine/formats/openCheckpoint';
import { FormatError } from '../../../src/engine/io/formatError';
import { tempDir } from '../../helpers/paths';
import { randomStateDict, RESNET_SHAPES, VGG_SHAPES } from '../model/convTestModels';

const dir = tempDir();
let serial = 0;
const SAMPLE_8 = { shape: [3, 8, 8], file: 'eval.npz' };

async function checkpointOf(shapes: readonly [string, readonly number[]][], name = `model${serial++}`): Promise<string> {
  const file = join(dir, `${name}.safetensors`);
  await writeSafetensors(file, randomStateDict(shapes, 1));
  return file;
}

async function layoutOf(file: string, options: Partial<NetworkOptions> = {}) {
  const checkpoint = await openCheckpoint(file);
  try {
    return await networkLayout(checkpoint, { activation: 'relu', sample: SAMPLE_8, ...options });
  } finally {
    await checkpoint.close();
  }
}

async function refusal(file: string, pattern: RegExp, options: Partial<NetworkOptions> = {}): Promise<void> {
  await assert.rejects(layoutOf(file, options), (error: unknown) => {
    assert.ok(error instanceof FormatError, String(error));
    assert.match(error.message, pattern);
    return true;
  });
}

const layers = (l: Awaited<ReturnType<typeof layoutOf>>) => l.description.layers.map((x) => `${x.id}:${x.op}`);

test('VGG: activations and pools from the index gaps, the tail after the last convolution from the classifier\'s inputs', async () => {
  const layout = await layoutOf(await checkpointOf(VGG_SHAPES));
  assert.deepEqual(layers(layout), [
    'features.0:conv2d', 'features.1:batchnorm', 'features.2:relu',
    'features.3:conv2d', 'features.4:batchnorm', 'features.5:relu', 'features.6:maxpool',
    'features.7:conv2d', 'features.8:relu', 'features.9:maxpool', 'flatten:flatten',
    'classifier.0:linear', 'classifier.1:relu', 'classifier.3:linear',
  ]);
  assert.equal(layout.network.kind, 'conv');
  assert.deepEqual(layout.network.input, [3, 8, 8]);
  assert.equal(layout.descriptionFile, null);
  assert.ok(layout.notes.some((n) => /1 max pool follow 'features.7'/.test(n)), layout.notes.join(' | '));
  assert.deepEqual(layout.counters, ['features.1.num_batches_tracked', 'features.4.num_batches_tracked']);
});

test('VGG: two layouts that both fit are refused, naming the layers in doubt and the description file', async () => {
  // One 3×3 convolution on 8×8: padded then three pools, or unpadded then two, both give 4 inputs.
  const file = await checkpointOf([['features.0.weight', [4, 3, 3, 3]], ['classifier.0.weight', [2, 4]]], 'ambiguous');
  await refusal(file, /ambiguous\.safetensors: is ambiguous: padded convolutions with 3 max pools after 'features\.0', or unpadded convolutions with 2 max pools .* \(layers in doubt: 'features\.0'\); state the layout in a description file \(ambiguous\.safetensors\.arch\.json/);
});

test('VGG: no layout fitting, gaps too wide, and a missing input size are refused with the reason', async () => {
  await refusal(await checkpointOf([['features.0.weight', [4, 3, 3, 3]], ['classifier.0.weight', [2, 7]]]), /no VGG-style layout fits: 'classifier\.0' takes 7 inputs/);
  await refusal(await checkpointOf([['features.0.weight', [4, 3, 3, 3]], ['features.5.weight', [4, 4, 3, 3]], ['classifier.0.weight', [2, 16]]]), /4 unstored modules lie between 'features\.0' and 'features\.5'/);
  await refusal(await checkpointOf(VGG_SHAPES), /without data: give the evaluation data or --input-shape/, { sample: null });
});

test('ResNet (CIFAR naming): stem, blocks with their sums, the stride-2 stage, global pooling', async () => {
  const layout = await layoutOf(await checkpointOf(RESNET_SHAPES));
  assert.deepEqual(layers(layout).slice(0, 11), [
    'conv1:conv2d', 'bn1:batchnorm', 'relu:relu',
    'layer1.0.conv1:conv2d', 'layer1.0.bn1:batchnorm', 'layer1.0.relu1:relu', 'layer1.0.conv2:conv2d', 'layer1.0.bn2:batchnorm', 'layer1.0:add', 'layer1.0.relu:relu',
    'layer1.1.conv1:conv2d',
  ]);
  assert.deepEqual(layers(layout).slice(-6), ['layer2.0.shortcut.0:conv2d', 'layer2.0.shortcut.1:batchnorm', 'layer2.0:add', 'layer2.0.relu:relu', 'avgpool:globalavgpool', 'linear:linear']);
  const conv = (id: string) => layout.network.nodes.find((n) => n.id === id)!;
  assert.deepEqual([conv('layer2.0.conv1'), conv('layer2.0.shortcut.0'), conv('layer1.0.conv1')].map((n) => (n.op === 'conv2d' ? n.stride[0] : 0)), [2, 2, 1]);
  // Global pooling makes any input size work: without data a 32×32 input is assumed and said.
  const bare = await layoutOf(await checkpointOf(RESNET_SHAPES), { sample: null });
  assert.deepEqual(bare.network.input, [3, 32, 32]);
  assert.ok(bare.notes.some((n) => /no data: an input of 3×32×32 is assumed/.test(n)));
});

test('ResNet (torchvision naming): 7×7 stem with max pool, Bottleneck blocks with downsample', async () => {
  const bn = (p: string, c: number): [string, number[]][] => [[`${p}.weight`, [c]], [`${p}.bias`, [c]], [`${p}.running_mean`, [c]], [`${p}.running_var`, [c]]];
  const bottleneck = (p: string, cin: number, mid: number, out: number, down: boolean): [string, number[]][] => [
    [`${p}.conv1.weight`, [mid, cin, 1, 1]], ...bn(`${p}.bn1`, mid), [`${p}.conv2.weight`, [mid, mid, 3, 3]], ...bn(`${p}.bn2`, mid),
    [`${p}.conv3.weight`, [out, mid, 1, 1]], ...bn(`${p}.bn3`, out), ...(down ? [[`${p}.downsample.0.weight`, [out, cin, 1, 1]] as [string, number[]], ...bn(`${p}.downsample.1`, out)] : []),
  ];
  const shapes: [string, number[]][] = [['conv1.weight', [4, 3, 7, 7]], ...bn('bn1', 4), ...bottleneck('layer1.0', 4, 2, 8, true), ...bottleneck('layer2.0', 8, 2, 8, true), ['fc.weight', [5, 8]], ['fc.bias', [5]]];
  const layout = await layoutOf(await checkpointOf(shapes), { sample: { shape: [3, 32, 32], file: null } });
  const node = (id: string) => layout.network.nodes.find((n) => n.id === id)!;
  assert.deepEqual(layers(layout).slice(0, 4), ['conv1:conv2d', 'bn1:batchnorm', 'relu:relu', 'maxpool:maxpool']);
  // ResNet v1.5: a Bottleneck's stride sits in its 3×3 convolution; layer1 keeps stride 1 even with a downsample.
  for (const [id, stride] of [['conv1', 2], ['layer1.0.conv2', 1], ['layer1.0.downsample.0', 1], ['layer2.0.conv1', 1], ['layer2.0.conv2', 2], ['layer2.0.downsample.0', 2]] as const) {
    const n = node(id);
    assert.equal(n.op === 'conv2d' && n.stride[0], stride, id);
  }
  assert.ok(layout.notes.some((n) => /Bottleneck/.test(n)));
});

test('ResNets that cannot be read are refused: an option-A shortcut, an unknown stem, a stray module', async () => {
  const noShortcut = RESNET_SHAPES.filter(([n]) => !n.includes('shortcut'));
  await refusal(await checkpointOf(noShortcut), /block 'layer2\.0' changes resolution but has no shortcut convolution \(an option-A shortcut/);
  const stem5: [string, readonly number[]][] = RESNET_SHAPES.map(([n, s]) => (n === 'conv1.weight' ? [n, [4, 3, 5, 5]] : [n, s]));
  await refusal(await checkpointOf(stem5), /5×5 stem convolution 'conv1'.*description file/);
  await refusal(await checkpointOf([...RESNET_SHAPES, ['extra.weight', [3, 3]]]), /module 'extra' fit no place in it/);
});

test('a description beside the checkpoint is used, and describe\'s output reads back to the same network', async () => {
  const file = await checkpointOf(VGG_SHAPES, 'described');
  const inferred = await layoutOf(file);
  const written = describeNetwork(inferred.network, inferred.transposed, inferred.notes);
  writeFileSync(`${file}.arch.json`, JSON.stringify(written, null, 2));
  const read = await layoutOf(file, { sample: null });
  assert.equal(read.descriptionFile, `${file}.arch.json`);
  assert.deepEqual(read.network, inferred.network);
  const checkpoint = await openCheckpoint(file);
  try {
    const loaded = await readNetwork(checkpoint, { activation: 'relu' });
    assert.deepEqual(loaded.params.get('classifier.0.weight')!.shape, [7, 5, 2, 2]);
  } finally {
    await checkpoint.close();
  }
});

test('bad descriptions are refused with the file and the layer at fault', async () => {
  const file = await checkpointOf(VGG_SHAPES, 'badly-described');
  const description = (layers: unknown[], extra: object = {}) => {
    const path = join(dir, `d${serial++}.arch.json`);
    writeFileSync(path, JSON.stringify({ format: 'merge-lens.architecture', version: 1, layers, ...extra }));
    return path;
  };
  const cases: [unknown[], RegExp, object?][] = [
    [[{ id: 'a', op: 'conv3d' }], /d\d+\.arch\.json: layer 'a' has op "conv3d"; the ops are conv2d, linear/],
    [[{ id: 'a', op: 'conv2d', weight: 'features.0.weight', kernal: 3 }], /layer 'a' \(conv2d\) has an unknown key "kernal"/],
    [[{ id: 'a', op: 'relu', input: 'b' }, { id: 'b', op: 'relu' }], /layer 'a' reads "b", which is not "input" nor a layer listed before it/],
    [[{ id: 'a', op: 'conv2d', weight: 'nope.weight' }], /layer 'a' needs tensor 'nope\.weight', which the checkpoint lacks/],
    [[{ id: 'features.0', op: 'conv2d' }, { id: 'classifier.3', op: 'linear', input: 'features.0' }], /the layers do not connect: 'classifier\.3' takes flat inputs but receives \[4, 6, 6\]/],
    [[{ id: 'a', op: 'maxpool' }], /layer 'a' needs a "kernel"/],
    [[], /"layers" must be a non-empty list/],
    [[{ id: 'a', op: 'relu' }], /"input" must be \[channels, height, width\] or \[features\]/, { input: [3, 0, 8] }],
  ];
  for (const [layerList, pattern, extra] of cases) await refusal(file, pattern, { description: description(layerList, extra) });
  // A description that leaves tensors unused names them.
  const partial = description([{ id: 'features.0', op: 'conv2d', padding: 1 }, { id: 'g', op: 'globalavgpool' }, { id: 'classifier.3', op: 'linear', weight: 'classifier.3.weight', bias: null, input: 'g' }]);
  await refusal(file, /classifier\.3' takes 7 inputs but receives \[4\]|leaves badly-described\.safetensors's tensors/, { description: partial });
  assert.throws(() => parseDescription('x.json', { format: 'other' }), /x\.json: is not an architecture description/);
  assert.throws(() => parseDescription('x.json', { format: 'merge-lens.architecture', version: 2, layers: [] }), /version 2; this Merge Lens reads version 1/);
});

test('the input shape from the first layer\'s channels and the data', () => {
  assert.deepEqual(spatialInput(1, { shape: [784], file: 'd.npz' }), [1, 28, 28]);
  assert.deepEqual(spatialInput(3, { shape: [3072], file: 'd.npz' }), [3, 32, 32]);
  assert.deepEqual(spatialInput(1, { shape: [1, 28, 28], file: 'd.npz' }), [1, 28, 28]);
  assert.deepEqual(spatialInput(3, { shape: [3, 16, 24], file: 'd.npz' }), [3, 16, 24]);
  assert.throws(() => spatialInput(3, { shape: [1000], file: 'd.npz' }), /d\.npz: inputs of 1000 values fit no 3×H×W input .*--input-shape/);
  assert.throws(() => spatialInput(3, { shape: [32, 32, 3], file: 'd.npz' }), /stored channels last.* store them as \[n, 3, 32, 32\]/);
  assert.throws(() => spatialInput(3, { shape: [1, 28, 28], file: 'd.npz' }), /do not have the 3 channels/);
});
