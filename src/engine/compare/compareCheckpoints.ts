import { basename } from 'node:path';
import { activationMatching } from '../alignment/activationMatching';
import type { AlignmentResult } from '../alignment/alignmentResult';
import { covarianceMatching } from '../alignment/covarianceMatching';
import { naiveAlignment } from '../alignment/naive';
import { weightMatching } from '../alignment/weightMatching';
import { initBackend, type BackendName } from '../backend/tfBackend';
import { forwardMlp } from '../model/forward';
import { applyPermutation } from '../model/applyPermutation';
import type { Activation, MlpArchitecture } from '../model/mlp';
import { mlpChannelSpaces } from '../model/mlpSpaces';
import type { Params } from '../model/params';
import { derivePermutationSpec, type PermutationSpec } from '../model/permutationSpec';
import { dimS } from '../metrics/dimS';
import { checkEquivalence, gaussianInputs } from '../metrics/equivalence';
import { alphaGrid } from '../metrics/interpolation';
import { matchingCosts, type GroupFeatures } from '../metrics/matchingCosts';
import { PathEvaluator } from '../metrics/pathEvaluator';
import type { Dataset } from '../datasets/dataset';
import { InputError } from '../io/inputError';
import { WEIGHTS_ONLY_METHODS, type CompareReport, type MethodName, type MethodResult } from '../../shared/compareReport';
import { loadCheckpointPair, type CheckpointPair } from './loadPair';
import { loadData, summariseDataset } from './loadData';

export interface CompareOptions {
  readonly a: string;
  readonly b: string;
  /**
   * Evaluation data: loss, accuracy, LLFC, and by default the fit data. Absent or null: weights
   * only, where only the methods that need no data run and nothing is measured along the path.
   */
  readonly data?: string | null;
  /** Data the data-driven methods fit on (activation, covariance, correlations); default `data`. */
  readonly fitData?: string | null;
  readonly methods: readonly MethodName[];
  /** Points on the α grid, 0 and 1 included. */
  readonly alphas: number;
  readonly activation: Activation;
  readonly backend: BackendName | 'auto';
  /** Seeds weight matching's group order. */
  readonly seed: number;
  /** Most fit samples the data-driven methods use (default 2000). */
  readonly fitSamples?: number;
  /** Most evaluation samples LLFC averages over (default 2000). */
  readonly llfcSamples?: number;
  /** Stages in words ("weight matching: sweep 3", "weight path and LLFC: α 12/25"), fractions rising from 0 to 1 over the whole call. */
  readonly onProgress?: (stage: string, fraction: number) => void;
  readonly signal?: AbortSignal;
}

export interface Comparison {
  readonly report: CompareReport;
  readonly pair: CheckpointPair;
  /** π(θB) per method, under A's tensor names: what the exports write. */
  readonly aligned: ReadonlyMap<MethodName, Params>;
}

/** Samples the equivalence check compares π(B) and B on. */
const EQUIVALENCE_SAMPLES = 256;
/** Fixed, so a weights-only report is reproducible; any inputs that reach the units would do. */
const EQUIVALENCE_SEED = 0x5eed;

/** Where the per-method work sits in the whole call's progress; loading before, Dim(S) after. */
const METHODS_START = 0.05;
const METHODS_END = 0.95;

const STAGE: Readonly<Record<MethodName, string>> = {
  naive: 'naive (no alignment)',
  weight: 'weight matching',
  activation: 'activation matching',
  covariance: 'covariance matching',
};

interface Samples {
  readonly inputs: Float32Array;
  readonly count: number;
}

function firstSamples(dataset: Dataset, limit: number): Samples & { labels: Int32Array } {
  const count = Math.min(limit, dataset.count);
  const size = dataset.inputs.length / dataset.count;
  return { inputs: dataset.inputs.subarray(0, count * size), labels: dataset.labels.subarray(0, count), count };
}

/** Refuses, before any file is read, methods that fit on data when no data is given. */
function checkMethodsHaveData(methods: readonly MethodName[], data: string | null, fitData: string | null): void {
  if (data !== null) return;
  if (fitData !== null) {
    throw new InputError(`fit data (${basename(fitData)}) was given without evaluation data; give the evaluation data too, or neither for a weights-only comparison`);
  }
  const needing = methods.filter((m) => !WEIGHTS_ONLY_METHODS.includes(m));
  if (needing.length > 0) {
    throw new InputError(
      `${needing.join(' and ')} matching ${needing.length > 1 ? 'fit' : 'fits'} on data, and none was given: choose evaluation (or fit) data, or compare weights only with ${WEIGHTS_ONLY_METHODS.join(' and ')}`,
    );
  }
}

async function align(
  method: MethodName,
  pair: CheckpointPair,
  spec: PermutationSpec,
  fit: Samples | null,
  seed: number,
  onSweep: (sweep: number) => void,
): Promise<AlignmentResult> {
  const { architecture } = pair.a;
  const fitted = (): Samples => {
    if (!fit) throw new Error(`${method} matching reached without fit data`);
    return fit;
  };
  switch (method) {
    case 'naive':
      return naiveAlignment(spec);
    case 'weight':
      return weightMatching(pair.a.params, pair.b.params, spec, { seed, onSweep });
    case 'activation':
      return activationMatching(architecture, pair.a.params, pair.b.params, spec, fitted().inputs, fitted().count);
    case 'covariance':
      return covarianceMatching(architecture, pair.a.params, pair.b.params, spec, fitted().inputs, fitted().count);
  }
}

/** Post-activation features of A and of the original B per hidden layer, for matched-unit correlations. */
async function hiddenFeatures(architecture: MlpArchitecture, pair: CheckpointPair, fit: Samples): Promise<GroupFeatures> {
  const a = await forwardMlp(architecture, pair.a.params, fit.inputs, fit.count, { features: true });
  const b = await forwardMlp(architecture, pair.b.params, fit.inputs, fit.count, { features: true });
  return { count: fit.count, a: a.features, b: b.features };
}

/**
 * The whole comparison: read and check both checkpoints and the data, align B to A by every
 * method asked for, check each alignment preserves B's function, and measure the linear path,
 * per-layer barriers, LLFC, matching quality and Dim(S). Without data (weights only), the path
 * measurements are null or empty and the equivalence check runs on seeded random inputs.
 */
export async function compareCheckpoints(options: CompareOptions): Promise<Comparison> {
  const progress = options.onProgress ?? (() => {});
  const dataFile = options.data ?? null;
  checkMethodsHaveData(options.methods, dataFile, options.fitData ?? null);
  const backend = await initBackend(options.backend);
  progress('reading checkpoints', 0);
  const pair = await loadCheckpointPair(options.a, options.b, options.activation);
  const { architecture } = pair.a;
  let data: { readonly evaluation: Dataset; readonly fit: Dataset } | null = null;
  if (dataFile !== null) {
    progress('reading data', 0.02);
    data = await loadData(dataFile, options.fitData ?? undefined, architecture);
  }
  const fit = data && firstSamples(data.fit, options.fitSamples ?? 2000);
  const spec = derivePermutationSpec(mlpChannelSpaces(architecture));
  const alphas = alphaGrid(options.alphas);
  const warnings: string[] = [];

  let features: GroupFeatures | undefined;
  if (fit) {
    progress('features for matched-unit correlations', 0.04);
    features = await hiddenFeatures(architecture, pair, fit);
  }
  const probe = data
    ? firstSamples(data.evaluation, EQUIVALENCE_SAMPLES)
    : { inputs: gaussianInputs(EQUIVALENCE_SAMPLES * architecture.inputSize, EQUIVALENCE_SEED), count: EQUIVALENCE_SAMPLES };
  const evaluator = data && PathEvaluator.create(architecture, pair.a.params, data.evaluation);
  const methods: Partial<Record<MethodName, MethodResult>> = {};
  const aligned = new Map<MethodName, Params>();
  try {
    for (const [index, method] of options.methods.entries()) {
      options.signal?.throwIfAborted();
      const share = (fraction: number) => METHODS_START + ((METHODS_END - METHODS_START) * (index + fraction)) / options.methods.length;
      // Alignment time is unknown ahead (sweeps until nothing improves): its share is held at its start.
      progress(STAGE[method], share(0));
      const started = performance.now();
      const result = await align(method, pair, spec, fit, options.seed, (sweep) => progress(`${STAGE[method]}: sweep ${sweep}`, share(0)));
      const seconds = (performance.now() - started) / 1000;
      const permutedB = applyPermutation(pair.b.params, spec, result.perms);
      progress(`${method}: equivalence check`, share(evaluator ? 0.1 : 0.5));
      const equivalence = await checkEquivalence(architecture, pair.b.params, permutedB, probe.inputs, probe.count);
      if (!equivalence.equivalent) {
        warnings.push(
          `${method}: INVALID — the permuted B does not reproduce B's outputs (relative difference ${equivalence.error.toExponential(2)}); its measurements are not of B`,
        );
      }
      const measured = evaluator
        ? await evaluator.measure(permutedB, {
            alphas,
            llfcSamples: options.llfcSamples ?? 2000,
            onProgress: (stage, fraction) => progress(`${method} ${stage}`, share(0.1 + 0.85 * fraction)),
            ...(options.signal ? { signal: options.signal } : {}),
          })
        : null;
      progress(`${method}: matching costs`, share(0.95));
      methods[method] = {
        method,
        path: measured?.path ?? null,
        barrier: measured?.barrier ?? null,
        layerBarriers: measured?.layerBarriers ?? [],
        llfc: measured?.llfc ?? [],
        matching: matchingCosts(pair.a.params, pair.b.params, spec, result.perms, features),
        equivalent: equivalence.equivalent,
        equivalenceError: equivalence.error,
        seconds,
        details: result.details,
      };
      aligned.set(method, permutedB);
    }
  } finally {
    evaluator?.dispose();
  }
  progress('Dim(S)', METHODS_END);
  const dimensions = await dimS(pair.a.params, pair.b.params, architecture.layers);
  const report: CompareReport = {
    version: 1,
    createdAt: new Date().toISOString(),
    tool: 'merge-lens 0.1.0',
    checkpoints: pair.summaries,
    data: data && fit && { evaluation: summariseDataset(data.evaluation), fit: { ...summariseDataset(data.fit), count: fit.count } },
    equivalenceInputs: data ? 'evaluation' : 'random',
    architecture: { kind: 'mlp', activation: architecture.activation, inputSize: architecture.inputSize, outputSize: architecture.outputSize },
    layers: architecture.layers.map((layer, l) => ({ name: layer.name, width: layer.outFeatures, permuted: l < architecture.layers.length - 1 })),
    alphas,
    backend: backend.name,
    backendDetail: backend.detail,
    methods,
    dimS: dimensions,
    warnings,
  };
  progress('done', 1);
  return { report, pair, aligned };
}
