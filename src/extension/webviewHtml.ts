/**
 * The HTML shell of every Merge Lens webview. No `vscode` import: the extension host fills it
 * with the webview's real CSP source and URIs, and the browser tests load the very same page.
 */
import { randomBytes } from 'node:crypto';

export interface WebviewPage {
  readonly title: string;
  /** `webview.cspSource`: the origin the webview may load the extension's own files from. */
  readonly cspSource: string;
  readonly nonce: string;
  readonly scriptUri: string;
  readonly styleUri: string;
}

/** A fresh nonce per page load: only the scripts that carry it run. */
export function makeNonce(): string {
  return randomBytes(18).toString('base64url');
}

const escapeAttribute = (text: string) => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/**
 * Strict CSP: nothing by default; scripts only with the nonce; styles, fonts and images only
 * from the extension's own files (images also as data: URIs, which canvas exports use). The one
 * style element allowed is one carrying the nonce: the toolkit (FAST) finds it in the
 * `csp-nonce` meta tag for its :focus-visible probe, the mechanism FAST documents for strict CSPs.
 */
export function webviewHtml(page: WebviewPage): string {
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${page.nonce}'`,
    `style-src ${page.cspSource} 'nonce-${page.nonce}'`,
    `font-src ${page.cspSource}`,
    `img-src ${page.cspSource} data:`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttribute(csp)}">
<meta property="csp-nonce" content="${page.nonce}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeAttribute(page.title)}</title>
<link rel="stylesheet" href="${escapeAttribute(page.styleUri)}">
</head>
<body>
<main id="app" aria-busy="true"></main>
<script nonce="${page.nonce}" src="${escapeAttribute(page.scriptUri)}"></script>
</body>
</html>
`;
}
