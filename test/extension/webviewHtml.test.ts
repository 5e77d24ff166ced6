import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeNonce, webviewHtml } from '../../src/extension/webviewHtml';

const page = (nonce: string) =>
  webviewHtml({ title: 'a<b', cspSource: 'https://file.vscode-cdn.net', nonce, scriptUri: 'https://x/panel.js?a=1&b="2"', styleUri: 'https://x/panel.css' });

test('the webview shell allows scripts only with its nonce and loads nothing from elsewhere', () => {
  const nonce = makeNonce();
  const html = page(nonce);
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)![1]!;
  assert.match(csp, /^default-src 'none'; /);
  assert.match(csp, new RegExp(`script-src 'nonce-${nonce}'(;|$)`));
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
  // Styles from the extension's files, or an element carrying the nonce (FAST's probe).
  assert.match(csp, new RegExp(`style-src https://file\\.vscode-cdn\\.net 'nonce-${nonce}'(;|$)`));
  assert.ok(html.includes(`<meta property="csp-nonce" content="${nonce}">`));
  const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1]!);
  assert.equal(scripts.length, 1);
  assert.ok(scripts[0]!.includes(`nonce="${nonce}"`));
});

test('the shell escapes what it is given, and every load gets a fresh nonce', () => {
  const html = page('n');
  assert.ok(html.includes('<title>a&lt;b</title>'));
  assert.ok(html.includes('src="https://x/panel.js?a=1&amp;b=&quot;2&quot;"'));
  const nonces = new Set(Array.from({ length: 50 }, makeNonce));
  assert.equal(nonces.size, 50);
  for (const n of nonces) assert.match(n, /^[A-Za-z0-9_-]{24}$/);
});
