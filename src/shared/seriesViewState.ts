/**
 * What the Series panel remembers (vscode.setState) across hide and show and across a window
 * reload, where the host's serializer reads it to show the same series again.
 */
import type { SeriesSource } from './seriesPanelProtocol';
import type { SeriesManifest } from './seriesReport';

/** The series on show, as the host ran it: running its source again reads every pair back from the result cache. */
export interface ShownSeries {
  readonly title: string;
  readonly source: SeriesSource;
}

export interface SeriesViewState {
  /** The permutation group the per-layer figures show (the first when null or not in the report). */
  readonly layer: string | null;
  /** Null while the panel shows anything but a series' report (running, failed, cancelled). */
  readonly shown: ShownSeries | null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isPath = (value: unknown): value is string => typeof value === 'string' && value !== '';

/**
 * The source's outer shape only: an in-memory manifest's own fields are checked by the worker as
 * every manifest is (resolveSeries), whose message names the entry at fault.
 */
function parseSource(raw: unknown): SeriesSource | null {
  if (!isObject(raw)) return null;
  if ('file' in raw) return isPath(raw.file) ? { file: raw.file } : null;
  return isObject(raw.manifest) && isPath(raw.folder) ? { manifest: raw.manifest as unknown as SeriesManifest, folder: raw.folder } : null;
}

/** Whatever getState returns is checked field by field: an older panel may have saved another shape. */
export function parseSeriesViewState(saved: unknown): SeriesViewState {
  const s = isObject(saved) ? saved : {};
  const shown = isObject(s.shown) ? s.shown : {};
  const source = parseSource(shown.source);
  return {
    layer: typeof s.layer === 'string' ? s.layer : null,
    shown: typeof shown.title === 'string' && shown.title !== '' && source ? { title: shown.title, source } : null,
  };
}
