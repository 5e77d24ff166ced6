import { tf } from '../backend/tfBackend';
import type { Samples } from '../alignment/unitCorrelations';
import type { Commutativity, LlfcConditions, WeakAdditivity } from '../../shared/compareReport';
import { batchSizeFor, checkBatchSize, checkCount } from '../model/forward';
import { featureName, INPUT, isWeighted, type ActivationNode, type Network, type WeightedNode } from '../model/network';
import { valueShapes } from '../model/networkShapes';
import { activate, disposeTensors, uploadNetwork, uploadSamples, type NetworkTensors } from '../model/networkTensors';
import type { Params } from '../model/params';
import { layerProduct, runNetwork } from '../model/runNetwork';
import { PairSums } from './pairSums';

/** Values one batch holds per network (16 Mi float32, 64 MiB): A, π(B) and the shifted π(B) are alive at once. */
const VALUES_PER_BATCH = 1 << 24;

export interface ConditionsOptions {
  /** Samples per batch (default `batchSizeFor`, fewer where the values read would pass VALUES_PER_BATCH). */
  readonly batchSize?: number;
  /** Called after each batch. */
  readonly onBatch?: (batch: number, batches: number) => void;
  /** Checked between batches; an abort rejects with the signal's reason, every tensor freed. */
  readonly signal?: AbortSignal;
}

/** Samples left out of a per-sample mean at one entry: u or v was all zero, so it has no direction. */
export interface LeftOut {
  readonly condition: 'additivity' | 'commutativity';
  readonly layer: string;
  readonly shuffled: boolean;
  readonly samples: number;
}

export interface ConditionsMeasurement {
  readonly conditions: LlfcConditions;
  /** Only the entries that left a sample out. */
  readonly leftOut: readonly LeftOut[];
}

/**
 * LLFC's two conditions at the endpoints (Zhou et al. 2023, section 5) on the given samples,
 * A and `b` (π(B)) each run on its own, BatchNorm in eval mode (the checkpoints' statistics):
 * - weak additivity at every activation: h̃_A, h̃_B the values at its input, u = σ(h̃_A + h̃_B),
 *   v = σ(h̃_A) + σ(h̃_B);
 * - commutativity at every layer with weights: H_A, H_B its inputs, W_A, W_B its weights as
 *   stored (no bias, no BatchNorm folded), u = W_A·H_A + W_B·H_B, v = u − (W_A − W_B)·(H_A − H_B)
 *   (= W_A·H_B + W_B·H_A, with u − v computed as the product itself, exact where A and B agree),
 *   W_A·H_A and W_B·H_B read from the runs' layer outputs less their biases;
 * each again with B's sample i replaced by sample (i + 1) mod N, a cyclic shift over all N.
 * Every sum is of per-sample dot products and squared norms, accumulated in double (`PairSums`).
 */
export async function llfcConditions(network: Network, a: Params, b: Params, samples: Samples, options: ConditionsOptions = {}): Promise<ConditionsMeasurement> {
  const size = network.input.reduce((x, y) => x * y, 1);
  checkCount(samples.inputs, samples.count, size);
  if (options.batchSize !== undefined) checkBatchSize(options.batchSize);
  const count = samples.count;
  const activations = network.nodes.flatMap((node, i) => (node.op === 'activation' ? [i] : []));
  const layers = network.nodes.flatMap((node, i) => (isWeighted(node) ? [i] : []));
  const inputOf = (i: number) => (network.nodes[i] as ActivationNode | WeightedNode).input;
  // The values read, each once: an activation's input, a layer's input (INPUT: the samples) and a
  // layer's output, W·H + b (read, so no BatchNorm folds into it): the runs give W·H, no product of its own.
  const points = [...new Set([...[...activations, ...layers].map(inputOf), ...layers])];
  const slot = new Map(points.map((p, k) => [p, k]));
  const shapes = valueShapes(network);
  const perSample = points.reduce((sum, p) => sum + (p === INPUT ? size : shapes[p]!.reduce((x, y) => x * y, 1)), 0);
  const batchSize = Math.max(1, Math.min(options.batchSize ?? batchSizeFor(network), Math.floor(VALUES_PER_BATCH / Math.max(1, perSample))));
  const read = points.filter((p) => p !== INPUT);

  const sums = (n: number) => Array.from({ length: n }, () => ({ aligned: new PairSums(), shuffled: new PairSums() }));
  const additivity = sums(activations.length);
  const commutativity = sums(layers.length);
  const batches = Math.ceil(count / batchSize);
  const tensorsA = uploadNetwork(network, a);
  try {
    const tensorsB = uploadNetwork(network, b);
    try {
      for (let start = 0, batch = 1; start < count; start += batchSize, batch++) {
        const end = Math.min(count, start + batchSize);
        const statistics = tf.tidy(() => {
          const values = (tensors: NetworkTensors, x: tf.Tensor): tf.Tensor[] => {
            const run = runNetwork(network, tensors, x, { read }).values;
            return points.map((p) => (p === INPUT ? x : run[p]!));
          };
          const x = uploadSamples(network, samples.inputs, start, end);
          const hA = values(tensorsA, x);
          const hB = values(tensorsB, x);
          const hS = values(tensorsB, shiftedSamples(network, samples, start, end));
          const rows: tf.Tensor1D[] = [];
          for (const i of activations) {
            const k = slot.get(inputOf(i))!;
            const fn = (network.nodes[i] as ActivationNode).fn;
            for (const other of [hB, hS]) rows.push(...tf.tidy(() => additivityRows(hA[k]!, other[k]!, (z) => activate(z, fn))));
          }
          for (const i of layers) {
            const node = network.nodes[i] as WeightedNode;
            const [k, o] = [slot.get(node.input)!, slot.get(i)!];
            const [layerA, layerB] = [weightedTensors(tensorsA, i), weightedTensors(tensorsB, i)];
            rows.push(
              ...tf.tidy(() => {
                // A's product and the weights' difference serve both pairings.
                const pA = withoutBias(hA[o]!, layerA.bias);
                const dW = tf.sub(layerA.weight, layerB.weight);
                return [hB, hS].flatMap((other) => tf.tidy(() => commutativityRows(node, pA, withoutBias(other[o]!, layerB.bias), hA[k]!, other[k]!, dW)));
              }),
            );
          }
          return tf.stack(rows) as tf.Tensor2D;
        });
        let values: Float32Array;
        try {
          values = await statistics.data<'float32'>();
        } finally {
          statistics.dispose();
        }
        const n = end - start;
        const at = (row: number) => values.subarray(row * n, (row + 1) * n);
        let row = 0;
        for (const entry of [...additivity, ...commutativity]) {
          for (const s of [entry.aligned, entry.shuffled]) {
            s.add(at(row), at(row + 1), at(row + 2), at(row + 3));
            row += 4;
          }
        }
        options.onBatch?.(batch, batches);
        // A macrotask turn lets an abort message reach this thread.
        await new Promise((resolve) => setImmediate(resolve));
        options.signal?.throwIfAborted();
      }
    } finally {
      disposeTensors(tensorsB);
    }
  } finally {
    disposeTensors(tensorsA);
  }

  const additivityOut: WeakAdditivity[] = activations.map((i, q) => {
    const { aligned, shuffled } = additivity[q]!;
    return {
      layer: featureName(network, i),
      dissimilarity: aligned.dissimilarity,
      coefficient: aligned.coefficient,
      shuffled: { dissimilarity: shuffled.dissimilarity, coefficient: shuffled.coefficient },
    };
  });
  const commutativityOut: Commutativity[] = layers.map((i, l) => {
    const { aligned, shuffled } = commutativity[l]!;
    return {
      layer: network.nodes[i]!.id,
      distance: aligned.distance,
      dissimilarity: aligned.dissimilarity,
      shuffled: { distance: shuffled.distance, dissimilarity: shuffled.dissimilarity },
    };
  });
  const leftOut: LeftOut[] = [];
  const note = (condition: LeftOut['condition'], layer: string, entry: { aligned: PairSums; shuffled: PairSums }) => {
    for (const shuffled of [false, true]) {
      const samples = (shuffled ? entry.shuffled : entry.aligned).leftOut;
      if (samples > 0) leftOut.push({ condition, layer, shuffled, samples });
    }
  };
  additivity.forEach((entry, q) => note('additivity', additivityOut[q]!.layer, entry));
  commutativity.forEach((entry, l) => note('commutativity', commutativityOut[l]!.layer, entry));
  return { conditions: { samples: count, additivity: additivityOut, commutativity: commutativityOut }, leftOut };
}

/** Samples (i + 1) mod count for i in [start, end), uploaded as `uploadSamples` does. */
function shiftedSamples(network: Network, samples: Samples, start: number, end: number): tf.Tensor {
  if (end < samples.count) return uploadSamples(network, samples.inputs, start + 1, end + 1);
  const size = network.input.reduce((x, y) => x * y, 1);
  const rows = new Float32Array((end - start) * size);
  rows.set(samples.inputs.subarray((start + 1) * size, end * size));
  rows.set(samples.inputs.subarray(0, size), (end - start - 1) * size);
  return uploadSamples(network, rows, 0, end - start);
}

function weightedTensors(tensors: NetworkTensors, node: number): { readonly weight: tf.Tensor; readonly bias: tf.Tensor1D | null } {
  const t = tensors[node];
  if (t?.kind !== 'weighted') throw new Error(`node ${node} has no weights on the backend`);
  return t;
}

/** W·H from a layer's output W·H + b (the bias on the channel axis, last, as the layer adds it). */
function withoutBias(output: tf.Tensor, bias: tf.Tensor1D | null): tf.Tensor {
  return bias ? tf.sub(output, bias) : output;
}

/** Per sample: ⟨u, v⟩, ‖u‖², ‖v‖², ‖u − v‖², each over every value of the sample. */
function pairRows(u: tf.Tensor, v: tf.Tensor, d: tf.Tensor): tf.Tensor1D[] {
  const rows = u.shape[0]!;
  const flat = (t: tf.Tensor) => tf.reshape(t, [rows, -1]);
  const [fu, fv, fd] = [flat(u), flat(v), flat(d)];
  return [tf.sum(tf.mul(fu, fv), 1), tf.sum(tf.square(fu), 1), tf.sum(tf.square(fv), 1), tf.sum(tf.square(fd), 1)];
}

function additivityRows(hA: tf.Tensor, hB: tf.Tensor, sigma: (z: tf.Tensor) => tf.Tensor): tf.Tensor1D[] {
  const u = sigma(tf.add(hA, hB));
  const v = tf.add(sigma(hA), sigma(hB));
  return pairRows(u, v, tf.sub(u, v));
}

/** u = W_A·H_A + W_B·H_B from the runs' `pA` = W_A·H_A and `pB` = W_B·H_B; u − v = (W_A − W_B)·(H_A − H_B), the one product. */
function commutativityRows(node: WeightedNode, pA: tf.Tensor, pB: tf.Tensor, hA: tf.Tensor, hB: tf.Tensor, dW: tf.Tensor): tf.Tensor1D[] {
  const u = tf.add(pA, pB);
  const d = layerProduct(node, tf.sub(hA, hB), dW, null);
  return pairRows(u, tf.sub(u, d), d);
}
