/**
 * Runs a series: each pair's comparison in the manifest's order, one at a time (each already
 * spreads over the cores), every finished report put in the cache before the next pair starts, so
 * a series stopped half-way resumes where it stopped. Used by `merge-lens series` and the editor.
 */
import { compareCheckpoints, type CompareRun } from '../compare/compareCheckpoints';
import { resolveCompareRequest } from '../compare/resolveRequest';
import { InputError } from '../io/inputError';
import type { CompareReport } from '../../shared/compareReport';
import type { CompareRequest } from '../../shared/compareRequest';
import type { SeriesItem, SeriesReport } from '../../shared/seriesReport';
import { checkArchitectureFamily } from './architectureFamily';
import type { ResolvedSeries } from './readManifest';
import { seriesReport } from './seriesFigures';

/** Where finished comparisons are kept between runs (src/cache/seriesCache.ts adapts the result cache). */
export interface SeriesCache {
  get(request: CompareRequest): Promise<CompareReport | undefined>;
  put(request: CompareRequest, report: CompareReport): Promise<void>;
}

export interface SeriesRun extends CompareRun {
  readonly cache?: SeriesCache;
  /** The pairs to run, by index (`--item K`); absent: every pair. The report then holds these alone. */
  readonly items?: readonly number[];
  /** Each pair as it finishes, computed or taken from the cache. */
  readonly onItem?: (item: SeriesItem, cached: boolean) => void;
}

/**
 * A cached report is the same comparison (the cache keys on the files' contents), perhaps of files
 * that were elsewhere then: it is named as this series names its files.
 */
function asRequested(report: CompareReport, request: CompareRequest): CompareReport {
  const { data } = report;
  return {
    ...report,
    request,
    checkpoints: { a: { ...report.checkpoints.a, file: request.a }, b: { ...report.checkpoints.b, file: request.b } },
    data: data && request.data !== null && request.fitData !== null
      ? { evaluation: { ...data.evaluation, file: request.data }, fit: { ...data.fit, file: request.fitData } }
      : data,
  };
}

/** The indices asked for, checked against the series. */
function selected(series: ResolvedSeries, items: readonly number[] | undefined): number[] {
  const count = series.pairs.length;
  if (items === undefined) return series.pairs.map((p) => p.index);
  for (const k of items) {
    if (!Number.isInteger(k) || k < 0 || k >= count) throw new InputError(`item ${k} is not in the series: it has ${count} pair${count === 1 ? '' : 's'}, items 0 to ${count - 1}`);
  }
  return [...new Set(items)];
}

/** "width 64 (3/8)": the item as progress names it. */
function itemLabel(series: ResolvedSeries, value: number | string, position: number, total: number): string {
  return `${series.variable} ${value} (${position + 1}/${total})`;
}

export async function runSeries(series: ResolvedSeries, run: SeriesRun = {}): Promise<SeriesReport> {
  const indices = selected(series, run.items);
  const progress = run.onProgress ?? (() => {});
  const requests = series.pairs.map((pair) => resolveCompareRequest(pair.choices));
  progress('checking the architectures', 0);
  await checkArchitectureFamily(
    series.pairs.flatMap((pair, k) => [
      { entry: `pairs[${pair.index}].a`, file: requests[k]!.a, request: requests[k]! },
      { entry: `pairs[${pair.index}].b`, file: requests[k]!.b, request: requests[k]! },
    ]),
    series.manifest,
    run.signal,
  );
  const items: SeriesItem[] = [];
  for (const [position, index] of indices.entries()) {
    run.signal?.throwIfAborted();
    const k = series.pairs.findIndex((p) => p.index === index);
    const pair = series.pairs[k]!;
    const request = requests[k]!;
    const label = itemLabel(series, pair.value, position, indices.length);
    const share = (fraction: number) => (position + fraction) / indices.length;
    progress(`${label}: checking the cache`, share(0));
    const cached = await run.cache?.get(request);
    let report: CompareReport;
    if (cached) {
      report = asRequested(cached, request);
      progress(`${label}: from the cache`, share(1));
    } else {
      ({ report } = await compareCheckpoints(request, {
        ...(run.threads === undefined ? {} : { threads: run.threads }),
        ...(run.signal ? { signal: run.signal } : {}),
        onProgress: (stage, fraction) => progress(`${label}: ${stage}`, share(fraction)),
      }));
      await run.cache?.put(request, report);
    }
    const item: SeriesItem = { index: pair.index, value: pair.value, report };
    items.push(item);
    run.onItem?.(item, cached !== undefined);
  }
  progress('done', 1);
  return seriesReport(series, items);
}
