import * as vscode from 'vscode';
import type { HostToPanel, PanelToHost, PanelViewState } from '../shared/panelProtocol';
import { PagePanel, webviewPanelOptions } from './pagePanel';
import { RESULTS_VIEW_TYPE } from './viewTypes';

/** The messages that set the page's state, by their title; the rest (similarities, focus) are not replayed. */
function stateTitle(message: HostToPanel): string | undefined {
  return message.type === 'running' || message.type === 'report' || message.type === 'failed' || message.type === 'cancelled' ? message.title : undefined;
}

/** The results panel: one comparison's report, in the `panel` bundle. */
export class ResultsPanel extends PagePanel<HostToPanel, PanelToHost> {
  static create(extensionUri: vscode.Uri, onMessage: (message: PanelToHost) => void): ResultsPanel {
    const panel = vscode.window.createWebviewPanel(
      RESULTS_VIEW_TYPE,
      'Merge Lens',
      { viewColumn: vscode.ViewColumn.Active, preserveFocus: false },
      webviewPanelOptions(extensionUri),
    );
    return new ResultsPanel(panel, extensionUri, onMessage);
  }

  constructor(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, onMessage: (message: PanelToHost) => void) {
    super(panel, extensionUri, 'panel', stateTitle, onMessage);
  }
}

/** Whether a restored panel's saved state names a cached comparison. */
export function restoredCacheKey(state: unknown): string | null {
  const key = (state as Partial<PanelViewState> | undefined)?.cacheKey;
  return typeof key === 'string' && /^[0-9a-f]{64}$/.test(key) ? key : null;
}
