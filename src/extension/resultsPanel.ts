import * as vscode from 'vscode';
import type { HostToPanel, PanelToHost, PanelViewState } from '../shared/panelProtocol';
import { makeNonce, webviewHtml } from './webviewHtml';

export const RESULTS_VIEW_TYPE = 'mergeLens.results';

/** The webview options every results panel gets, fresh or restored: scripts on, only our own files. */
export function resultsPanelOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    // The panel restores its own view state (setState); the host resends the report on 'ready'.
    retainContextWhenHidden: false,
    enableFindWidget: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}

/** Loads the page of one webview bundle (dist/webview/NAME.js and .css) into `webview`. */
export function loadWebviewBundle(webview: vscode.Webview, extensionUri: vscode.Uri, name: string, title: string): void {
  const asset = (file: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', file)).toString();
  webview.html = webviewHtml({
    title,
    cspSource: webview.cspSource,
    nonce: makeNonce(),
    scriptUri: asset(`${name}.js`),
    styleUri: asset(`${name}.css`),
  });
}

/**
 * The results panel: a typed wrapper over one webview panel. It holds nothing but the panel
 * and the last message that set the page's state, which it replays when the page reloads
 * (after being hidden, or restored with the window).
 */
export class ResultsPanel implements vscode.Disposable {
  private lastState: HostToPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;

  static create(extensionUri: vscode.Uri, onMessage: (message: PanelToHost) => void): ResultsPanel {
    const panel = vscode.window.createWebviewPanel(
      RESULTS_VIEW_TYPE,
      'Merge Lens',
      { viewColumn: vscode.ViewColumn.Active, preserveFocus: false },
      resultsPanelOptions(extensionUri),
    );
    return new ResultsPanel(panel, extensionUri, onMessage);
  }

  constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    onMessage: (message: PanelToHost) => void,
  ) {
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'icon.png');
    loadWebviewBundle(panel.webview, extensionUri, 'panel', 'Merge Lens');
    this.disposables.push(
      panel.webview.onDidReceiveMessage((message: PanelToHost) => {
        if (message.type === 'ready' && this.lastState) void panel.webview.postMessage(this.lastState);
        onMessage(message);
      }),
      panel.onDidDispose(() => {
        this.disposed = true;
        this.disposables.forEach((d) => d.dispose());
      }),
    );
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Sends a message; the state-setting ones are kept for replay. */
  post(message: HostToPanel): void {
    if (this.disposed) return;
    if (message.type === 'running' || message.type === 'report' || message.type === 'failed' || message.type === 'cancelled') {
      this.lastState = message;
      this.panel.title = `Merge Lens: ${message.title}`;
    }
    void this.panel.webview.postMessage(message);
  }

  reveal(): void {
    this.panel.reveal(undefined, false);
  }

  onDidDispose(listener: () => void): vscode.Disposable {
    return this.panel.onDidDispose(listener);
  }

  dispose(): void {
    this.panel.dispose();
  }
}

/** Whether a restored panel's saved state names a cached comparison. */
export function restoredCacheKey(state: unknown): string | null {
  const key = (state as Partial<PanelViewState> | undefined)?.cacheKey;
  return typeof key === 'string' && /^[0-9a-f]{64}$/.test(key) ? key : null;
}
