/**
 * FAST (under the webview toolkit) probes for :focus-visible once, as it loads, by adding an
 * inline <style> to <head> and inserting a rule into it. The panel's CSP allows no inline style,
 * so that probe is refused, reported as a CSP violation on every load, and FAST falls back to
 * :focus rings on every click. Imported before the toolkit, this module answers the one probe
 * instead: the first <style> asked for while the toolkit loads is an inert <template> whose
 * `sheet` is a constructable stylesheet, which parses the selector the same way and is exempt
 * from the CSP. The first use, or `endToolkitLoad`, puts document.createElement back.
 */
let active = true;

function restore(): void {
  if (!active) return;
  active = false;
  delete (document as { createElement?: unknown }).createElement;
}

document.createElement = function createElement(this: Document, tagName: string, options?: ElementCreationOptions): HTMLElement {
  if (tagName.toLowerCase() !== 'style') return Document.prototype.createElement.call(this, tagName, options);
  restore();
  const standIn = Document.prototype.createElement.call(this, 'template');
  Object.defineProperty(standIn, 'sheet', { value: new CSSStyleSheet() });
  return standIn;
} as typeof document.createElement;

/** Called once the toolkit has loaded: whatever it did, createElement is the browser's own again. */
export function endToolkitLoad(): void {
  restore();
}
