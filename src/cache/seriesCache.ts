import type { SeriesCache } from '../engine/series/runSeries';
import type { ResultCache } from './resultCache';

/** The result cache as a series keeps its finished pairs: by each comparison's request, files by their contents. */
export function resultCacheForSeries(cache: ResultCache, signal?: AbortSignal): SeriesCache {
  return {
    get: async (request) => cache.get(await cache.keyFor(request, signal)),
    put: async (request, report) => cache.put(await cache.keyFor(request, signal), report),
  };
}
