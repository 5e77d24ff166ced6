/**
 * The panel's view state (tab, method, layer, aligned, cacheKey, hiddenMethods), saved with setState on every
 * change so that a panel hidden and shown again, or restored with the window, comes back as it was.
 */
import { ALL_METHOD_NAMES, type MethodName } from '../../src/shared/compareReport';
import type { PanelViewState } from '../../src/shared/panelProtocol';
import { vscode } from './vscodeApi';

export type Tab = PanelViewState['tab'];
export const TABS: readonly Tab[] = ['overview', 'layers', 'llfc', 'why', 'permutations'];

const DEFAULT: PanelViewState = { tab: 'overview', method: null, layer: null, aligned: true, cacheKey: null, hiddenMethods: [] };

/** Whatever getState returns is checked field by field: an older panel may have saved another shape. */
function restore(saved: unknown): PanelViewState {
  const s = (saved ?? {}) as Partial<Record<keyof PanelViewState, unknown>>;
  return {
    tab: TABS.includes(s.tab as Tab) ? (s.tab as Tab) : DEFAULT.tab,
    method: ALL_METHOD_NAMES.includes(s.method as MethodName) ? (s.method as MethodName) : null,
    layer: typeof s.layer === 'string' ? s.layer : null,
    aligned: typeof s.aligned === 'boolean' ? s.aligned : DEFAULT.aligned,
    cacheKey: typeof s.cacheKey === 'string' ? s.cacheKey : null,
    hiddenMethods: Array.isArray(s.hiddenMethods) ? ALL_METHOD_NAMES.filter((m) => (s.hiddenMethods as unknown[]).includes(m)) : DEFAULT.hiddenMethods,
  };
}

let current = restore(vscode.getState());

export function viewState(): PanelViewState {
  return current;
}

export function updateViewState(patch: Partial<PanelViewState>): PanelViewState {
  current = { ...current, ...patch };
  vscode.setState(current);
  return current;
}
