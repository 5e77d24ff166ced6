import * as vscode from 'vscode';
import type { HostToSeries, SeriesToHost } from '../shared/seriesPanelProtocol';
import { PagePanel, webviewPanelOptions } from './pagePanel';
import { SERIES_VIEW_TYPE } from './viewTypes';

/** The Series panel: one series' figures and pairs, in the `series` bundle. Every host message sets its page's state. */
export class SeriesPanel extends PagePanel<HostToSeries, SeriesToHost> {
  static create(extensionUri: vscode.Uri, onMessage: (message: SeriesToHost) => void): SeriesPanel {
    const panel = vscode.window.createWebviewPanel(
      SERIES_VIEW_TYPE,
      'Merge Lens Series',
      { viewColumn: vscode.ViewColumn.Active, preserveFocus: false },
      webviewPanelOptions(extensionUri),
    );
    return new SeriesPanel(panel, extensionUri, onMessage);
  }

  constructor(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, onMessage: (message: SeriesToHost) => void) {
    super(panel, extensionUri, 'series', (message) => message.title, onMessage);
  }
}
