/** The Series panel's one handle on the host: typed by the series protocol, acquired once (VS Code allows only one). */
import type { MethodName } from '../../src/shared/compareReport';
import { ALL_METHOD_NAMES } from '../../src/shared/compareReport';
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
  const saved = (vscode.getState() ?? {}) as { method?: unknown };
  return { method: ALL_METHOD_NAMES.includes(saved.method as MethodName) ? (saved.method as MethodName) : null };
})();

/** What the panel remembers across hide and show: the method the per-layer figures show. */
export function viewState(): SeriesViewState {
  return current;
}

export function updateViewState(patch: Partial<SeriesViewState>): void {
  current = { ...current, ...patch };
  vscode.setState(current);
}
