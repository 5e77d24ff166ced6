import * as vscode from 'vscode';
import { makeNonce, webviewHtml } from './webviewHtml';

/** The webview options every Merge Lens panel gets, fresh or restored: scripts on, only our own files. */
export function webviewPanelOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    // The page restores its own view state (setState); the host resends its data on 'ready'.
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

/** Every message between the host and a page names its kind. */
export interface PageMessage {
  readonly type: string;
}

/**
 * A webview panel that speaks one typed protocol: it loads its page's bundle and holds the last
 * message that set the page's state, which it replays when the page reloads (after being hidden,
 * or restored with the window). It holds nothing else: the owner keeps the work and the data.
 */
export class PagePanel<ToPage extends PageMessage, FromPage extends PageMessage> implements vscode.Disposable {
  private lastState: ToPage | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;

  constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    /** dist/webview/BUNDLE.js and .css. */
    bundle: string,
    /** The panel's title for a message that sets the page's state; undefined for one that does not. */
    private readonly stateTitle: (message: ToPage) => string | undefined,
    onMessage: (message: FromPage) => void,
  ) {
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'icon.png');
    loadWebviewBundle(panel.webview, extensionUri, bundle, panel.title);
    this.disposables.push(
      panel.webview.onDidReceiveMessage((message: FromPage) => {
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
  post(message: ToPage): void {
    if (this.disposed) return;
    const title = this.stateTitle(message);
    if (title !== undefined) {
      this.lastState = message;
      this.panel.title = `Merge Lens: ${title}`;
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
