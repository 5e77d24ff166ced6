/**
 * The Series panel: draws what the host sends (a series running, its report, a failure) and asks
 * for nothing but one pair to be opened in the results panel, or the run to be cancelled.
 */
import { provideVSCodeDesignSystem, vsCodeButton, vsCodeDropdown, vsCodeOption, vsCodeProgressRing } from '@vscode/webview-ui-toolkit';
import { formatPercent } from '../../src/shared/presentation/formatNumbers';
import type { HostToSeries } from '../../src/shared/seriesPanelProtocol';
import type { SeriesReport } from '../../src/shared/seriesReport';
import { onThemeChange, publishMethodColors, readTheme } from '../panel/chartTheme';
import { element } from '../panel/dom';
import type { Disposer } from '../panel/tabView';
import { renderSeries } from './seriesView';
import { post, updateViewState, viewState } from './vscodeApi';
import '../panel/panel.css';
import './series.css';

provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeDropdown(), vsCodeOption(), vsCodeProgressRing());

publishMethodColors();

const app = document.getElementById('app')!;

let shown: { readonly title: string; readonly report: SeriesReport; view: Disposer | null } | null = null;

function clear(): void {
  shown?.view?.dispose();
  shown = null;
}

/** Builds the page afresh (a new report, a theme change). */
function draw(): void {
  if (!shown) return;
  shown.view?.dispose();
  const { title, report } = shown;
  const header = element('header');
  const pairs = `${report.items.length} pair${report.items.length === 1 ? '' : 's'}`;
  header.append(
    element('h1', title),
    element('p', `${pairs} along ${report.variable}${report.manifest ? `, from ${report.manifest}` : ''}; in each, B is aligned to A.`, 'subtitle'),
  );
  const body = element('div', undefined, 'series-body');
  app.replaceChildren(header, body);
  shown.view = renderSeries(body, { report, theme: readTheme(), state: viewState, update: updateViewState, post });
}

function showRunning(title: string, stage: string, fraction: number | null): void {
  clear();
  const box = element('section', undefined, 'running');
  const line = element('p', undefined, 'status');
  line.setAttribute('role', 'status');
  const ring = element('vscode-progress-ring');
  ring.setAttribute('aria-label', 'Series running');
  line.append(ring, element('span', fraction === null ? `${stage}…` : `${stage}… ${formatPercent(fraction, 0)}`, 'stage'));
  const cancel = element('vscode-button', 'Cancel');
  cancel.id = 'cancel';
  cancel.setAttribute('appearance', 'secondary');
  cancel.addEventListener('click', () => post({ type: 'cancel' }));
  box.append(element('h1', title), line, cancel);
  app.replaceChildren(box);
}

function showEnded(kind: 'error' | 'cancelled', title: string, message: string): void {
  clear();
  const box = element('section', undefined, kind);
  box.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  box.append(element('h1', kind === 'error' ? `${title}: the series failed` : `${title}: cancelled`), element('p', message, 'message'));
  app.replaceChildren(box);
}

window.addEventListener('message', (event: MessageEvent<HostToSeries>) => {
  const message = event.data;
  app.setAttribute('aria-busy', message.type === 'running' ? 'true' : 'false');
  // Saved only while a report is on show: a window reload then runs that series again, and anything else asks for a new run.
  const saved = message.type === 'report' ? { title: message.title, source: message.source } : null;
  if (JSON.stringify(saved) !== JSON.stringify(viewState().shown)) updateViewState({ shown: saved });
  switch (message.type) {
    case 'running':
      return showRunning(message.title, message.stage, message.fraction);
    case 'report':
      clear();
      shown = { title: message.title, report: message.report, view: null };
      return draw();
    case 'failed':
      return showEnded('error', message.title, message.message);
    case 'cancelled':
      return showEnded(
        'cancelled',
        message.title,
        'The series was cancelled. The pairs it finished are kept in the result cache: run Merge Lens: Compare Series… again to go on from there.',
      );
  }
});

onThemeChange(draw);

post({ type: 'ready' });
