/**
 * The results panel: draws what the host sends (running, a report, a failure, unit similarities)
 * and asks for nothing but similarities and exports. Its tab and choices survive hide and show
 * through the webview state.
 */
import {
  provideVSCodeDesignSystem,
  vsCodeButton,
  vsCodeCheckbox,
  vsCodeDropdown,
  vsCodeOption,
  vsCodePanels,
  vsCodePanelTab,
  vsCodePanelView,
  vsCodeProgressRing,
} from '@vscode/webview-ui-toolkit';
import type { CompareReport } from '../../src/shared/compareReport';
import type { HostToPanel } from '../../src/shared/panelProtocol';
import { formatPercent } from '../../src/shared/presentation/formatNumbers';
import { onThemeChange, publishMethodColors, readTheme } from './chartTheme';
import { element } from './dom';
import { renderLayers } from './layersTab';
import { renderLlfc } from './llfcTab';
import { renderOverview } from './overviewTab';
import { clearSimilarityImages, renderPermutations } from './permutationsTab';
import { clearSimilarities, receiveSimilarity, similarityFailed } from './similarityStore';
import { TABS, updateViewState, viewState, type Tab } from './state';
import { renderWhy } from './whyTab';
import type { TabContext, TabView } from './tabView';
import { vscode } from './vscodeApi';
import './panel.css';

provideVSCodeDesignSystem().register(
  vsCodeButton(), vsCodeCheckbox(), vsCodeDropdown(), vsCodeOption(), vsCodePanels(), vsCodePanelTab(), vsCodePanelView(), vsCodeProgressRing(),
);

publishMethodColors();

const app = document.getElementById('app')!;

const TAB_TITLES: Readonly<Record<Tab, string>> = { overview: 'Overview', layers: 'Layers', llfc: 'LLFC', why: 'Why LLFC', permutations: 'Permutations' };

interface Shown {
  readonly report: CompareReport;
  readonly cached: boolean;
  readonly views: ReadonlyMap<Tab, HTMLElement>;
  readonly panels: HTMLElement & { activeid: string };
  active: { tab: Tab; view: TabView } | null;
}

let shown: Shown | null = null;

function disposeShown(): void {
  shown?.active?.view.dispose();
  shown = null;
}

/** Builds the active tab's content afresh (a tab switch, a theme change); the others stay empty. */
function renderTab(tab: Tab): void {
  if (!shown) return;
  shown.active?.view.dispose();
  shown.views.forEach((v) => v.replaceChildren());
  const container = shown.views.get(tab)!;
  const ctx: TabContext = {
    report: shown.report,
    theme: readTheme(),
    state: viewState,
    update: updateViewState,
    post: (message) => vscode.postMessage(message),
  };
  const view =
    tab === 'overview' ? renderOverview(container, ctx, shown.cached)
    : tab === 'layers' ? renderLayers(container, ctx)
    : tab === 'llfc' ? renderLlfc(container, ctx)
    : tab === 'why' ? renderWhy(container, ctx)
    : renderPermutations(container, ctx);
  shown.active = { tab, view };
  updateViewState({ tab });
}

function selectTab(tab: Tab): void {
  if (!shown) return;
  if (shown.panels.activeid !== `tab-${tab}`) shown.panels.activeid = `tab-${tab}`;
  if (shown.active?.tab !== tab) renderTab(tab);
}

function warnings(report: CompareReport): HTMLElement | null {
  if (report.warnings.length === 0) return null;
  const box = element('section', undefined, 'warnings');
  box.setAttribute('role', 'alert');
  box.append(element('h2', report.warnings.length === 1 ? 'Warning' : `${report.warnings.length} warnings`));
  const list = element('ul');
  for (const w of report.warnings) list.append(element('li', w));
  box.append(list);
  return box;
}

function showReport(title: string, report: CompareReport, cacheKey: string, cached: boolean): void {
  disposeShown();
  clearSimilarities();
  clearSimilarityImages();
  const saved = viewState();
  // Another comparison's method and layer may not exist in this one, and its hidden curves were chosen for its own scale.
  if (saved.cacheKey !== cacheKey) updateViewState({ cacheKey, ...(saved.cacheKey ? { method: null, layer: null, hiddenMethods: [] } : {}) });

  const header = element('header');
  header.append(element('h1', title), element('p', 'θ(α) = (1−α)·θA + α·π(θB), with π the permutation of B\'s hidden units each method finds.', 'subtitle'));

  const panels = element('vscode-panels') as Shown['panels'];
  panels.setAttribute('aria-label', 'Comparison results');
  const views = new Map<Tab, HTMLElement>();
  for (const tab of TABS) {
    const tabNode = element('vscode-panel-tab', TAB_TITLES[tab]);
    tabNode.id = `tab-${tab}`;
    panels.append(tabNode);
  }
  for (const tab of TABS) {
    const view = element('vscode-panel-view', undefined, 'tab-view');
    view.id = `view-${tab}`;
    view.dataset.tab = tab;
    views.set(tab, view);
    panels.append(view);
  }
  const initial = viewState().tab;
  panels.setAttribute('activeid', `tab-${initial}`);
  panels.addEventListener('change', () => {
    const tab = panels.activeid?.replace(/^tab-/, '') as Tab;
    if (TABS.includes(tab) && shown?.active?.tab !== tab) renderTab(tab);
  });
  shown = { report, cached, views, panels, active: null };
  app.replaceChildren(...[header, warnings(report), panels].filter((n): n is HTMLElement => n !== null));
  renderTab(initial);
}

function showRunning(title: string, stage: string, fraction: number | null): void {
  disposeShown();
  const box = element('section', undefined, 'running');
  const line = element('p', undefined, 'status');
  line.setAttribute('role', 'status');
  const ring = element('vscode-progress-ring');
  ring.setAttribute('aria-label', 'Comparison running');
  line.append(ring, element('span', fraction === null ? `${stage}…` : `${stage}… ${formatPercent(fraction, 0)}`, 'stage'));
  const cancel = element('vscode-button', 'Cancel');
  cancel.id = 'cancel';
  cancel.setAttribute('appearance', 'secondary');
  cancel.addEventListener('click', () => vscode.postMessage({ type: 'cancel' }));
  box.append(element('h1', title), line, cancel);
  app.replaceChildren(box);
}

function showFailed(title: string, message: string): void {
  disposeShown();
  const box = element('section', undefined, 'error');
  box.setAttribute('role', 'alert');
  box.append(element('h1', `${title}: the comparison failed`), element('p', message, 'message'));
  app.replaceChildren(box);
}

function showCancelled(title: string): void {
  disposeShown();
  const box = element('section', undefined, 'cancelled');
  box.setAttribute('role', 'status');
  box.append(element('h1', `${title}: cancelled`), element('p', 'The comparison was cancelled. Nothing was written. Run Merge Lens: Compare Checkpoints to start it again.', 'message'));
  app.replaceChildren(box);
}

window.addEventListener('message', (event: MessageEvent<HostToPanel>) => {
  const message = event.data;
  switch (message.type) {
    case 'running':
      app.setAttribute('aria-busy', 'true');
      return showRunning(message.title, message.stage, message.fraction);
    case 'report':
      app.setAttribute('aria-busy', 'false');
      return showReport(message.title, message.report, message.cacheKey, message.cached);
    case 'failed':
      app.setAttribute('aria-busy', 'false');
      return showFailed(message.title, message.message);
    case 'cancelled':
      app.setAttribute('aria-busy', 'false');
      return showCancelled(message.title);
    case 'similarity':
      return receiveSimilarity(message.similarity);
    case 'similarityFailed':
      return similarityFailed(message.method, message.layer, message.message);
    case 'focusLayer': {
      if (!shown) return;
      updateViewState({ layer: message.layer });
      if (shown.active?.tab === 'overview') selectTab('layers');
      return shown.active?.view.focusLayer?.(message.layer);
    }
  }
});

onThemeChange(() => {
  if (shown?.active) renderTab(shown.active.tab);
});

vscode.postMessage({ type: 'ready' });
