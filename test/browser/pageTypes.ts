/**
 * The few browser types the in-page callbacks of the browser tests use. The root type-check has
 * no DOM library (nothing under src/ may touch the DOM), so these stand in for it; the callbacks
 * run in the page, where the real objects are.
 */
export interface PageCanvas {
  readonly width: number;
  readonly height: number;
  readonly dataset: Readonly<Record<string, string | undefined>>;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { readonly data: Uint8ClampedArray } };
  getBoundingClientRect(): { readonly left: number; readonly top: number; readonly width: number; readonly height: number };
}

export interface PageWindow {
  postMessage(message: unknown, target: string): void;
  readonly __harness: { readonly posted: unknown[]; setTheme(kind: string): void };
  __harnessViolation(text: string): void;
}

export interface PageDocument {
  querySelector(selector: string): { readonly childElementCount: number; readonly textContent: string | null } | null;
  addEventListener(type: 'securitypolicyviolation', listener: (event: { violatedDirective: string; blockedURI: string; sourceFile: string; lineNumber: number }) => void): void;
}

export interface PageStorage {
  getItem(key: string): string | null;
}
