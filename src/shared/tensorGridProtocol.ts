/** The typed protocol between the extension host and the checkpoint editor's tensor grid (a webview). */
import type { InspectReport } from './inspectReport';

/** Extension host → grid. */
export type HostToGrid =
  | { readonly type: 'reading'; readonly file: string; readonly stage: string }
  | { readonly type: 'inspect'; readonly report: InspectReport }
  | { readonly type: 'failed'; readonly file: string; readonly message: string };

/** Grid → extension host. */
export type GridToHost =
  | { readonly type: 'ready' }
  /** Lift the statistics budget: read every tensor (`inspect --stats all`). */
  | { readonly type: 'computeAllStatistics' };
