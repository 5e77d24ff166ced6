/**
 * The typed protocol between the extension host and the Series panel (a webview). The host runs
 * the series and holds every pair's report; the panel draws the series figures and asks for one
 * pair to be shown in the ordinary results panel.
 */
import type { SeriesReport } from './seriesReport';
import type { JobParams } from './workerProtocol';

/** What a series run reads: a manifest file, or a manifest made from selected files with the folder its paths resolve against. */
export type SeriesSource = JobParams<'series'>['source'];

/** Extension host → Series panel. */
export type HostToSeries =
  | { readonly type: 'running'; readonly title: string; readonly stage: string; readonly fraction: number | null }
  /** `source` is what the host ran: the page keeps it (not the report, which can be megabytes) so that a panel restored with the window runs it again. */
  | { readonly type: 'report'; readonly title: string; readonly source: SeriesSource; readonly report: SeriesReport }
  | { readonly type: 'failed'; readonly title: string; readonly message: string }
  /** The user stopped it: the pairs finished so far stay in the result cache, and running it again resumes. */
  | { readonly type: 'cancelled'; readonly title: string };

/** Series panel → extension host. */
export type SeriesToHost =
  | { readonly type: 'ready' }
  /** Show the pair whose `SeriesItem.index` (its place in the manifest) is `index` in the results panel. */
  | { readonly type: 'openPair'; readonly index: number }
  | { readonly type: 'cancel' };
