import { tf } from '../backend/tfBackend';
import { INPUT, type Network } from './network';
import { valueShapes } from './networkShapes';
import { disposeTensors, uploadNetwork, uploadSamples } from './networkTensors';
import type { Params } from './params';
import { runNetwork } from './runNetwork';

export interface ForwardOutput {
  /** count × classes, row-major. */
  readonly logits: Float32Array;
  /**
   * Per node asked for in `capture`, its values: count × (the node's value size), each sample's
   * values in the backend's order, height × width × channel for a map, so the same array read as
   * (count·H·W) × C holds one row per spatial position.
   */
  readonly captured: readonly Float32Array[];
}

export interface ForwardOptions {
  /** Nodes whose values to return besides the logits. */
  readonly capture?: readonly number[];
  /** Samples per forward pass (default `batchSizeFor`): bounds the backend memory a call holds. */
  readonly batchSize?: number;
}

export const DEFAULT_BATCH_SIZE = 1024;
/** Values one batch may hold per node (16 MiB of float32), which caps convolutional batches. */
const VALUES_PER_BATCH = 1 << 22;

/**
 * Samples per batch: up to 1024, fewer where a node's values would pass VALUES_PER_BATCH; an
 * attention node counts its scores too ([heads, T, T] per sample, more than its output when T is long).
 */
export function batchSizeFor(network: Network): number {
  const shapes = valueShapes(network);
  const sizes = shapes.map((shape) => shape.reduce((x, y) => x * y, 1));
  network.nodes.forEach((node, i) => {
    if (node.op === 'attention') sizes.push(node.heads * shapes[i]![0]! * (node.inputs[1] === INPUT ? network.input[0]! : shapes[node.inputs[1]]![0]!));
  });
  const largest = Math.max(1, ...sizes);
  return Math.max(1, Math.min(DEFAULT_BATCH_SIZE, Math.floor(VALUES_PER_BATCH / largest)));
}

/**
 * Runs the network, BatchNorm in eval mode, on `count` samples (count × input size, row-major
 * in PyTorch's layout), in batches, the parameters uploaded once. Call `initBackend` first.
 */
export async function forwardNetwork(
  network: Network,
  params: Params,
  inputs: Float32Array,
  count: number,
  options: ForwardOptions = {},
): Promise<ForwardOutput> {
  const shapes = valueShapes(network);
  checkCount(inputs, count, network.input.reduce((x, y) => x * y, 1));
  const batchSize = checkBatchSize(options.batchSize ?? batchSizeFor(network));
  const output = network.nodes.length - 1;
  const capture = options.capture ?? [];
  const sizes = [output, ...capture].map((i) => shapes[i]!.reduce((x, y) => x * y, 1));
  const results = sizes.map((size) => new Float32Array(count * size));
  const tensors = uploadNetwork(network, params);
  try {
    for (let start = 0; start < count; start += batchSize) {
      const end = Math.min(count, start + batchSize);
      const kept = tf.tidy(() => {
        const { values } = runNetwork(network, tensors, uploadSamples(network, inputs, start, end), { read: capture });
        return [output, ...capture].map((i) => values[i]!);
      });
      try {
        for (const [k, tensor] of kept.entries()) results[k]!.set(await tensor.data<'float32'>(), start * sizes[k]!);
      } finally {
        tf.dispose(kept);
      }
    }
  } finally {
    disposeTensors(tensors);
  }
  return { logits: results[0]!, captured: results.slice(1) };
}

export function checkCount(inputs: Float32Array, count: number, inputSize: number): void {
  if (!Number.isSafeInteger(count) || count < 0 || inputs.length < count * inputSize) {
    throw new Error(`${count} samples of ${inputSize} values need ${count * inputSize} inputs, got ${inputs.length}`);
  }
}

export function checkBatchSize(batchSize: number): number {
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new Error(`batch size must be a positive integer, got ${batchSize}`);
  return batchSize;
}
