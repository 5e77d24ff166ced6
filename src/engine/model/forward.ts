import { tf } from '../backend/tfBackend';
import { activate, dense, disposeLayers, uploadLayers, uploadRows } from './forwardTensors';
import type { MlpArchitecture } from './mlp';
import type { Params } from './params';

export interface ForwardOutput {
  /** count × outputSize, row-major. */
  readonly logits: Float32Array;
  /** Per hidden layer (all but the last), count × width, after the activation; empty unless asked. */
  readonly features: readonly Float32Array[];
  /** Per hidden layer, before the activation; present only when asked. */
  readonly preactivations?: readonly Float32Array[];
}

export interface ForwardOptions {
  readonly features?: boolean;
  readonly preactivations?: boolean;
  /** Samples per forward pass (default 1024): bounds the backend memory a call holds. */
  readonly batchSize?: number;
}

export const DEFAULT_BATCH_SIZE = 1024;

/**
 * Runs the MLP on `count` flattened inputs (count × inputSize, row-major), in batches, the
 * parameters uploaded once. Call `initBackend` first.
 */
export async function forwardMlp(
  architecture: MlpArchitecture,
  params: Params,
  inputs: Float32Array,
  count: number,
  options: ForwardOptions = {},
): Promise<ForwardOutput> {
  const { layers, inputSize, outputSize } = architecture;
  checkCount(inputs, count, inputSize);
  const batchSize = checkBatchSize(options.batchSize ?? DEFAULT_BATCH_SIZE);
  const hidden = layers.slice(0, -1);
  const logits = new Float32Array(count * outputSize);
  const features = options.features ? hidden.map((layer) => new Float32Array(count * layer.outFeatures)) : [];
  const preactivations = options.preactivations ? hidden.map((layer) => new Float32Array(count * layer.outFeatures)) : undefined;

  const uploaded = uploadLayers(architecture, params);
  try {
    for (let start = 0; start < count; start += batchSize) {
      const end = Math.min(count, start + batchSize);
      // Targets stay outside tidy, which would walk every element of a typed array it is handed.
      const targets: Float32Array[] = [];
      const tensors = tf.tidy(() => {
        const kept: tf.Tensor2D[] = [];
        const keep = (target: Float32Array, tensor: tf.Tensor2D): void => {
          targets.push(target);
          kept.push(tensor);
        };
        let h = uploadRows(inputs, inputSize, start, end);
        uploaded.forEach((layer, l) => {
          const z = dense(h, layer);
          if (l === uploaded.length - 1) return keep(logits, z);
          h = activate(z, architecture.activation);
          if (preactivations) keep(preactivations[l]!, z);
          if (options.features) keep(features[l]!, h);
        });
        return kept;
      });
      try {
        for (let i = 0; i < tensors.length; i++) targets[i]!.set(await tensors[i]!.data<'float32'>(), start * tensors[i]!.shape[1]);
      } finally {
        tf.dispose(tensors);
      }
    }
  } finally {
    disposeLayers(uploaded);
  }
  return preactivations ? { logits, features, preactivations } : { logits, features };
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
