/**
 * The checkpoint editor's page: the tensors of one checkpoint in a searchable grid. It draws
 * what the host sends (an InspectReport) and asks for nothing but "compute all statistics".
 */
import {
  provideVSCodeDesignSystem,
  vsCodeButton,
  vsCodeDataGrid,
  vsCodeDataGridCell,
  vsCodeDataGridRow,
  vsCodeProgressRing,
  vsCodeTextField,
} from '@vscode/webview-ui-toolkit';
import type { DataGrid } from '@vscode/webview-ui-toolkit';
import { formatBytes, formatStatistic } from '../../src/shared/presentation/formatNumbers';
import type { InspectReport, TensorSummary } from '../../src/shared/inspectReport';
import type { GridToHost, HostToGrid } from '../../src/shared/tensorGridProtocol';
import './tensors.css';

provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeDataGrid(), vsCodeDataGridRow(), vsCodeDataGridCell(), vsCodeProgressRing(), vsCodeTextField());

declare function acquireVsCodeApi(): { postMessage(message: GridToHost): void; getState(): unknown; setState(state: unknown): void };
const vscode = acquireVsCodeApi();
const app = document.getElementById('app')!;

function element<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string): HTMLElementTagNameMap[K];
function element(tag: string, text?: string, className?: string): HTMLElement;
function element(tag: string, text?: string, className?: string): HTMLElement {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

const count = (n: number) => n.toLocaleString('en-US');

function zeros(t: TensorSummary): string {
  if (t.zeroFraction === null) return '–';
  return `${(100 * t.zeroFraction).toFixed(t.zeroFraction > 0 && t.zeroFraction < 0.001 ? 3 : 1)}%`;
}

/** One grid row per tensor; every value is text, formatted as `merge-lens inspect` prints it. */
function rowOf(t: TensorSummary): Record<string, string> {
  return {
    name: t.name,
    dtype: t.quantization ? `${t.dtype} (${t.quantization.dtype})` : t.dtype,
    shape: t.shape.length ? `[${t.shape.join(', ')}]` : '[] (scalar)',
    parameters: count(t.parameters),
    mean: formatStatistic(t.mean),
    std: formatStatistic(t.std),
    min: formatStatistic(t.min),
    max: formatStatistic(t.max),
    zeros: zeros(t),
    note: t.statsSkipped ?? (t.nonFinite ? `${count(t.nonFinite)} NaN/∞ left out` : ''),
  };
}

/**
 * The most rows the grid draws at once. The toolkit's data grid renders every row it is given, and
 * a checkpoint can list hundreds of thousands of tensors: the filter narrows the rest.
 */
const MAX_ROWS_DRAWN = 2000;

const COLUMNS: [key: string, title: string][] = [
  ['name', 'Tensor'],
  ['dtype', 'Dtype'],
  ['shape', 'Shape'],
  ['parameters', 'Parameters'],
  ['mean', 'Mean'],
  ['std', 'Std'],
  ['min', 'Min'],
  ['max', 'Max'],
  ['zeros', 'Zeros'],
  ['note', 'Note'],
];

/**
 * Each row is a grid of its own, so the columns are sized in advance rather than by content: the
 * fixed ones in characters of the grid's font (ch) plus the cells' padding (CELL_PADDING, the
 * toolkit's 3 design units a side), wide enough for their header ("Parameters") and for their widest
 * value ("1,234,567,890", "−7.262×10⁻⁴", "12.345%").
 */
const CELL_PADDING = '24px';
const fixed = (characters: number) => `calc(${characters}ch + ${CELL_PADDING})`;
const GRID_COLUMNS = ['minmax(12em, 2fr)', fixed(9), 'minmax(8em, 1fr)', fixed(13), ...Array(4).fill(fixed(12)), fixed(8), 'minmax(8em, 1fr)'].join(' ');

function summary(report: InspectReport): HTMLElement {
  const header = element('header');
  header.append(element('h1', report.file.split(/[\\/]/).pop()!));
  const facts = element('p', undefined, 'facts');
  facts.textContent = `${report.format} · ${count(report.tensors.length)} tensors in ${count(report.groups.length)} layers · ${count(report.parameters)} parameters · ${formatBytes(report.bytes)}`;
  header.append(facts);
  for (const note of report.notes) header.append(element('p', note, 'note'));
  const metadata = Object.entries(report.metadata);
  if (metadata.length) {
    const details = element('details');
    details.append(element('summary', `Metadata (${metadata.length})`));
    const list = element('dl');
    for (const [key, value] of metadata) list.append(element('dt', key), element('dd', value));
    details.append(list);
    header.append(details);
  }
  return header;
}

function showReport(report: InspectReport): void {
  const saved = (vscode.getState() as { filter?: string } | undefined)?.filter ?? '';
  const rows = report.tensors.map(rowOf);
  const search = element('vscode-text-field') as HTMLElement & { value: string };
  search.setAttribute('placeholder', 'Filter by name, dtype or shape');
  search.setAttribute('aria-label', 'Filter tensors');
  search.id = 'filter';
  search.value = saved;
  const shown = element('span', '', 'shown');
  shown.setAttribute('aria-live', 'polite');
  const grid = element('vscode-data-grid') as unknown as DataGrid & HTMLElement;
  grid.setAttribute('aria-label', 'Tensors');
  grid.setAttribute('generate-header', 'sticky');
  grid.columnDefinitions = COLUMNS.map(([columnDataKey, title]) => ({ columnDataKey, title }));
  grid.gridTemplateColumns = GRID_COLUMNS;
  const apply = (filter: string) => {
    const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
    const visible = rows.filter((row) => words.every((w) => `${row.name} ${row.dtype} ${row.shape}`.toLowerCase().includes(w)));
    grid.rowsData = visible.length > MAX_ROWS_DRAWN ? visible.slice(0, MAX_ROWS_DRAWN) : visible;
    shown.textContent =
      visible.length > MAX_ROWS_DRAWN
        ? `the first ${count(MAX_ROWS_DRAWN)} of ${count(visible.length)} matching tensors (${count(rows.length)} in all); filter to see the others`
        : `${count(visible.length)} of ${count(rows.length)} tensors`;
    vscode.setState({ filter });
  };
  search.addEventListener('input', () => apply(search.value));
  const toolbar = element('div', undefined, 'toolbar');
  toolbar.append(search, shown);
  if (report.statistics.overBudget > 0) {
    const all = element('vscode-button', `Compute all statistics (${count(report.statistics.overBudget)} more tensors)`);
    all.setAttribute('appearance', 'secondary');
    all.addEventListener('click', () => vscode.postMessage({ type: 'computeAllStatistics' }));
    toolbar.append(all);
  }
  app.replaceChildren(summary(report), toolbar, grid);
  apply(saved);
}

function showReading(file: string, stage: string): void {
  const line = element('p', undefined, 'status');
  line.append(element('vscode-progress-ring'), element('span', `${file.split(/[\\/]/).pop()}: ${stage}…`));
  app.replaceChildren(line);
}

function showFailed(message: string): void {
  const box = element('div', undefined, 'error');
  box.setAttribute('role', 'alert');
  box.append(element('h1', 'Merge Lens cannot read this file'), element('p', message));
  app.replaceChildren(box);
}

window.addEventListener('message', (event: MessageEvent<HostToGrid>) => {
  const message = event.data;
  app.setAttribute('aria-busy', String(message.type === 'reading'));
  switch (message.type) {
    case 'reading':
      return showReading(message.file, message.stage);
    case 'inspect':
      return showReport(message.report);
    case 'failed':
      return showFailed(message.message);
  }
});
vscode.postMessage({ type: 'ready' });
