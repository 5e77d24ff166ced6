/**
 * The synthetic checkpoints the benches compare, shared so that every bench (and the PyTorch
 * scripts beside them) measures the very same files. A is PyTorch-style initialised; B is A
 * mixed 0.8 : 0.6 with an independent initialisation (unit variance kept) and its hidden units
 * shuffled, so B is "A permuted, plus noise" and matching has something to find. Inputs are
 * uniform in [0, 1], labels are A's argmax (BatchNorm in eval mode, on statistics settled on the inputs).
 */
import { join } from 'node:path';
import { writeSafetensors, type WritableTensor } from '../../src/engine/export/writeSafetensors';
import { loadCheckpointPair } from '../../src/engine/compare/loadPair';
import { batchStatistics, resetModes } from '../../src/engine/metrics/batchStatistics';
import type { SweepData } from '../../src/engine/metrics/interpolationSweep';
import { applyPermutation } from '../../src/engine/model/applyPermutation';
import { forwardNetwork } from '../../src/engine/model/forward';
import type { MlpArchitecture } from '../../src/engine/model/mlp';
import { mlpNetwork } from '../../src/engine/model/mlpNetwork';
import type { Network } from '../../src/engine/model/network';
import { networkChannelSpaces } from '../../src/engine/model/networkSpaces';
import { disposeTensors, hasTensors, uploadNetwork } from '../../src/engine/model/networkTensors';
import type { Params, Tensor32 } from '../../src/engine/model/params';
import { derivePermutationSpec, type PermutationSpec } from '../../src/engine/model/permutationSpec';
import { mlpArchitecture } from '../engine/model/mlpTestModels';
import { mulberry32 } from '../helpers/randomMatrices';

export interface CaseFiles {
  readonly a: string;
  readonly b: string;
  /** x F32 [n, …input shape], y I64 [n]. */
  readonly data: string;
}

export type Shapes = [string, number[]][];

/** nn.Linear's default: weight and bias uniform in ±1/√fan_in. */
function mlpInit(architecture: MlpArchitecture, next: () => number): Map<string, Tensor32> {
  const params = new Map<string, Tensor32>();
  for (const layer of architecture.layers) {
    const bound = 1 / Math.sqrt(layer.inFeatures);
    const uniform = (n: number) => Float32Array.from({ length: n }, () => (2 * next() - 1) * bound);
    params.set(layer.weight, { shape: [layer.outFeatures, layer.inFeatures], data: uniform(layer.outFeatures * layer.inFeatures) });
    params.set(layer.bias!, { shape: [layer.outFeatures], data: uniform(layer.outFeatures) });
  }
  return params;
}

function shuffled(n: number, next: () => number): Int32Array {
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  }
  return perm;
}

/**
 * B = π(0.8·A + 0.6·A'), π a random permutation of every group. BatchNorm's running statistics
 * are A's, only permuted: they describe activations, not a second initialisation.
 */
export function noisyShuffle(a: Params, other: Params, spec: PermutationSpec, next: () => number): Params {
  const mixed: Params = new Map(
    [...a].map(([name, t]) => {
      const o = other.get(name)!.data;
      return [name, { shape: t.shape, data: name.includes('running') ? t.data : t.data.map((v, i) => 0.8 * v + 0.6 * o[i]!) }];
    }),
  );
  return applyPermutation(mixed, spec, spec.groups.map((g) => shuffled(g.size, next)));
}

function argmaxLabels(logits: Float32Array, count: number, classes: number): BigInt64Array {
  const labels = new BigInt64Array(count);
  for (let s = 0; s < count; s++) {
    let best = 0;
    for (let k = 1; k < classes; k++) if (logits[s * classes + k]! > logits[s * classes + best]!) best = k;
    labels[s] = BigInt(best);
  }
  return labels;
}

async function writeData(file: string, network: Network, a: Params, inputs: Float32Array, count: number): Promise<void> {
  const logits = (await forwardNetwork(network, a, inputs, count)).logits;
  await writeSafetensors(file, [
    { name: 'x', dtype: 'F32', shape: [count, ...network.input], data: inputs },
    { name: 'y', dtype: 'I64', shape: [count], data: argmaxLabels(logits, count, logits.length / count) },
  ]);
}

/** A 784-…-10 ReLU MLP (fc1, fc2, … as nn.Linear names them) and `samples` labelled inputs. */
export async function writeMlpCase(dir: string, label: string, hidden: readonly number[], samples: number): Promise<CaseFiles> {
  const next = mulberry32(20240 + hidden[0]!);
  const architecture = mlpArchitecture([784, ...hidden, 10], 'relu');
  const network = mlpNetwork(architecture);
  const a = mlpInit(architecture, next);
  const b = noisyShuffle(a, mlpInit(architecture, next), derivePermutationSpec(networkChannelSpaces(network)), next);
  const inputs = Float32Array.from({ length: samples * 784 }, next);
  const files = { a: join(dir, `${label}-a.safetensors`), b: join(dir, `${label}-b.safetensors`), data: join(dir, `${label}-data.safetensors`) };
  await writeSafetensors(files.a, a);
  await writeSafetensors(files.b, b);
  await writeData(files.data, network, a, inputs, samples);
  return files;
}

function batchNormShapes(prefix: string, channels: number): Shapes {
  return ['weight', 'bias', 'running_mean', 'running_var'].map((t) => [`${prefix}.${t}`, [channels]]);
}

/**
 * A CIFAR ResNet in the kuangliu naming (conv1, bn1, layerK.J.conv1/bn1/conv2/bn2, shortcut.0/1
 * where the width changes, linear): 3×3 convolutions without bias, `blocks` BasicBlocks per stage.
 */
export function resnetShapes(widths: readonly number[], blocks: number, classes = 10): Shapes {
  const shapes: Shapes = [['conv1.weight', [widths[0]!, 3, 3, 3]], ...batchNormShapes('bn1', widths[0]!)];
  let cin = widths[0]!;
  widths.forEach((w, s) => {
    for (let j = 0; j < blocks; j++) {
      const p = `layer${s + 1}.${j}`;
      shapes.push([`${p}.conv1.weight`, [w, cin, 3, 3]], ...batchNormShapes(`${p}.bn1`, w), [`${p}.conv2.weight`, [w, w, 3, 3]], ...batchNormShapes(`${p}.bn2`, w));
      if (cin !== w) shapes.push([`${p}.shortcut.0.weight`, [w, cin, 1, 1]], ...batchNormShapes(`${p}.shortcut.1`, w));
      cin = w;
    }
  });
  shapes.push(['linear.weight', [classes, cin]], ['linear.bias', [classes]]);
  return shapes;
}

/**
 * torchvision's VGG layout on 3-channel inputs: `config` lists 3×3 convolutions (padding 1, with
 * bias, each followed by BatchNorm and ReLU) by width and 'M' for a 2×2 max pool, numbered as
 * make_layers numbers its nn.Sequential; then classifier.0 Linear(C·H·W, hidden), ReLU, Dropout,
 * classifier.3 Linear(hidden, classes). `flattened` is C·H·W after the last pool.
 */
export function vggShapes(config: readonly (number | 'M')[], flattened: number, hidden: number, classes = 10): Shapes {
  const shapes: Shapes = [];
  let index = 0;
  let cin = 3;
  for (const v of config) {
    if (v === 'M') {
      index += 1;
      continue;
    }
    shapes.push([`features.${index}.weight`, [v, cin, 3, 3]], [`features.${index}.bias`, [v]], ...batchNormShapes(`features.${index + 1}`, v));
    index += 3;
    cin = v;
  }
  shapes.push(['classifier.0.weight', [hidden, flattened]], ['classifier.0.bias', [hidden]], ['classifier.3.weight', [classes, hidden]], ['classifier.3.bias', [classes]]);
  return shapes;
}

/**
 * Weights uniform with variance 1/fan_in, BatchNorm's affine parameters near (1, 0) and its
 * running statistics near (0, 1), biases small: a plausible trained-looking scale, not a trained net.
 */
export function convInit(shapes: Shapes, next: () => number): Map<string, Tensor32> {
  return new Map(
    shapes.map(([name, shape]) => {
      const n = shape.reduce((x, y) => x * y, 1);
      const fanIn = shape.length > 1 ? n / shape[0]! : 1;
      const u = (lo: number, hi: number) => Float32Array.from({ length: n }, () => lo + (hi - lo) * next());
      const data = name.endsWith('running_var')
        ? u(0.5, 1.5)
        : name.endsWith('running_mean')
          ? u(-0.1, 0.1)
          : shape.length === 1
            ? name.endsWith('weight')
              ? u(0.8, 1.2)
              : u(-0.1, 0.1)
            : u(-Math.sqrt(3 / fanIn), Math.sqrt(3 / fanIn));
      return [name, { shape, data }];
    }),
  );
}

export function asTensors(p: Params): WritableTensor[] {
  return [...p].map(([name, t]) => ({ name, dtype: 'F32', shape: t.shape, data: t.data }));
}

/**
 * `params` with every BatchNorm's running statistics recomputed on `data` by the engine's
 * BatchNorm reset, so that they fit the data as a trained network's do: A in eval mode is then A
 * as a comparison with BatchNorm reset measures it, and its labels are its own predictions.
 */
async function settledStatistics(network: Network, params: Params, data: SweepData): Promise<Params> {
  const tensors = uploadNetwork(network, params);
  try {
    const family = { network, a: tensors, b: tensors, interpolated: network.nodes.map(hasTensors) };
    const [statistics] = await batchStatistics(family, data, [0], resetModes(network, true));
    const out = new Map(params);
    for (const [i, s] of statistics!) {
      const node = network.nodes[i]!;
      if (node.op !== 'batchnorm') continue;
      out.set(node.runningMean, { shape: [s.mean.length], data: s.mean });
      out.set(node.runningVar, { shape: [s.variance.length], data: s.variance });
    }
    return out;
  } finally {
    disposeTensors(tensors);
  }
}

/**
 * A convolutional pair from `shapes` and `samples` labelled 3×32×32 inputs, A's BatchNorm
 * statistics settled on those inputs (B's are A's, permuted).
 */
export async function writeConvCase(dir: string, label: string, shapes: Shapes, samples: number, seed: number): Promise<CaseFiles> {
  const next = mulberry32(seed);
  const initial = convInit(shapes, next);
  const other = convInit(shapes, next);
  const files = { a: join(dir, `${label}-a.safetensors`), b: join(dir, `${label}-b.safetensors`), data: join(dir, `${label}-data.safetensors`) };
  await writeSafetensors(files.a, asTensors(initial));
  const { network } = await loadCheckpointPair(files.a, files.a, { activation: 'relu', sample: { shape: [3, 32, 32], file: null } });
  const inputs = Float32Array.from({ length: samples * 3 * 32 * 32 }, next);
  const a = await settledStatistics(network, initial, { inputs, count: samples });
  await writeSafetensors(files.a, asTensors(a), { overwrite: true });
  await writeSafetensors(files.b, asTensors(noisyShuffle(a, other, derivePermutationSpec(networkChannelSpaces(network)), next)));
  await writeData(files.data, network, a, inputs, samples);
  return files;
}
