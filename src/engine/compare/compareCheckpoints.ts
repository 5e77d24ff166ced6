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
import { checkEquivalence } from '../metrics/equivalence';
import { alphaGrid } from '../metrics/interpolation';
import { matchingCosts, type GroupFeatures } from '../metrics/matchingCosts';
import { PathEvaluator } from '../metrics/pathEvaluator';
import type { Dataset } from '../datasets/dataset';
import type { CompareReport, MethodName, MethodResult } from '../../shared/compareReport';
import { loadCheckpointPair, type CheckpointPair } from './loadPair';
import { loadData, summariseDataset } from './loadData';

export interface CompareOptions {
  readonly a: string;
  readonly b: string;
  /** Evaluation data: loss, accuracy, LLFC. */
  readonly data: string;
  /** Data the data-driven methods fit on (activation, covariance, correlations); default `data`. */
  readonly fitData?: string;
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
  readonly onProgress?: (stage: string, fraction?: number) => void;
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

function firstSamples(dataset: Dataset, limit: number): { inputs: Float32Array; labels: Int32Array; count: number } {
  const count = Math.min(limit, dataset.count);
  const size = dataset.inputs.length / dataset.count;
  return { inputs: dataset.inputs.subarray(0, count * size), labels: dataset.labels.subarray(0, count), count };
}

async function align(
  method: MethodName,
  pair: CheckpointPair,
  spec: PermutationSpec,
  fit: { inputs: Float32Array; count: number },
  seed: number,
): Promise<AlignmentResult> {
  const { architecture } = pair.a;
  switch (method) {
    case 'naive':
      return naiveAlignment(spec);
    case 'weight':
      return weightMatching(pair.a.params, pair.b.params, spec, { seed });
    case 'activation':
      return activationMatching(architecture, pair.a.params, pair.b.params, spec, fit.inputs, fit.count);
    case 'covariance':
      return covarianceMatching(architecture, pair.a.params, pair.b.params, spec, fit.inputs, fit.count);
  }
}

/** Post-activation features of A and of the original B per hidden layer, for matched-unit correlations. */
async function hiddenFeatures(architecture: MlpArchitecture, pair: CheckpointPair, fit: { inputs: Float32Array; count: number }): Promise<GroupFeatures> {
  const a = await forwardMlp(architecture, pair.a.params, fit.inputs, fit.count, { features: true });
  const b = await forwardMlp(architecture, pair.b.params, fit.inputs, fit.count, { features: true });
  return { count: fit.count, a: a.features, b: b.features };
}

/**
 * The whole comparison: read and check both checkpoints and the data, align B to A by every
 * method asked for, check each alignment preserves B's function, and measure the linear path,
 * per-layer barriers, LLFC, matching quality and Dim(S).
 */
export async function compareCheckpoints(options: CompareOptions): Promise<Comparison> {
  const progress = options.onProgress ?? (() => {});
  const backend = await initBackend(options.backend);
  progress('reading checkpoints');
  const pair = await loadCheckpointPair(options.a, options.b, options.activation);
  const { architecture } = pair.a;
  progress('reading data');
  const { evaluation, fit: fitData } = await loadData(options.data, options.fitData, architecture);
  const fit = firstSamples(fitData, options.fitSamples ?? 2000);
  const spec = derivePermutationSpec(mlpChannelSpaces(architecture));
  const alphas = alphaGrid(options.alphas);
  const warnings: string[] = [];

  progress('features for matched-unit correlations');
  const features = await hiddenFeatures(architecture, pair, fit);
  const probe = firstSamples(evaluation, EQUIVALENCE_SAMPLES);
  const evaluator = PathEvaluator.create(architecture, pair.a.params, evaluation);
  const methods: Partial<Record<MethodName, MethodResult>> = {};
  const aligned = new Map<MethodName, Params>();
  try {
    for (const [index, method] of options.methods.entries()) {
      options.signal?.throwIfAborted();
      const share = (fraction: number) => (index + fraction) / options.methods.length;
      progress(`${method} matching`, share(0));
      const started = performance.now();
      const result = await align(method, pair, spec, fit, options.seed);
      const seconds = (performance.now() - started) / 1000;
      const permutedB = applyPermutation(pair.b.params, spec, result.perms);
      const equivalence = await checkEquivalence(architecture, pair.b.params, permutedB, probe.inputs, probe.count);
      if (!equivalence.equivalent) {
        warnings.push(
          `${method}: INVALID — the permuted B does not reproduce B's outputs (relative difference ${equivalence.error.toExponential(2)}); its measurements are not of B`,
        );
      }
      const measured = await evaluator.measure(permutedB, {
        alphas,
        llfcSamples: options.llfcSamples ?? 2000,
        onProgress: (stage, fraction) => progress(`${method} ${stage}`, share(0.1 + 0.9 * fraction)),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      methods[method] = {
        method,
        path: measured.path,
        barrier: measured.barrier,
        layerBarriers: measured.layerBarriers,
        llfc: measured.llfc,
        matching: matchingCosts(pair.a.params, pair.b.params, spec, result.perms, features),
        equivalent: equivalence.equivalent,
        equivalenceError: equivalence.error,
        seconds,
        details: result.details,
      };
      aligned.set(method, permutedB);
    }
  } finally {
    evaluator.dispose();
  }
  progress('Dim(S)');
  const dimensions = await dimS(pair.a.params, pair.b.params, architecture.layers);
  const report: CompareReport = {
    version: 1,
    createdAt: new Date().toISOString(),
    tool: 'merge-lens 0.1.0',
    checkpoints: pair.summaries,
    data: { evaluation: summariseDataset(evaluation), fit: { ...summariseDataset(fitData), count: fit.count } },
    architecture: { kind: 'mlp', activation: architecture.activation, inputSize: architecture.inputSize, outputSize: architecture.outputSize },
    layers: architecture.layers.map((layer, l) => ({ name: layer.name, width: layer.outFeatures, permuted: l < architecture.layers.length - 1 })),
    alphas,
    backend: backend.name,
    backendDetail: backend.detail,
    methods,
    dimS: dimensions,
    warnings,
  };
  return { report, pair, aligned };
}
