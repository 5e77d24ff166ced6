import { ResultCache } from '../cache/resultCache';
import { resultCacheForSeries } from '../cache/seriesCache';
import { readSeriesManifest, resolveSeries } from '../engine/series/readManifest';
import { runSeries } from '../engine/series/runSeries';
import type { JobParams, JobResult, ReportProgress } from '../shared/workerProtocol';
import { sha256Of } from './fingerprints';

/**
 * A series in the worker, every pair through the extension's own result cache (the directory and
 * the key scheme Compare Checkpoints uses): a pair compared before, alone or in a series stopped
 * half-way, is read back instead of run again. The worker hashes files itself: it is the worker.
 */
export async function seriesJob({ source, threads, cacheDirectory }: JobParams<'series'>, progress: ReportProgress): Promise<JobResult<'series'>> {
  progress('reading the series', 0);
  const series = 'file' in source ? await readSeriesManifest(source.file) : resolveSeries(source.manifest, { file: null, folder: source.folder });
  const cache = new ResultCache({ directory: cacheDirectory, hashFiles: (files) => sha256Of(files) });
  return runSeries(series, { threads, onProgress: progress, cache: resultCacheForSeries(cache) });
}
