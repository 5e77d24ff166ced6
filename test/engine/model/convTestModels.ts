// Small convolutional state_dicts written as real safetensors files, and a plain-JavaScript
// double-precision forward pass (NCHW loops, written from PyTorch's definitions) that the
// engine's TensorFlow.js results are checked against.
import { join } from 'node:path';
import { writeSafetensors, type WritableTensor } from '../../../src/engine/export/writeSafetensors';
import { INPUT, type Network } from '../../../src/engine/model/network';
import type { Params } from '../../../src/engine/model/params';
import { mulberry32 } from '../../helpers/randomMatrices';

type Shapes = readonly [string, readonly number[]][];

/** A VGG-style stack on 3×8×8 inputs: conv-BN-ReLU, conv-BN-ReLU-pool, conv-ReLU-pool, then a two-layer classifier. */
export const VGG_SHAPES: Shapes = [
  ['features.0.weight', [4, 3, 3, 3]], ['features.0.bias', [4]],
  ...bn('features.1', 4),
  ['features.3.weight', [6, 4, 3, 3]], ['features.3.bias', [6]],
  ...bn('features.4', 6),
  ['features.7.weight', [5, 6, 3, 3]], ['features.7.bias', [5]],
  ['classifier.0.weight', [7, 5 * 2 * 2]], ['classifier.0.bias', [7]],
  ['classifier.3.weight', [3, 7]], ['classifier.3.bias', [3]],
];

/** A CIFAR-style ResNet on 3×8×8 inputs: a 3×3 stem, a stage of two BasicBlocks at 4 channels, a stride-2 stage at 6 with a shortcut convolution. */
export const RESNET_SHAPES: Shapes = [
  ['conv1.weight', [4, 3, 3, 3]], ...bn('bn1', 4),
  ...basic('layer1.0', 4, 4), ...basic('layer1.1', 4, 4),
  ...basic('layer2.0', 4, 6), ['layer2.0.shortcut.0.weight', [6, 4, 1, 1]], ...bn('layer2.0.shortcut.1', 6),
  ['linear.weight', [3, 6]], ['linear.bias', [3]],
];

function bn(prefix: string, c: number): [string, number[]][] {
  return [[`${prefix}.weight`, [c]], [`${prefix}.bias`, [c]], [`${prefix}.running_mean`, [c]], [`${prefix}.running_var`, [c]], [`${prefix}.num_batches_tracked`, []]];
}

function basic(prefix: string, cin: number, cout: number): [string, number[]][] {
  return [[`${prefix}.conv1.weight`, [cout, cin, 3, 3]], ...bn(`${prefix}.bn1`, cout), [`${prefix}.conv2.weight`, [cout, cout, 3, 3]], ...bn(`${prefix}.bn2`, cout)];
}

/** Random values for a state_dict: weights U(±1/√fan_in), biases small and positive, BatchNorm affine near 1 and 0, running variances positive. */
export function randomStateDict(shapes: Shapes, seed: number): WritableTensor[] {
  const random = mulberry32(seed);
  return shapes.map(([name, shape]): WritableTensor => {
    if (name.endsWith('num_batches_tracked')) return { name, dtype: 'I64', shape, data: BigInt64Array.of(100n) };
    const n = shape.reduce((x, y) => x * y, 1);
    const fanIn = shape.length > 1 ? n / shape[0]! : 4;
    const uniform = (lo: number, hi: number) => Float32Array.from({ length: n }, () => lo + (hi - lo) * random());
    let data: Float32Array;
    if (name.endsWith('running_var')) data = uniform(0.5, 2);
    else if (name.endsWith('running_mean')) data = uniform(-0.3, 0.3);
    else if (shape.length === 1 && /bn|features\.[14]|shortcut\.1/.test(name)) data = name.endsWith('weight') ? uniform(0.6, 1.4) : uniform(-0.2, 0.2);
    // Positive biases keep every ReLU unit alive on random inputs, so no two units tie at zero.
    else if (shape.length === 1) data = uniform(0.05, 0.3);
    else data = uniform(-1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn));
    return { name, dtype: 'F32', shape, data };
  });
}

export async function writeStateDict(dir: string, name: string, shapes: Shapes, seed: number): Promise<string> {
  const file = join(dir, `${name}.safetensors`);
  await writeSafetensors(file, randomStateDict(shapes, seed));
  return file;
}

/** Logits and every node's value (per sample, channel-major C×H×W), in double precision. */
export function referenceNetworkForward(network: Network, params: Params, inputs: Float32Array, count: number): { logits: number[][]; values: number[][][] } {
  const size = network.input.reduce((x, y) => x * y, 1);
  const logits: number[][] = [];
  const values: number[][][] = network.nodes.map(() => []);
  for (let s = 0; s < count; s++) {
    const x = Array.from(inputs.subarray(s * size, (s + 1) * size));
    const shapes: number[][] = [];
    const out: number[][] = [];
    const read = (i: number) => (i === INPUT ? { v: x, shape: [...network.input] } : { v: out[i]!, shape: shapes[i]! });
    network.nodes.forEach((node, i) => {
      const p = (name: string | null) => (name ? Array.from(params.get(name)!.data) : null);
      let v: number[];
      let shape: number[];
      if (node.op === 'add') {
        const [a, b] = [read(node.inputs[0]), read(node.inputs[1])];
        v = a.v.map((t, k) => t + b.v[k]!);
        shape = a.shape;
      } else if (!('input' in node)) {
        throw new Error(`the convolutional reference does not compute '${node.id}' (${node.op})`);
      } else {
        const { v: xin, shape: sin } = read(node.input);
        switch (node.op) {
          case 'conv2d': {
            const { c, h, w, kh, kw, sh, sw, ph, pw, ho, wo } = windowGeometry(sin, node);
            const W = p(node.weight)!;
            const B = p(node.bias);
            v = new Array(node.outChannels * ho * wo).fill(0);
            for (let o = 0; o < node.outChannels; o++) {
              for (let y = 0; y < ho; y++) {
                for (let z = 0; z < wo; z++) {
                  let sum = B ? B[o]! : 0;
                  for (let ci = 0; ci < c; ci++) {
                    for (let dy = 0; dy < kh; dy++) {
                      for (let dx = 0; dx < kw; dx++) {
                        const yy = y * sh - ph + dy;
                        const xx = z * sw - pw + dx;
                        if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
                        sum += W[((o * c + ci) * kh + dy) * kw + dx]! * xin[(ci * h + yy) * w + xx]!;
                      }
                    }
                  }
                  v[(o * ho + y) * wo + z] = sum;
                }
              }
            }
            shape = [node.outChannels, ho, wo];
            break;
          }
          case 'linear': {
            const W = p(node.weight)!;
            const B = p(node.bias);
            v = Array.from({ length: node.outFeatures }, (_, o) => xin.reduce((sum, t, k) => sum + W[o * node.inFeatures + k]! * t, B ? B[o]! : 0));
            shape = [node.outFeatures];
            break;
          }
          case 'batchnorm': {
            const [g, b, m, va] = [p(node.weight), p(node.bias), p(node.runningMean)!, p(node.runningVar)!];
            const per = sin.slice(1).reduce((q, r) => q * r, 1);
            v = xin.map((t, k) => {
              const c = Math.floor(k / per);
              return ((t - m[c]!) / Math.sqrt(va[c]! + node.eps)) * (g ? g[c]! : 1) + (b ? b[c]! : 0);
            });
            shape = sin;
            break;
          }
          case 'activation':
            if (node.fn !== 'relu') throw new Error('the reference runs ReLU networks only');
            v = xin.map((t) => Math.max(0, t));
            shape = sin;
            break;
          case 'maxpool':
          case 'avgpool': {
            const { c, h, w, kh, kw, sh, sw, ph, pw, ho, wo } = windowGeometry(sin, node);
            v = [];
            for (let ci = 0; ci < c; ci++) {
              for (let y = 0; y < ho; y++) {
                for (let z = 0; z < wo; z++) {
                  const window: number[] = [];
                  for (let dy = 0; dy < kh; dy++) {
                    for (let dx = 0; dx < kw; dx++) {
                      const yy = y * sh - ph + dy;
                      const xx = z * sw - pw + dx;
                      if (yy >= 0 && yy < h && xx >= 0 && xx < w) window.push(xin[(ci * h + yy) * w + xx]!);
                    }
                  }
                  v.push(node.op === 'maxpool' ? Math.max(...window) : window.reduce((q, r) => q + r, 0) / (kh * kw));
                }
              }
            }
            shape = [c, ho, wo];
            break;
          }
          case 'globalavgpool': {
            const [c, h, w] = sin as [number, number, number];
            v = Array.from({ length: c }, (_, ci) => xin.slice(ci * h * w, (ci + 1) * h * w).reduce((q, r) => q + r, 0) / (h * w));
            shape = [c];
            break;
          }
          case 'flatten':
            v = xin;
            shape = [xin.length];
            break;
          default:
            throw new Error(`the convolutional reference does not compute '${node.id}' (${node.op})`);
        }
      }
      out.push(v);
      shapes.push(shape);
      values[i]!.push(v);
    });
    logits.push(out[out.length - 1]!);
  }
  return { logits, values };
}

/** The input's size, the window's and where it lands: what a convolution and a pooling share. */
function windowGeometry(shape: number[], node: { kernel: readonly [number, number]; stride: readonly [number, number]; padding: readonly [number, number] }) {
  const [c, h, w] = shape as [number, number, number];
  const [kh, kw] = node.kernel;
  const [sh, sw] = node.stride;
  const [ph, pw] = node.padding;
  return { c, h, w, kh, kw, sh, sw, ph, pw, ho: Math.floor((h + 2 * ph - kh) / sh) + 1, wo: Math.floor((w + 2 * pw - kw) / sw) + 1 };
}
