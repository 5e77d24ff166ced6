/**
 * A VS Code webview in a real headless browser: the page that webviewHtml() builds, with its real
 * CSP (cspSource = this server's origin), served from a loopback-only server together with the
 * bundles in dist/webview/, and a stand-in for acquireVsCodeApi that records what the page posts
 * and keeps its state across reloads as VS Code does across hide and show. Messages from the host
 * arrive as VS Code delivers them: a MessageEvent on window whose data is the message.
 *
 * One browser for a whole test file (`startHarness`), one page per `open`. Any webview bundle
 * works: pass its entry name (dist/webview/NAME.js and NAME.css).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { makeNonce, webviewHtml } from '../../src/extension/webviewHtml';
import { CHROMIUM, CHROMIUM_ARGS, playwright } from '../helpers/chromium';
import { repoRoot } from '../helpers/paths';
import type { PageDocument, PageStorage, PageWindow } from './pageTypes';

declare const window: PageWindow;
declare const document: PageDocument;
declare const sessionStorage: PageStorage;


export type ThemeKind = 'light' | 'dark' | 'high-contrast';

/** A few of each theme's variables, from VS Code's Light Modern, Dark Modern and High Contrast themes. */
const THEMES: Readonly<Record<ThemeKind, { readonly bodyClass: string; readonly variables: Readonly<Record<string, string>> }>> = {
  light: {
    bodyClass: 'vscode-light',
    variables: {
      '--vscode-font-family': 'system-ui, "Ubuntu", "Droid Sans", sans-serif', '--vscode-font-size': '13px', '--vscode-editor-font-family': 'monospace',
      '--vscode-foreground': '#3b3b3b', '--vscode-editor-foreground': '#3b3b3b', '--vscode-editor-background': '#ffffff', '--vscode-descriptionForeground': '#5f5f5f',
      '--vscode-editorWidget-border': '#d4d4d4', '--vscode-panel-border': '#e5e5e5', '--vscode-focusBorder': '#005fb8', '--vscode-textLink-foreground': '#005fb8',
      '--vscode-errorForeground': '#c4314b', '--vscode-editorWarning-foreground': '#bf8803', '--vscode-inputValidation-errorBackground': '#f9e6e9',
      '--vscode-inputValidation-warningBackground': '#fbf3dc', '--vscode-editorHoverWidget-background': '#f8f8f8', '--vscode-editorHoverWidget-border': '#c8c8c8',
      '--vscode-editorHoverWidget-foreground': '#3b3b3b', '--vscode-widget-shadow': 'rgba(0, 0, 0, 0.16)', '--vscode-testing-iconPassed': '#388a34',
      '--vscode-button-background': '#005fb8', '--vscode-button-foreground': '#ffffff', '--vscode-button-secondaryBackground': '#e5e5e5', '--vscode-button-secondaryForeground': '#3b3b3b',
      '--vscode-dropdown-background': '#ffffff', '--vscode-dropdown-border': '#cecece', '--vscode-dropdown-foreground': '#3b3b3b',
      '--vscode-panelTitle-activeForeground': '#3b3b3b', '--vscode-panelTitle-activeBorder': '#005fb8', '--vscode-panelTitle-inactiveForeground': '#5f5f5f',
      '--vscode-checkbox-background': '#f8f8f8', '--vscode-checkbox-border': '#cecece', '--vscode-checkbox-foreground': '#3b3b3b',
    },
  },
  dark: {
    bodyClass: 'vscode-dark',
    variables: {
      '--vscode-font-family': 'system-ui, "Ubuntu", "Droid Sans", sans-serif', '--vscode-font-size': '13px', '--vscode-editor-font-family': 'monospace',
      '--vscode-foreground': '#cccccc', '--vscode-editor-foreground': '#cccccc', '--vscode-editor-background': '#1f1f1f', '--vscode-descriptionForeground': '#9d9d9d',
      '--vscode-editorWidget-border': '#454545', '--vscode-panel-border': '#2b2b2b', '--vscode-focusBorder': '#0078d4', '--vscode-textLink-foreground': '#4daafc',
      '--vscode-errorForeground': '#f85149', '--vscode-editorWarning-foreground': '#cca700', '--vscode-inputValidation-errorBackground': '#5a1d1d',
      '--vscode-inputValidation-warningBackground': '#352a05', '--vscode-editorHoverWidget-background': '#202020', '--vscode-editorHoverWidget-border': '#454545',
      '--vscode-editorHoverWidget-foreground': '#cccccc', '--vscode-widget-shadow': 'rgba(0, 0, 0, 0.36)', '--vscode-testing-iconPassed': '#73c991',
      '--vscode-button-background': '#0078d4', '--vscode-button-foreground': '#ffffff', '--vscode-button-secondaryBackground': '#313131', '--vscode-button-secondaryForeground': '#cccccc',
      '--vscode-dropdown-background': '#313131', '--vscode-dropdown-border': '#3c3c3c', '--vscode-dropdown-foreground': '#cccccc',
      '--vscode-panelTitle-activeForeground': '#cccccc', '--vscode-panelTitle-activeBorder': '#0078d4', '--vscode-panelTitle-inactiveForeground': '#9d9d9d',
      '--vscode-checkbox-background': '#313131', '--vscode-checkbox-border': '#3c3c3c', '--vscode-checkbox-foreground': '#cccccc',
    },
  },
  'high-contrast': {
    bodyClass: 'vscode-high-contrast',
    variables: {
      '--vscode-font-family': 'system-ui, "Ubuntu", "Droid Sans", sans-serif', '--vscode-font-size': '13px', '--vscode-editor-font-family': 'monospace',
      '--vscode-foreground': '#ffffff', '--vscode-editor-foreground': '#ffffff', '--vscode-editor-background': '#000000', '--vscode-descriptionForeground': '#ffffff',
      '--vscode-contrastBorder': '#6fc3df', '--vscode-editorWidget-border': '#6fc3df', '--vscode-focusBorder': '#f38518', '--vscode-textLink-foreground': '#21a6ff',
      '--vscode-errorForeground': '#f48771', '--vscode-editorHoverWidget-background': '#0c141f', '--vscode-editorHoverWidget-border': '#6fc3df',
    },
  },
};

/** The stand-in for VS Code's webview API, served as a script with the page's nonce so that it, too, runs under the CSP. */
const PRELUDE = `(() => {
  const KEY = 'webview-harness-state';
  const THEMES = ${JSON.stringify(THEMES)};
  const params = new URLSearchParams(location.search);
  const harness = (window.__harness = { posted: [], acquired: 0 });
  harness.setTheme = (kind) => {
    const theme = THEMES[kind];
    for (const t of Object.values(THEMES)) document.body.classList.remove(t.bodyClass);
    document.body.classList.add(theme.bodyClass);
    document.body.dataset.vscodeThemeKind = theme.bodyClass;
    for (const t of Object.values(THEMES)) for (const name of Object.keys(t.variables)) document.documentElement.style.removeProperty(name);
    for (const [name, value] of Object.entries(theme.variables)) document.documentElement.style.setProperty(name, value);
  };
  harness.setTheme(params.get('theme') || 'light');
  if (sessionStorage.getItem(KEY) === null && params.has('state')) sessionStorage.setItem(KEY, params.get('state'));
  window.acquireVsCodeApi = () => {
    if (harness.acquired++) throw new Error('An instance of the VS Code API has already been acquired');
    return Object.freeze({
      postMessage: (message) => { harness.posted.push(structuredClone(message)); },
      getState: () => { const s = sessionStorage.getItem(KEY); return s === null ? undefined : JSON.parse(s); },
      setState: (state) => { sessionStorage.setItem(KEY, JSON.stringify(state)); return state; },
    });
  };
})();
`;

const TYPES: Readonly<Record<string, string>> = { '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json' };

export interface OpenOptions {
  /** The webview bundle: dist/webview/ENTRY.js and ENTRY.css. */
  readonly entry: string;
  readonly title?: string;
  readonly theme?: ThemeKind;
  /** What getState returns on the first load (as if VS Code restored the webview). */
  readonly state?: unknown;
  readonly viewport?: { readonly width: number; readonly height: number };
}

/** A message the page posted to the host. */
export interface PostedMessage {
  readonly type: string;
  readonly [key: string]: unknown;
}

export class WebviewSession {
  /** Content-Security-Policy violations the page reported, from the very first byte. */
  readonly violations: string[] = [];
  /** console.error output and uncaught exceptions. */
  readonly errors: string[] = [];

  constructor(readonly page: Page) {
    page.on('console', (message) => {
      if (message.type() === 'error') this.errors.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => this.errors.push(`uncaught: ${error.stack ?? error.message}`));
  }

  /** What the page has posted to the host since it (re)loaded, in order. */
  async posted(): Promise<PostedMessage[]> {
    return this.page.evaluate(() => window.__harness.posted as PostedMessage[]);
  }

  /** Waits until the page has posted a message of `type` (and matching `where`), and returns it. */
  async waitForPosted(type: string, where: (message: PostedMessage) => boolean = () => true, timeout = 5000): Promise<PostedMessage> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const found = (await this.posted()).find((m) => m.type === type && where(m));
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`the page posted no '${type}' message within ${timeout} ms; it posted: ${JSON.stringify(await this.posted()).slice(0, 500)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Delivers a host message as VS Code does. Typed arrays arrive as typed arrays. */
  async send(message: unknown): Promise<void> {
    await this.page.evaluate((m) => window.postMessage(m, '*'), message as never);
  }

  /** What the page last passed to setState. */
  async state(): Promise<unknown> {
    return this.page.evaluate(() => {
      const s = sessionStorage.getItem('webview-harness-state');
      return s === null ? undefined : JSON.parse(s);
    });
  }

  /** Reloads the page, keeping its saved state: what hiding and showing a webview does. */
  async reload(): Promise<void> {
    await this.page.reload();
  }

  /** Switches the theme as VS Code does: body class and the variables on <html>. */
  async setTheme(kind: ThemeKind): Promise<void> {
    await this.page.evaluate((k) => window.__harness.setTheme(k), kind);
  }

  /** Throws when the page violated its CSP or logged an error. */
  assertClean(): void {
    const problems = [...this.violations.map((v) => `CSP violation: ${v}`), ...this.errors];
    if (problems.length > 0) throw new Error(`the webview was not clean:\n${problems.join('\n')}`);
  }

  async close(): Promise<void> {
    await this.page.context().close();
  }
}

export class WebviewHarness {
  private constructor(
    private readonly browser: Browser,
    private readonly server: Server,
    readonly origin: string,
  ) {}

  /** Starts the loopback server and the browser. Fails with the apt-get line when chromium is missing. */
  static async start(): Promise<WebviewHarness> {
    const { chromium } = playwright();
    const root = repoRoot();
    const server = createServer((request, response) => serve(root, request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    let browser: Browser;
    try {
      browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    } catch (error) {
      server.close();
      throw error;
    }
    return new WebviewHarness(browser, server, origin);
  }

  async open(options: OpenOptions): Promise<WebviewSession> {
    const context = await this.browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 900 } });
    const page = await context.newPage();
    const session = new WebviewSession(page);
    // Registered before any of the page's own script runs (through the debugger, so outside the
    // CSP), to see a violation anywhere in the page, its <head> included.
    await page.exposeFunction('__harnessViolation', (text: string) => session.violations.push(text));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        window.__harnessViolation(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`);
      });
    });
    const query = new URLSearchParams({ entry: options.entry, title: options.title ?? options.entry, theme: options.theme ?? 'light' });
    if (options.state !== undefined) query.set('state', JSON.stringify(options.state));
    await page.goto(`${this.origin}/webview?${query}`);
    return session;
  }

  async close(): Promise<void> {
    await this.browser.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function serve(root: string, request: IncomingMessage, response: ServerResponse): void {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  const origin = `http://${request.headers.host}`;
  const send = (status: number, type: string, body: string | Buffer) => {
    response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
    response.end(body);
  };
  if (url.pathname === '/webview') {
    const entry = url.searchParams.get('entry') ?? '';
    if (!/^[a-z][a-zA-Z0-9-]*$/.test(entry)) return send(400, 'text/plain', 'bad entry');
    const nonce = makeNonce();
    const html = webviewHtml({
      title: url.searchParams.get('title') ?? entry,
      cspSource: origin,
      nonce,
      scriptUri: `${origin}/dist/webview/${entry}.js`,
      styleUri: `${origin}/dist/webview/${entry}.css`,
    });
    // The stand-in API goes in front of the page's one script, with the same nonce: the CSP is untouched.
    const script = `<script nonce="${nonce}" src=`;
    if (html.split(script).length !== 2) return send(500, 'text/plain', 'the webview shell no longer has exactly one script');
    const prelude = `<script nonce="${nonce}" src="${origin}/harness/prelude.js"></script>\n`;
    return send(200, 'text/html; charset=utf-8', html.replace(script, prelude + script));
  }
  if (url.pathname === '/harness/prelude.js') return send(200, TYPES['.js']!, PRELUDE);
  if (url.pathname.startsWith('/dist/webview/')) {
    const relative = normalize(decodeURIComponent(url.pathname.slice(1)));
    const type = TYPES[relative.slice(relative.lastIndexOf('.'))];
    const file = join(root, relative);
    if (type && relative.startsWith(join('dist', 'webview')) && existsSync(file)) return send(200, type, readFileSync(file));
  }
  if (url.pathname === '/favicon.ico') return send(204, 'image/x-icon', '');
  send(404, 'text/plain', 'not found');
}
