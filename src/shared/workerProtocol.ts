/**
 * The typed protocol between the extension host and its background worker. Each job names its
 * parameters and its result once here; requests, results and the worker's handler table are all
 * derived from this map, so adding a job without handling it is a compile error.
 */
import type { BackendName } from '../engine/backend/tfBackend';
import type { Activation } from '../engine/model/mlp';
import type { CompareReport, MethodName } from './compareReport';
import type { InspectReport } from './inspectReport';
import type { UnitSimilarity } from './unitSimilarity';

/** How to compare, besides the files: with the files' contents, the result cache key. */
export interface CompareSettings {
  readonly methods: readonly MethodName[];
  /** Points on the α grid, 0 and 1 included. */
  readonly alphas: number;
  readonly backend: BackendName | 'auto';
  readonly seed: number;
  /** Most samples of the fit data (and of LLFC's evaluation data) used. */
  readonly maxSamples: number;
  /** Weight matching's seeded starts, the best kept (default 1). */
  readonly restarts?: number;
  /** Recompute BatchNorm statistics along the path (default true). */
  readonly bnReset?: boolean;
  /** Measure per-layer barriers (default true). */
  readonly layerBarriers?: boolean;
  /** Per-channel input normalisation (default none). */
  readonly normalization?: { readonly mean: readonly number[]; readonly std: readonly number[] } | null;
}

/** The fit data of a comparison, as it used it: the file's first `samples`, normalised. */
export interface MergeData {
  readonly fitData: string;
  readonly samples: number;
  readonly normalization: { readonly mean: readonly number[]; readonly std: readonly number[] } | null;
  /** Whether BatchNorm statistics were recomputed along the path. */
  readonly bnReset: boolean;
  readonly backend: BackendName | 'auto';
}

/** The two checkpoints and the model reading shared by every job on a pair. */
export interface PairParams {
  readonly a: string;
  readonly b: string;
  /** The hidden nonlinearity, which checkpoints do not store. */
  readonly activation: Activation;
  /** One sample's shape, for networks whose layout depends on it (a VGG flattening its feature maps): the report's `architecture.inputShape`. */
  readonly inputShape?: readonly number[];
}

export interface WorkerJobs {
  inspect: {
    params: { readonly file: string; readonly statsBudgetBytes: number | null };
    result: InspectReport;
  };
  /** The whole comparison. `data: null` is "weights only": the analyses that need no data. */
  compare: {
    params: PairParams & { readonly data: string | null; readonly fitData: string | null; readonly settings: CompareSettings };
    result: CompareReport;
  };
  /** One group's unit-by-unit similarity, for the permutation heatmap. */
  similarity: {
    params: PairParams & {
      readonly method: MethodName;
      readonly layer: string;
      /** The method's permutation of every group, in the report's `matching` order. */
      readonly permutations: readonly (readonly number[])[];
    };
    result: UnitSimilarity;
  };
  /** π(B) (alpha null) or the merged model at alpha, as safetensors with B's names. */
  export: {
    params: PairParams & {
      readonly method: MethodName;
      readonly permutations: readonly (readonly number[])[];
      readonly alpha: number | null;
      /**
       * For a merged export: the fit data as the comparison used it, so that the merged model gets
       * the BatchNorm statistics and the REPAIR correction that its measurement at α had. Null:
       * the weights and running statistics interpolated only (a weights-only comparison).
       */
      readonly measuredOn: MergeData | null;
      readonly out: string;
      /** Refuse (an input error) when `out` exists, unless true. */
      readonly overwrite: boolean;
    };
    result: { readonly file: string; readonly tensors: number; readonly bytes: number };
  };
  /** SHA-256 of each file's contents, for the result cache's keys. */
  fingerprint: {
    params: { readonly files: readonly string[] };
    result: { readonly sha256: readonly string[] };
  };
}

export type JobName = keyof WorkerJobs;
export type JobParams<K extends JobName> = WorkerJobs[K]['params'];
export type JobResult<K extends JobName> = WorkerJobs[K]['result'];

/** Extension → worker: one job per worker; cancelling a job terminates its worker. */
export type WorkerRequest = { [K in JobName]: { readonly type: 'run'; readonly job: K; readonly params: JobParams<K> } }[JobName];

/** Worker → extension. */
export type WorkerMessage =
  | { readonly type: 'progress'; readonly stage: string; readonly fraction?: number }
  | { readonly type: 'result'; readonly result: JobResult<JobName> }
  | {
      readonly type: 'error';
      /** 'input' errors are the user's file (show the message as it is); 'internal' ones are bugs. */
      readonly kind: 'input' | 'internal';
      readonly message: string;
      readonly stack?: string;
    };

/** How the worker reports progress while a job runs. */
export type ReportProgress = (stage: string, fraction?: number) => void;

/** The worker's table of job implementations: one entry per job, checked by the compiler. */
export type JobHandlers = { [K in JobName]: (params: JobParams<K>, progress: ReportProgress) => Promise<JobResult<K>> };
