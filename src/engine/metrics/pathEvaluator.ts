import { tf } from '../backend/tfBackend';
import type { BackendChoice } from '../../shared/compareRequest';
import type { LayerBarrier, LlfcLayer, VarianceCollapse } from '../../shared/compareReport';
import { batchSizeFor, checkBatchSize, checkCount } from '../model/forward';
import { downstreamOf, featureName, type Network } from '../model/network';
import { llfcPoints, networkParts, type NetworkPart } from '../model/networkParts';
import { valueShapes } from '../model/networkShapes';
import { disposeTensors, hasTensors, lerp, uploadNetwork, withTiedNodes, type NetworkTensors } from '../model/networkTensors';
import type { Params } from '../model/params';
import type { BatchNormMode } from '../model/runNetwork';
import { type Barriers, barriers, type PathCurve } from './barriers';
import { batchStatistics, resetModes, type StatisticsByAlpha } from './batchStatistics';
import { logitRows, scoreSums } from './classification';
import { IGNORED_LABEL } from '../datasets/dataset';
import { CosineMeans, rowProducts } from './featureCosines';
import { sweep, type InterpolationFamily, type SweepData } from './interpolationSweep';
import { paramEntries, type LayerPass } from '../parallel/computeProtocol';
import { HelperPool, helperScript } from '../parallel/helperPool';
import { repairFamily } from './repairLayers';
import { channelDeviations, collapseRatio } from './varianceCollapse';

/** Activation values one LLFC batch holds per network (16 Mi float32, 64 MiB): three such sets are alive at once. */
export const LLFC_VALUES_PER_BATCH = 1 << 24;

/**
 * Labelled evaluation samples: count × input size, row-major in PyTorch's layout (a `Dataset`
 * fits). Labels are one per row of the logits: one per sample for a classifier, one per position
 * for a network whose logits are a sequence [T, vocab] (count × T, IGNORED_LABEL where nothing is
 * scored).
 */
export interface EvaluationData {
  readonly inputs: Float32Array;
  readonly labels: Int32Array;
  readonly count: number;
}

/** What a comparison decides (its resolved request), so the evaluator keeps no defaults of its own. */
export interface EvaluatorOptions {
  /** Fit data, for BatchNorm resets and REPAIR's statistics; null: neither is possible. */
  readonly fit: SweepData | null;
  /** Recompute the BatchNorm statistics of every interpolated network on the fit data. */
  readonly bnReset: boolean;
  /** Evaluation samples per batch (default `batchSizeFor`). */
  readonly batchSize?: number;
  /**
   * Threads that measure, this one included (default 1): the others are compute helpers, each
   * with its own `backend`, that take per-layer barriers while this thread measures the path.
   * The numbers are the same whatever the count.
   */
  readonly threads?: number;
  /** The backend the helpers start (the one this thread runs). */
  readonly backend?: BackendChoice;
}

export interface MeasureOptions {
  /** Must run from 0 to 1. */
  readonly alphas: readonly number[];
  /** Whether to measure every layer's barrier with only that layer interpolated (never with REPAIR). */
  readonly layerBarriers: boolean;
  /** LLFC uses the first this-many evaluation samples (0: no LLFC). */
  readonly llfcSamples: number;
  /** REPAIR every interpolated network (needs fit data). */
  readonly repair?: boolean;
  /** Called after each batch of each pass ("path and LLFC: batch 2/4"), with the fraction of the whole call done. */
  readonly onProgress?: (stage: string, fraction: number) => void;
  /** Checked between batches; an abort rejects with the signal's reason, every tensor freed. */
  readonly signal?: AbortSignal;
  /**
   * Other work for this thread, run once the path is measured and before this thread joins the
   * per-layer barriers: the helpers go on draining that queue meanwhile, so the work's time is
   * shared between the threads instead of spent while they wait. It reports its own progress.
   */
  readonly alongside?: () => Promise<unknown>;
}

export interface PathMeasurement {
  readonly alphas: readonly number[];
  /** Along θ(α) = θA + α·(π(θB) − θA), which is (1−α)·θA + α·π(θB) up to rounding. */
  readonly path: PathCurve;
  readonly barrier: Barriers;
  /** Per activation. */
  readonly llfc: readonly LlfcLayer[];
  /** Per layer with weights, the output layer included; empty when not asked, and with REPAIR. */
  readonly layerBarriers: readonly LayerBarrier[];
  /** With REPAIR: per repaired layer. */
  readonly varianceCollapse: readonly VarianceCollapse[] | null;
}

/** One pass over some data, weighed for the progress fraction by the forward passes it runs. */
interface Pass {
  readonly stage: string;
  readonly weight: number;
  /** A per-layer barrier's pass: which part (its index among `networkParts`) and which of its passes. */
  readonly layer?: { readonly unit: number; readonly pass: LayerPass };
}

/**
 * Measures interpolation paths from one network A to any number of B's (one per alignment
 * method) on fixed evaluation data. A's tensors are uploaded once. Each measurement runs the
 * interpolated networks batch by batch, every α of a batch in turn (see `sweep`), so nothing
 * the size of the data stays on the backend. With BatchNorm reset, every network on the path
 * (endpoints included) first gets its statistics recomputed on the fit data; a per-layer barrier
 * recomputes those of the BatchNorms its layer feeds. With REPAIR, the endpoints' statistics at
 * every hidden layer's output are measured first, and each interpolated network gets a REPAIR
 * layer there that restores the interpolated mean and standard deviation.
 */
export class PathEvaluator {
  private disposed = false;
  private readonly batchSize: number;
  private readonly rows: ReturnType<typeof logitRows>;
  private pool: HelperPool | null = null;

  private constructor(
    readonly network: Network,
    private readonly paramsA: Params,
    private readonly tensorsA: NetworkTensors,
    private readonly data: EvaluationData,
    private readonly options: EvaluatorOptions,
  ) {
    this.batchSize = options.batchSize ?? batchSizeFor(network);
    this.rows = logitRows(network);
  }

  static create(network: Network, paramsA: Params, data: EvaluationData, options: EvaluatorOptions): PathEvaluator {
    const size = network.input.reduce((x, y) => x * y, 1);
    checkCount(data.inputs, data.count, size);
    if (options.batchSize !== undefined) checkBatchSize(options.batchSize);
    if (data.count < 1) throw new Error('no evaluation samples');
    if (network.nodes.length < 1) throw new Error('the network has no layers');
    const { perSample, classes } = logitRows(network);
    const rows = data.count * perSample;
    if (data.labels.length < rows) throw new Error(`${data.count} samples of ${perSample} scored row${perSample === 1 ? '' : 's'} each need ${rows} labels, got ${data.labels.length}`);
    const labels = data.labels.subarray(0, rows);
    const outside = labels.findIndex((y) => y !== IGNORED_LABEL && (y < 0 || y >= classes));
    if (outside >= 0) {
      const where = perSample === 1 ? `sample ${outside}` : `sample ${Math.floor(outside / perSample)}, position ${outside % perSample}`;
      throw new Error(`${where} has label ${labels[outside]}, outside the ${classes} outputs`);
    }
    if (labels.every((y) => y === IGNORED_LABEL)) throw new Error('no evaluation position is scored: every label is ignored');
    if (options.fit) checkCount(options.fit.inputs, options.fit.count, size);
    return new PathEvaluator(network, paramsA, uploadNetwork(network, paramsA), { ...data, labels }, options);
  }

  /** Whether BatchNorm statistics are recomputed: asked for, and the network has a BatchNorm. */
  get resetsBatchNorm(): boolean {
    return this.options.bnReset && this.network.nodes.some((n) => n.op === 'batchnorm');
  }

  /** The path from A to `paramsB` (pass π(θB)), its barriers, LLFC and, when asked, per-layer barriers. */
  async measure(paramsB: Params, options: MeasureOptions): Promise<PathMeasurement> {
    if (this.disposed) throw new Error('the path evaluator was disposed');
    const { alphas } = options;
    if (alphas.length < 2 || alphas[0] !== 0 || alphas[alphas.length - 1] !== 1) throw new Error('the α grid must run from 0 to 1');
    const { fit } = this.options;
    if ((this.resetsBatchNorm || options.repair) && (!fit || fit.count < 1)) throw new Error('BatchNorm reset and REPAIR need fit data');
    const repair = options.repair ?? false;
    const withLayers = options.layerBarriers && !repair;
    const units = networkParts(this.network);
    options.signal?.throwIfAborted();

    const plan = this.plan(alphas.length, repair, withLayers ? units : []);
    const total = plan.reduce((s, p) => s + p.weight, 0);
    // Passes may run at once on several threads: each one's share done, summed in plan order.
    const doneOf = new Float64Array(plan.length);
    const report = (index: number, batch: number, batches: number): void => {
      const p = plan[index]!;
      doneOf[index] = (p.weight * batch) / batches;
      options.onProgress?.(`${p.stage}: batch ${batch}/${batches}`, Math.min(1, doneOf.reduce((sum, d) => sum + d, 0) / total));
    };
    const pass = (index: number) => async (batch: number, batches: number): Promise<void> => {
      report(index, batch, batches);
      // A macrotask turn lets an abort message, and the helpers' answers, reach this thread.
      await new Promise((resolve) => setImmediate(resolve));
      options.signal?.throwIfAborted();
      // A helper that died (out of memory, an exit) ends the measurement now, not after this thread's share.
      this.pool?.throwIfFailed();
    };
    let passIndex = 0;
    const next = () => pass(passIndex++);
    const layerPass = (unit: number, which: LayerPass): number => plan.findIndex((p) => p.layer?.unit === unit && p.layer.pass === which);

    // Per-layer barriers are a queue that this thread and the helpers drain: the helpers start at
    // once, this thread once the path is measured.
    const queue = withLayers ? units.map((_, u) => u) : [];
    const layerBarriers: LayerBarrier[] = [];
    const tensorsB = uploadNetwork(this.network, paramsB);
    const owned: tf.Tensor[] = [];
    let helperRuns: Promise<void>[] = [];
    let failed = true;
    try {
      const pool = queue.length > 1 ? this.helpers() : null;
      if (pool) {
        helperRuns = this.helperRuns(pool, paramsB, queue, alphas, layerBarriers, (unit, which, batch, batches) => report(layerPass(unit, which), batch, batches));
        // Their failure is read at this thread's next batch and at the end: never an unhandled rejection meanwhile.
        for (const run of helperRuns) run.catch(() => {});
      }
      const everything = this.network.nodes.map(hasTensors);
      const plain: InterpolationFamily = { network: this.network, a: this.tensorsA, b: tensorsB, interpolated: everything };
      let path: { curve: PathCurve; llfc: LlfcLayer[] };
      let varianceCollapse: VarianceCollapse[] | null = null;
      if (!repair) {
        const stats = this.resetsBatchNorm ? await batchStatistics(plain, fit!, alphas, this.batchModes(), next()) : null;
        path = await this.evaluate(plain, alphas, stats, options.llfcSamples, next());
      } else {
        const { repaired, family, pathModes } = await repairFamily(this.network, this.tensorsA, tensorsB, fit!, this.resetsBatchNorm, owned, next());
        const grid = alphas.includes(0.5) ? alphas : [...alphas, 0.5];
        const stats = await batchStatistics(family, fit!, grid, pathModes, next());
        path = await this.evaluate(family, alphas, stats, options.llfcSamples, next(), repaired.moved);

        // Variance collapse at the midpoint: the plain endpoints and midpoint against the repaired midpoint.
        const ends = [0, 0.5, 1];
        const plainStats = this.resetsBatchNorm ? await batchStatistics(plain, fit!, ends, this.batchModes(), next()) : null;
        const points = repaired.points.map((p) => p.node);
        const plainDeviations = await channelDeviations(plain, fit!, this.batchSize, ends, points, (k) => statsModes(plainStats?.[k]), next());
        const middle = stats[grid.indexOf(0.5)]!;
        const [repairedDeviations] = await channelDeviations(family, fit!, this.batchSize, [0.5], repaired.points.map((p) => p.repair), () => statsModes(middle), next());
        varianceCollapse = repaired.points.map((p, n) => ({
          layer: p.layer,
          before: collapseRatio(plainDeviations[1]![n]!, plainDeviations[0]![n]!, plainDeviations[2]![n]!),
          after: collapseRatio(repairedDeviations![n]!, plainDeviations[0]![n]!, plainDeviations[2]![n]!),
        }));
      }
      await options.alongside?.();
      for (let unit = queue.shift(); unit !== undefined; unit = queue.shift()) {
        layerBarriers[unit] = await this.layerBarrier(tensorsB, unit, alphas, (which) => pass(layerPass(unit, which)));
      }
      await Promise.all(helperRuns);
      failed = false;
      return { alphas: [...alphas], path: path.curve, barrier: barriers(alphas, path.curve), llfc: path.llfc, layerBarriers, varianceCollapse };
    } finally {
      if (failed) {
        // Nothing may outlive a failed or cancelled measurement: the helpers stop mid-pass.
        queue.length = 0;
        this.stopHelpers();
        await Promise.allSettled(helperRuns);
      }
      disposeTensors(tensorsB);
      tf.dispose(owned);
    }
  }

  /**
   * One part's barrier against the B uploaded as `tensorsB` (the unit-th of `networkParts`): only
   * that layer and its BatchNorm (or a transformer's sub-layer, block, embeddings or head) interpolated, the rest A's; the BatchNorms it feeds are reset on
   * the fit data first when BatchNorm is reset. The compute helpers call this too.
   */
  async layerBarrier(
    tensorsB: NetworkTensors,
    unitIndex: number,
    alphas: readonly number[],
    onBatch: (pass: LayerPass) => (batch: number, batches: number) => Promise<void>,
  ): Promise<LayerBarrier> {
    const unit = networkParts(this.network)[unitIndex]!;
    const inPart = new Set(unit.nodes);
    // A tied head and its embedding are one tensor: interpolating either interpolates both.
    const interpolated = withTiedNodes(this.network, this.network.nodes.map((_, i) => inPart.has(i)));
    const family: InterpolationFamily = { network: this.network, a: this.tensorsA, b: tensorsB, interpolated };
    const fed = this.fedBatchNorms(unit);
    const stats = fed.size > 0 ? await batchStatistics(family, this.options.fit!, alphas, fed, onBatch('reset')) : null;
    const { curve } = await this.evaluate(family, alphas, stats, 0, onBatch('evaluate'));
    const barrier = barriers(alphas, curve);
    return { layer: unit.name, loss: barrier.loss, accuracy: barrier.accuracy, path: curve };
  }

  /** The helper threads, started on first use: none when one thread is asked for, or no helper bundle is built. */
  private helpers(): HelperPool | null {
    const threads = Math.max(1, Math.floor(this.options.threads ?? 1));
    if (threads < 2) return null;
    if (this.pool) return this.pool;
    const script = helperScript();
    if (!script) return null;
    const { data } = this;
    const { fit } = this.options;
    const size = this.network.input.reduce((x, y) => x * y, 1);
    this.pool = HelperPool.start(script, threads - 1, {
      type: 'setup',
      backend: this.options.backend ?? 'auto',
      network: this.network,
      paramsA: paramEntries(this.paramsA),
      // Copies of exactly the samples used: a view would send its whole buffer.
      data: { inputs: data.inputs.slice(0, data.count * size), labels: data.labels.slice(0, data.count * this.rows.perSample), count: data.count },
      fit: fit && { inputs: fit.inputs.slice(0, fit.count * size), count: fit.count },
      bnReset: this.options.bnReset,
      batchSize: this.batchSize,
    });
    return this.pool;
  }

  /** Each helper takes layers from the queue until it is empty. */
  private helperRuns(
    pool: HelperPool,
    paramsB: Params,
    queue: number[],
    alphas: readonly number[],
    results: LayerBarrier[],
    onProgress: (unit: number, pass: LayerPass, batch: number, batches: number) => void,
  ): Promise<void>[] {
    const version = pool.setB(paramsB);
    return Array.from({ length: pool.size }, async (_, helper) => {
      for (let unit = queue.shift(); unit !== undefined; unit = queue.shift()) {
        const taken = unit;
        results[taken] = await pool.layerBarrier(helper, version, taken, alphas, (pass, batch, batches) => onProgress(taken, pass, batch, batches));
      }
    });
  }

  private stopHelpers(): void {
    this.pool?.terminate();
    this.pool = null;
  }

  /** Frees A's tensors and stops the helpers; the evaluator cannot measure afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.stopHelpers();
    disposeTensors(this.tensorsA);
  }

  /** The passes `measure` will make, in order, each weighed by its forward passes. */
  private plan(alphaCount: number, repair: boolean, layers: readonly NetworkPart[]): Pass[] {
    const evalBatches = Math.ceil(this.data.count / this.batchSize);
    const fitBatches = Math.ceil((this.options.fit?.count ?? 0) / this.batchSize);
    const reset = this.resetsBatchNorm;
    const passes: Pass[] = [];
    if (!repair) {
      if (reset) passes.push({ stage: 'BatchNorm reset', weight: fitBatches * alphaCount });
      passes.push({ stage: 'path and LLFC', weight: evalBatches * alphaCount });
    } else {
      passes.push({ stage: 'REPAIR: endpoint statistics', weight: fitBatches * 2 });
      passes.push({ stage: 'REPAIR: statistics along the path', weight: fitBatches * (alphaCount + 1) });
      passes.push({ stage: 'path and LLFC (REPAIR)', weight: evalBatches * alphaCount });
      if (reset) passes.push({ stage: 'BatchNorm reset at the midpoint', weight: fitBatches * 3 });
      passes.push({ stage: 'variance collapse', weight: fitBatches * 3 });
      passes.push({ stage: 'variance collapse (REPAIR)', weight: fitBatches });
    }
    for (const [l, unit] of layers.entries()) {
      const stage = `per-layer barriers: ${unit.kind === 'layer' ? 'layer' : 'part'} ${l + 1}/${layers.length} (${unit.name})`;
      if (this.fedBatchNorms(unit).size > 0) passes.push({ stage: `${stage}, BatchNorm reset`, weight: fitBatches * alphaCount, layer: { unit: l, pass: 'reset' } });
      passes.push({ stage, weight: evalBatches * alphaCount, layer: { unit: l, pass: 'evaluate' } });
    }
    return passes;
  }

  /**
   * Samples per batch while LLFC is measured: a batch holds every activation of both endpoints
   * and of the current α at once, so their sum, not the largest map, bounds it, and a deeper
   * network takes smaller batches rather than more memory.
   */
  private llfcBatchSize(points: readonly number[], network: Network): number {
    const shapes = valueShapes(network);
    const perSample = points.reduce((sum, p) => sum + shapes[p]!.reduce((x, y) => x * y, 1), 0);
    return Math.max(1, Math.min(this.batchSize, Math.floor(LLFC_VALUES_PER_BATCH / Math.max(1, perSample))));
  }

  /** Every BatchNorm in batch mode when BatchNorm is reset: those a reset recomputes. */
  private batchModes(): Map<number, 'batch' | 'track'> {
    return resetModes(this.network, this.resetsBatchNorm);
  }

  /** The BatchNorms a per-layer barrier resets: those its layer feeds, its own included. */
  private fedBatchNorms(unit: NetworkPart): Map<number, 'batch' | 'track'> {
    const fed = downstreamOf(this.network, unit.nodes);
    return new Map([...this.batchModes()].filter(([i]) => fed[i]));
  }

  /**
   * Loss and accuracy of every network of the family at every α on the evaluation data and,
   * for the first `llfcSamples` samples (0: none), LLFC at every activation. `moved` maps the
   * plain network's nodes into the family's (REPAIR adds layers), for the LLFC names.
   */
  private async evaluate(
    family: InterpolationFamily,
    alphas: readonly number[],
    stats: StatisticsByAlpha | null,
    llfcSamples: number,
    onBatch: (batch: number, batches: number) => Promise<void>,
    moved?: readonly number[],
  ): Promise<{ curve: PathCurve; llfc: LlfcLayer[] }> {
    const n = alphas.length;
    // The endpoints first: every other α's LLFC mixes their features.
    const order = [0, n - 1, ...alphas.slice(1, -1).map((_, i) => i + 1)];
    const ordered = order.map((k) => alphas[k]!);
    const llfcEnd = Math.min(this.data.count, Math.max(0, Math.floor(llfcSamples)));
    const plainPoints = llfcPoints(this.network);
    const points = plainPoints.map((i) => (moved ? moved[i]! : i));
    const logitsNode = family.network.nodes.length - 1;
    const lossSum = new Float64Array(n);
    const correct = new Float64Array(n);
    const scored = new Float64Array(n);
    const means = alphas.map(() => points.map(() => new CosineMeans()));
    const baselines = points.map(() => new CosineMeans());
    let endpoints: tf.Tensor2D[][] = [];
    const statsByOrder = stats ? order.map((k) => stats[k]!) : null;
    try {
      await sweep(family, this.data, llfcEnd > 0 ? this.llfcBatchSize(points, family.network) : this.batchSize, ordered, {
        modes: (step) => statsModes(statsByOrder?.[step.k]),
        read: points,
        pick: (run, step) => {
          const rows = Math.min(step.end, llfcEnd) - step.start;
          const logits = run.values[logitsNode]!;
          if (rows <= 0) return { logits, features: [], products: [] };
          const features = points.map((p) => {
            const v = run.values[p]!;
            return tf.reshape(rows === v.shape[0] ? v : tf.slice(v, 0, rows), [rows, -1]) as tf.Tensor2D;
          });
          const alpha = step.alpha;
          const products = features.map((f, q) =>
            step.k < 2 ? rowProducts(f, f) : rowProducts(f, lerp(endpoints[0]![q]!, endpoints[1]![q]!, alpha)),
          );
          return { logits, features: step.k < 2 ? features : [], products };
        },
        consume: async (kept, step) => {
          const k = order[step.k]!;
          const batchLogits = (await kept.logits.data()) as Float32Array;
          const { perSample, classes } = this.rows;
          const sums = scoreSums(batchLogits, this.data.labels.subarray(step.start * perSample, step.end * perSample), classes);
          lossSum[k]! += sums.loss;
          correct[k]! += sums.correct;
          scored[k]! += sums.scored;
          for (const [q, products] of kept.products.entries()) await addProducts(means[k]![q]!, products);
          if (step.k < 2 && kept.features.length > 0) {
            endpoints[step.k] = kept.features.map((f) => tf.keep(tf.clone(f)));
            if (step.k === 1) {
              for (const [q, fA] of endpoints[0]!.entries()) {
                const products = rowProducts(fA, endpoints[1]![q]!);
                try {
                  await addProducts(baselines[q]!, products);
                } finally {
                  tf.dispose(products);
                }
              }
            }
          }
        },
        onBatch: async (batch, batches) => {
          tf.dispose(endpoints.flat());
          endpoints = [];
          await onBatch(batch, batches);
        },
      });
    } finally {
      tf.dispose(endpoints.flat());
    }
    // Means over every scored row of every batch, as Hugging Face's loss averages over tokens.
    const curve = { loss: Array.from(lossSum, (s, k) => s / scored[k]!), accuracy: Array.from(correct, (c, k) => c / scored[k]!) };
    const llfc = llfcEnd === 0 ? [] : plainPoints.map((p, q) => ({
      layer: featureName(this.network, p),
      cosine: means.map((m) => m[q]!.cosine),
      scale: means.map((m) => m[q]!.scale),
      baseline: baselines[q]!.cosine,
    }));
    return { curve, llfc };
  }
}

/** The BatchNorm modes that evaluate with the statistics recomputed for one α (none: eval mode). */
function statsModes(stats: ReadonlyMap<number, { mean: Float32Array; variance: Float32Array }> | undefined | null): Map<number, BatchNormMode> {
  const modes = new Map<number, BatchNormMode>();
  if (!stats) return modes;
  for (const [node, s] of stats) modes.set(node, { kind: 'stats', mean: tf.tensor1d(s.mean), variance: tf.tensor1d(s.variance) });
  return modes;
}

async function addProducts(means: CosineMeans, products: readonly tf.Tensor1D[]): Promise<void> {
  const [dot, normF, normG] = await Promise.all(products.map((t) => t.data<'float32'>()));
  means.add(dot!, normF!, normG!);
}
