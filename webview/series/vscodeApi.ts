/** The Series panel's one handle on the host: typed by the series protocol, acquired once (VS Code allows only one). */
import type { SeriesToHost } from '../../src/shared/seriesPanelProtocol';
import { parseSeriesViewState, type SeriesViewState } from '../../src/shared/seriesViewState';

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

let current = parseSeriesViewState(vscode.getState());

/** What the panel remembers across hide and show, and across a window reload (the host's serializer reads it). */
export function viewState(): SeriesViewState {
  return current;
}

export function updateViewState(patch: Partial<SeriesViewState>): void {
  current = { ...current, ...patch };
  vscode.setState(current);
}
