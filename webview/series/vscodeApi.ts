/** The Series panel's one handle on the host: typed by the series protocol, acquired once (VS Code allows only one). */
import type { SeriesToHost } from '../../src/shared/seriesPanelProtocol';
import type { SeriesViewState } from './seriesView';

interface VsCodeApi {
  postMessage(message: SeriesToHost): void;
  getState(): unknown;
  setState(state: SeriesViewState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();

export function post(message: SeriesToHost): void {
  vscode.postMessage(message);
}

/** Checked field by field: an older panel may have saved another shape. */
let current: SeriesViewState = (() => {
  const saved = (vscode.getState() ?? {}) as { layer?: unknown };
  return { layer: typeof saved.layer === 'string' ? saved.layer : null };
})();

/** What the panel remembers across hide and show: the layer the per-layer figures show. */
export function viewState(): SeriesViewState {
  return current;
}

export function updateViewState(patch: Partial<SeriesViewState>): void {
  current = { ...current, ...patch };
  vscode.setState(current);
}
