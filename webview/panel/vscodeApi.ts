/** The one handle on the host: typed by the panel protocol, acquired once (VS Code allows only one). */
import type { PanelToHost, PanelViewState } from '../../src/shared/panelProtocol';

interface VsCodeApi {
  postMessage(message: PanelToHost): void;
  getState(): unknown;
  setState(state: PanelViewState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

export const vscode = acquireVsCodeApi();
