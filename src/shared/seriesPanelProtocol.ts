/**
 * The typed protocol between the extension host and the Series panel (a webview). The host runs
 * the series and holds every pair's report; the panel draws the series figures and asks for one
 * pair to be shown in the ordinary results panel.
 */
import type { SeriesReport } from './seriesReport';

/** Extension host → Series panel. */
export type HostToSeries =
  | { readonly type: 'running'; readonly title: string; readonly stage: string; readonly fraction: number | null }
  | { readonly type: 'report'; readonly title: string; readonly report: SeriesReport }
  | { readonly type: 'failed'; readonly title: string; readonly message: string }
  /** The user stopped it: the pairs finished so far stay in the result cache, and running it again resumes. */
  | { readonly type: 'cancelled'; readonly title: string };

/** Series panel → extension host. */
export type SeriesToHost =
  | { readonly type: 'ready' }
  /** Show the pair whose `SeriesItem.index` (its place in the manifest) is `index` in the results panel. */
  | { readonly type: 'openPair'; readonly index: number }
  | { readonly type: 'cancel' };
