/**
 * The typed protocol between the extension host and its background worker. Each job names its
 * parameters and its result once here; requests, results and the worker's handler table are all
 * derived from this map, so adding a job without handling it is a compile error.
 */
import type { CompareReport, MethodName } from './compareReport';
import type { CompareRequest } from './compareRequest';
import type { ComparedPair, ExportRequest, ExportResult } from './exportRequest';
import type { InspectReport } from './inspectReport';
import type { SeriesManifest, SeriesReport } from './seriesReport';
import type { UnitSimilarity } from './unitSimilarity';

export interface WorkerJobs {
  inspect: {
    params: { readonly file: string; readonly statsBudgetBytes: number | null };
    result: InspectReport;
  };
  /**
   * The whole comparison, as resolved by the host (and checked again by the worker), and the
   * threads it measures with (the `mergeLens.threads` setting: 0 is one per core).
   */
  compare: {
    params: { readonly request: CompareRequest; readonly threads: number };
    result: CompareReport;
  };
  /** One group's unit-by-unit similarity, for the permutation heatmap. */
  similarity: {
    params: ComparedPair & {
      readonly method: MethodName;
      readonly layer: string;
      /** The method's permutation of every group, in the report's `matching` order. */
      readonly permutations: readonly (readonly number[])[];
    };
    result: UnitSimilarity;
  };
  export: {
    params: ExportRequest;
    result: ExportResult;
  };
  /**
   * A series of comparisons, each pair looked up in the extension's result cache first and stored
   * there as it finishes: a series cancelled half-way resumes, and a pair compared alone is not run again.
   */
  series: {
    params: {
      /** A manifest file the worker reads, or one the editor made from selected files with the folder its paths resolve against. */
      readonly source: { readonly file: string } | { readonly manifest: SeriesManifest; readonly folder: string };
      readonly threads: number;
      /** The result cache's folder (the one Compare Checkpoints uses). */
      readonly cacheDirectory: string;
    };
    result: SeriesReport;
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
