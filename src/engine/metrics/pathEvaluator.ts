import { tf } from '../backend/tfBackend';
import type { LayerBarrier, LlfcLayer } from '../../shared/compareReport';
import { checkBatchSize, checkCount, DEFAULT_BATCH_SIZE } from '../model/forward';
import { activate, dense, disposeLayers, type LayerTensors, lerp, lerpLayer, uploadLayers, uploadRows } from '../model/forwardTensors';
import type { MlpArchitecture } from '../model/mlp';
import type { Params } from '../model/params';
import { type Barriers, barriers, type PathCurve } from './barriers';
import { accuracy, crossEntropy } from './classification';
import { CosineMeans, rowProducts } from './featureCosines';
import { alphaGrid } from './interpolation';

/** Labelled evaluation samples: count × inputSize flattened inputs (a `Dataset` fits). */
export interface EvaluationData {
  readonly inputs: Float32Array;
  readonly labels: Int32Array;
  readonly count: number;
}

export interface MeasureOptions {
  /** Default: `alphaGrid(25)`. Must run from 0 to 1. */
  readonly alphas?: readonly number[];
  /** Whether to measure every layer's barrier with only that layer interpolated (default true). */
  readonly layerBarriers?: boolean;
  /** LLFC uses the first this-many evaluation samples (default: all of them). */
  readonly llfcSamples?: number;
  /**
   * Called after each α of each stage ("path and LLFC: α 12/25", "per-layer barriers: layer 2/3
   * (fc2), α 3/25"), with the fraction of the whole call done.
   */
  readonly onProgress?: (stage: string, fraction: number) => void;
  /** Checked between forward passes; an abort rejects with the signal's reason, every tensor freed. */
  readonly signal?: AbortSignal;
}

export interface PathMeasurement {
  readonly alphas: readonly number[];
  /** Along θ(α) = θA + α·(π(θB) − θA), which is (1−α)·θA + α·π(θB) up to rounding. */
  readonly path: PathCurve;
  readonly barrier: Barriers;
  /** Per hidden layer. */
  readonly llfc: readonly LlfcLayer[];
  /** Per dense layer, the output layer included; empty when not asked. */
  readonly layerBarriers: readonly LayerBarrier[];
}

/** The LLFC rows of one batch (its first `rows`) and both endpoints' hidden features on them. */
interface EndpointFeatures {
  readonly rows: number;
  readonly fA: readonly tf.Tensor2D[];
  readonly fB: readonly tf.Tensor2D[];
}

/** One batch of evaluation rows and A's pre-activations on them, every layer's (logits last). */
interface Batch {
  readonly start: number;
  readonly end: number;
  readonly zA: readonly tf.Tensor2D[];
}

/**
 * Measures interpolation paths from one network A to any number of B's (one per alignment
 * method) on fixed evaluation data. A's parameters and A's pre-activations at every layer are
 * computed once and kept on the backend, since neither depends on B nor on α:
 * - the first layer is linear in α, so the path mixes x·W_Aᵀ + b_A and x·W_Bᵀ + b_B instead of
 *   multiplying by W(α) for every α;
 * - a per-layer barrier holds the layers before l at A, so layer l's input is A's own and its
 *   output is again linear in α: only the layers after l run per α.
 * Memory: count × (sum of layer widths) floats on the backend for A's pre-activations.
 */
export class PathEvaluator {
  private disposed = false;

  private constructor(
    private readonly architecture: MlpArchitecture,
    private readonly layersA: readonly LayerTensors[],
    private readonly batches: readonly Batch[],
    private readonly data: EvaluationData,
  ) {}

  static create(architecture: MlpArchitecture, paramsA: Params, data: EvaluationData, batchSize = DEFAULT_BATCH_SIZE): PathEvaluator {
    checkCount(data.inputs, data.count, architecture.inputSize);
    checkBatchSize(batchSize);
    if (data.count < 1) throw new Error('no evaluation samples');
    if (data.labels.length < data.count) throw new Error(`${data.count} samples but ${data.labels.length} labels`);
    if (architecture.layers.length < 1) throw new Error('the network has no layers');
    const labels = data.labels.subarray(0, data.count);
    const outside = labels.findIndex((y) => y < 0 || y >= architecture.outputSize);
    if (outside >= 0) throw new Error(`sample ${outside} has label ${labels[outside]}, outside the ${architecture.outputSize} outputs`);
    const layersA = uploadLayers(architecture, paramsA);
    const batches: Batch[] = [];
    try {
      for (let start = 0; start < data.count; start += batchSize) {
        const end = Math.min(data.count, start + batchSize);
        const zA = tf.tidy(() => {
          const z: tf.Tensor2D[] = [];
          let h = uploadRows(data.inputs, architecture.inputSize, start, end);
          layersA.forEach((layer, l) => {
            z.push(dense(h, layer));
            if (l < layersA.length - 1) h = activate(z[l]!, architecture.activation);
          });
          return z;
        });
        batches.push({ start, end, zA });
      }
    } catch (error) {
      disposeLayers(layersA);
      for (const batch of batches) tf.dispose([...batch.zA]);
      throw error;
    }
    return new PathEvaluator(architecture, layersA, batches, { ...data, labels });
  }

  /** The path from A to `paramsB` (pass π(θB)), its barriers, LLFC and, when asked, per-layer barriers. */
  async measure(paramsB: Params, options: MeasureOptions = {}): Promise<PathMeasurement> {
    if (this.disposed) throw new Error('the path evaluator was disposed');
    const alphas = options.alphas ?? alphaGrid();
    if (alphas.length < 2 || alphas[0] !== 0 || alphas[alphas.length - 1] !== 1) throw new Error('the α grid must run from 0 to 1');
    const withLayers = options.layerBarriers ?? true;
    const layerCount = this.architecture.layers.length;
    const totalSteps = alphas.length * (1 + (withLayers ? layerCount : 0));
    let steps = 0;
    const step = async (stage: string): Promise<void> => {
      options.onProgress?.(stage, ++steps / totalSteps);
      // A macrotask turn lets an abort message reach the signal.
      await new Promise((resolve) => setImmediate(resolve));
      options.signal?.throwIfAborted();
    };
    options.signal?.throwIfAborted();

    const layersB = uploadLayers(this.architecture, paramsB);
    const owned: tf.Tensor[] = [];
    try {
      const z0B = this.batches.map((batch) =>
        keep(owned, tf.tidy(() => dense(uploadRows(this.data.inputs, this.architecture.inputSize, batch.start, batch.end), layersB[0]!))),
      );
      const llfcEnd = Math.min(this.data.count, Math.max(0, Math.floor(options.llfcSamples ?? this.data.count)));
      const endpointFeatures = this.endpointFeatures(layersB, z0B, llfcEnd, owned);
      const { curve, llfc } = await this.fullPath(alphas, layersB, z0B, endpointFeatures, step);
      const layerBarriers: LayerBarrier[] = [];
      if (withLayers) {
        for (let l = 0; l < layerCount; l++) layerBarriers.push(await this.layerBarrier(l, alphas, layersB, z0B, step));
      }
      return { alphas: [...alphas], path: curve, barrier: barriers(alphas, curve), llfc, layerBarriers };
    } finally {
      disposeLayers(layersB);
      tf.dispose(owned);
    }
  }

  /** Frees A's tensors; the evaluator cannot measure afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    disposeLayers(this.layersA);
    for (const batch of this.batches) tf.dispose([...batch.zA]);
  }

  /** Per batch that holds LLFC rows: the hidden features of A and of B on those rows. */
  private endpointFeatures(
    layersB: readonly LayerTensors[],
    z0B: readonly tf.Tensor2D[],
    llfcEnd: number,
    owned: tf.Tensor[],
  ): (EndpointFeatures | null)[] {
    const { activation } = this.architecture;
    return this.batches.map((batch, b) => {
      const rows = Math.min(batch.end, llfcEnd) - batch.start;
      if (rows <= 0) return null;
      const fA: tf.Tensor2D[] = [];
      const fB: tf.Tensor2D[] = [];
      tf.tidy(() => {
        let h = activate(firstRows(z0B[b]!, rows), activation);
        for (let l = 0; l < layersB.length - 1; l++) {
          if (l > 0) h = activate(dense(h, layersB[l]!), activation);
          fB.push(keep(owned, tf.keep(h)));
          fA.push(keep(owned, tf.keep(activate(firstRows(batch.zA[l]!, rows), activation))));
        }
      });
      return { rows, fA, fB };
    });
  }

  private async fullPath(
    alphas: readonly number[],
    layersB: readonly LayerTensors[],
    z0B: readonly tf.Tensor2D[],
    endpoints: readonly (EndpointFeatures | null)[],
    step: (stage: string) => Promise<void>,
  ): Promise<{ curve: PathCurve; llfc: LlfcLayer[] }> {
    const { activation, layers } = this.architecture;
    const hiddenCount = layers.length - 1;
    const loss: number[] = [];
    const acc: number[] = [];
    const cosine: number[][] = layers.slice(0, hiddenCount).map(() => []);
    const scale: number[][] = layers.slice(0, hiddenCount).map(() => []);

    const baselines = layers.slice(0, hiddenCount).map(() => new CosineMeans());
    for (const endpoint of endpoints) {
      if (!endpoint) continue;
      for (let l = 0; l < hiddenCount; l++) {
        const products = rowProducts(endpoint.fA[l]!, endpoint.fB[l]!);
        try {
          await addProducts(baselines[l]!, products);
        } finally {
          tf.dispose(products);
        }
      }
    }

    for (const [i, alpha] of alphas.entries()) {
      // The first layer is mixed at its output instead, so only the later layers are interpolated.
      const mixed = this.layersA.map((layerA, l) => (l === 0 ? null : lerpLayer(layerA, layersB[l]!, alpha)));
      const logits = new Float32Array(this.data.count * this.architecture.outputSize);
      const means = layers.slice(0, hiddenCount).map(() => new CosineMeans());
      try {
        for (const [b, batch] of this.batches.entries()) {
          const endpoint = endpoints[b];
          const outputs = tf.tidy(() => {
            const products: tf.Tensor1D[][] = [];
            let z = lerp(batch.zA[0]!, z0B[b]!, alpha);
            for (let l = 1; l < layers.length; l++) {
              const h = activate(z, activation);
              if (endpoint) {
                const f = firstRows(h, endpoint.rows);
                products.push(rowProducts(f, lerp(endpoint.fA[l - 1]!, endpoint.fB[l - 1]!, alpha)));
              }
              z = dense(h, mixed[l]!);
            }
            return { z, products };
          });
          try {
            logits.set(await outputs.z.data<'float32'>(), batch.start * this.architecture.outputSize);
            for (const [l, products] of outputs.products.entries()) await addProducts(means[l]!, products);
          } finally {
            tf.dispose([outputs.z, ...outputs.products.flat()]);
          }
        }
      } finally {
        for (const layer of mixed) if (layer) disposeLayers([layer]);
      }
      loss.push(crossEntropy(logits, this.data.labels, this.architecture.outputSize));
      acc.push(accuracy(logits, this.data.labels, this.architecture.outputSize));
      means.forEach((m, l) => {
        cosine[l]!.push(m.cosine);
        scale[l]!.push(m.scale);
      });
      await step(`path and LLFC: α ${i + 1}/${alphas.length}`);
    }
    const llfc = layers.slice(0, hiddenCount).map((layer, l) => ({
      layer: layer.name,
      cosine: cosine[l]!,
      scale: scale[l]!,
      baseline: baselines[l]!.cosine,
    }));
    return { curve: { loss, accuracy: acc }, llfc };
  }

  /** Only layer l interpolated: its output is linear in α, and the layers after it are A's. */
  private async layerBarrier(
    l: number,
    alphas: readonly number[],
    layersB: readonly LayerTensors[],
    z0B: readonly tf.Tensor2D[],
    step: (stage: string) => Promise<void>,
  ): Promise<LayerBarrier> {
    const { activation, layers, outputSize } = this.architecture;
    const computed: tf.Tensor2D[] = [];
    try {
      const zB = l === 0 ? z0B : computed;
      if (l > 0) {
        for (const batch of this.batches) computed.push(tf.tidy(() => dense(activate(batch.zA[l - 1]!, activation), layersB[l]!)));
      }
      const loss: number[] = [];
      const acc: number[] = [];
      for (const [i, alpha] of alphas.entries()) {
        const logits = new Float32Array(this.data.count * outputSize);
        for (const [b, batch] of this.batches.entries()) {
          const z = tf.tidy(() => {
            let out = lerp(batch.zA[l]!, zB[b]!, alpha);
            for (let k = l + 1; k < layers.length; k++) out = dense(activate(out, activation), this.layersA[k]!);
            return out;
          });
          try {
            logits.set(await z.data<'float32'>(), batch.start * outputSize);
          } finally {
            z.dispose();
          }
        }
        loss.push(crossEntropy(logits, this.data.labels, outputSize));
        acc.push(accuracy(logits, this.data.labels, outputSize));
        await step(`per-layer barriers: layer ${l + 1}/${layers.length} (${layers[l]!.name}), α ${i + 1}/${alphas.length}`);
      }
      const curve = { loss, accuracy: acc };
      const barrier = barriers(alphas, curve);
      return { layer: layers[l]!.name, loss: barrier.loss, accuracy: barrier.accuracy, path: curve };
    } finally {
      tf.dispose(computed);
    }
  }
}

/**
 * One B against A, A's work not shared: `PathEvaluator` directly when several B's meet the same A.
 */
export async function measurePath(
  architecture: MlpArchitecture,
  paramsA: Params,
  paramsB: Params,
  data: EvaluationData,
  options: MeasureOptions & { readonly batchSize?: number } = {},
): Promise<PathMeasurement> {
  const evaluator = PathEvaluator.create(architecture, paramsA, data, options.batchSize);
  try {
    return await evaluator.measure(paramsB, options);
  } finally {
    evaluator.dispose();
  }
}

/** A copy costs as much as the products that follow it, so a whole batch is used as it is. */
function firstRows(x: tf.Tensor2D, rows: number): tf.Tensor2D {
  return rows === x.shape[0] ? x : tf.slice(x, [0, 0], [rows, -1]);
}

function keep<T extends tf.Tensor>(owned: tf.Tensor[], tensor: T): T {
  owned.push(tensor);
  return tensor;
}

async function addProducts(means: CosineMeans, products: readonly tf.Tensor1D[]): Promise<void> {
  const [dot, normF, normG] = await Promise.all(products.map((t) => t.data<'float32'>()));
  means.add(dot!, normF!, normG!);
}
