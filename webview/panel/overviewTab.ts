/**
 * Overview: loss and accuracy along α for every method, the barrier table with the equivalence
 * check and the exports, and what ran (backend, data). Warnings are shown above the tabs by main.ts.
 */
import type { CompareReport, MethodName, MethodResult } from '../../src/shared/compareReport';
import { formatNumber, formatPercent, formatScientific } from '../../src/shared/presentation/formatNumbers';
import { METHOD_STYLE, methodsOf } from '../../src/shared/presentation/methodStyles';
import { nearestIndex } from '../../src/shared/presentation/nearestIndex';
import { describeTransformer } from '../../src/shared/presentation/transformerParts';
import { methodColorVar } from './chartTheme';
import { REFERENCE_DASH, chartCanvas, lineChart, showMethods, type AxisSpec, type LineSeries } from './charts';
import { dataDetails, element, table } from './dom';
import { methodLegend } from './methodLegend';
import { Disposer, type TabContext, type TabView } from './tabView';

type Measured = MethodResult & { path: NonNullable<MethodResult['path']>; barrier: NonNullable<MethodResult['barrier']> };

const ALPHA_AXIS: AxisSpec = { title: 'α   (0 = model A, 1 = model B aligned)' };

const REFERENCE_LABEL = 'straight line between endpoints';

function pathFigure(report: CompareReport, measured: readonly [MethodName, Measured][], ctx: TabContext, disposer: Disposer): HTMLElement {
  const figure = element('figure', undefined, 'figure');
  const panels = element('div', undefined, 'panels');
  const hidden = new Set(ctx.state().hiddenMethods);
  const charts: { chart: ReturnType<typeof lineChart>; series: LineSeries[] }[] = [];
  const panel = (label: string, axis: AxisSpec, pick: (r: Measured) => readonly number[]) => {
    const box = element('div', undefined, 'panel');
    box.append(element('p', label, 'panel-label'));
    const { box: chartBox, canvas } = chartCanvas(`${axis.title} along the interpolation path, one line per method`);
    canvas.dataset.chart = axis.percent ? 'path-accuracy' : 'path-loss';
    box.append(chartBox);
    const first = pick(measured[0]![1]);
    const series = measured.map(([method, r]) => ({ method, values: pick(r) }));
    const chart = disposer.chart(
      lineChart(canvas, {
        x: ALPHA_AXIS,
        y: axis,
        alphas: report.alphas,
        series,
        // Every method shares the endpoints (π(B) computes what B computes): one straight line serves all.
        reference: { label: REFERENCE_LABEL, from: first[0] ?? NaN, to: first[first.length - 1] ?? NaN },
        hidden,
        htmlLegend: true,
      }, ctx.theme),
    );
    charts.push({ chart, series });
    const format = axis.percent ? (v: number) => formatPercent(v, 2) : (v: number) => formatNumber(v, 4);
    const rows = report.alphas.map((alpha, i) => [formatNumber(alpha, 3), ...measured.map(([, r]) => format(pick(r)[i] ?? NaN))]);
    box.append(dataDetails(`Data: ${axis.title} per α`, table(null, ['α', ...measured.map(([m]) => METHOD_STYLE[m].label)], rows), canvas));
    return box;
  };
  panels.append(
    panel('(a) Loss', { title: 'cross-entropy loss (nats)' }, (r) => r.path.loss),
    panel('(b) Accuracy', { title: 'accuracy', percent: true }, (r) => r.path.accuracy),
  );
  // One legend for both charts: a method hidden is hidden in both, and both axes fit what is left.
  const legend = methodLegend({
    methods: measured.map(([m]) => m),
    hidden,
    reference: { label: REFERENCE_LABEL, dash: REFERENCE_DASH },
    onToggle: (method, shown) => {
      if (shown) hidden.delete(method);
      else hidden.add(method);
      ctx.update({ hiddenMethods: measured.map(([m]) => m).filter((m) => hidden.has(m)) });
      for (const { chart, series } of charts) showMethods(chart, series, hidden);
    },
  }, ctx.theme);
  const caption = element('figcaption', 'Evaluation loss and accuracy of θ(α) = (1−α)·θA + α·π(θB) along the linear path between A and each method\'s aligned B. A barrier is the height of a curve above (loss) or below (accuracy) the dotted straight line between its endpoints. Press a method in the legend to hide its curves (the naive peak, say): the y-axes then fit the curves shown.', 'caption');
  figure.append(legend, panels, caption);
  return figure;
}

function barrierTable(report: CompareReport, ctx: TabContext): HTMLElement {
  const middle = nearestIndex(report.alphas, 0.5);
  const section = element('section', undefined, 'barriers');
  section.append(element('h2', 'Barriers along the path'));
  const node = table(null, ['Method', 'Loss barrier', 'Accuracy barrier', `Accuracy at α=${formatNumber(report.alphas[middle] ?? 0.5, 2)}`, 'Align (s)', 'Equivalent', 'Export'], [], 1);
  node.classList.add('barrier-table');
  node.querySelectorAll('thead th:nth-last-child(-n+2)').forEach((th) => th.classList.remove('num'));
  const tbody = node.tBodies[0]!;
  for (const [method, r] of methodsOf(report)) {
    const tr = element('tr');
    tr.dataset.method = method;
    if (!r.equivalent) tr.classList.add('invalid');
    const name = element('th', METHOD_STYLE[method].label);
    name.setAttribute('scope', 'row');
    const swatch = element('span', undefined, 'swatch');
    swatch.style.background = `var(${methodColorVar(method)})`;
    swatch.setAttribute('aria-hidden', 'true');
    name.prepend(swatch);
    const cell = (text: string, key: string, className = 'num') => {
      const td = element('td', text, className);
      td.dataset.key = key;
      return td;
    };
    const equivalent = cell(r.equivalent ? 'yes' : 'INVALID', 'equivalent', r.equivalent ? 'ok' : 'fail');
    equivalent.title = `largest relative output difference between π(B) and B: ${formatScientific(r.equivalenceError)}`;
    const exports = element('td', undefined, 'exports');
    for (const [label, type] of [['Export Aligned…', 'exportAligned'], ['Export Merged…', 'exportMerged']] as const) {
      const button = element('vscode-button', label);
      button.setAttribute('appearance', 'secondary');
      button.setAttribute('aria-label', `${label.replace('…', '')} checkpoint of ${METHOD_STYLE[method].label}`);
      button.dataset.export = type;
      button.addEventListener('click', () => ctx.post({ type, method }));
      exports.append(button);
    }
    tr.append(
      name,
      cell(r.barrier ? formatNumber(r.barrier.loss, 4) : '–', 'lossBarrier'),
      cell(r.barrier ? formatPercent(r.barrier.accuracy, 2) : '–', 'accuracyBarrier'),
      cell(r.path ? formatPercent(r.path.accuracy[middle] ?? NaN, 2) : '–', 'accuracyMiddle'),
      cell(formatNumber(r.seconds, 2), 'seconds'),
      equivalent,
      exports,
    );
    tbody.append(tr);
  }
  section.append(node);
  const inputs = report.equivalenceInputs === 'random' ? '256 seeded standard-normal inputs (there is no data)' : 'the first 256 evaluation samples';
  const invalid = methodsOf(report).filter(([, r]) => !r.equivalent).map(([m]) => METHOD_STYLE[m].label);
  const worst = Math.max(...methodsOf(report).map(([, r]) => r.equivalenceError));
  const equivalence = element('p', undefined, invalid.length ? 'equivalence fail' : 'equivalence ok');
  equivalence.setAttribute('role', invalid.length ? 'alert' : 'status');
  equivalence.textContent = invalid.length
    ? `Equivalence check failed for ${invalid.join(', ')}: π(B) does not reproduce B's outputs on ${inputs}; those results are INVALID.`
    : `Equivalence check passed for every method: π(B) reproduces B's outputs on ${inputs} (largest relative difference ${formatScientific(worst)}, below 10⁻⁵).`;
  section.append(
    element('p', 'Loss barrier: maxα [L(α) − ((1−α)L(0) + αL(1))]; accuracy barrier: the largest drop below the straight line between the endpoints\' accuracies. Export writes π(B), or the model merged at an α you choose, as safetensors next to B.', 'caption'),
    equivalence,
  );
  return section;
}

/** An MLP's widths; a transformer's blocks and heads; a convolutional network's input, layers and (residual) permutation groups. */
function architecture(report: CompareReport): string {
  const { architecture: arch, layers, groups } = report;
  if (arch.kind === 'transformer') return `${describeTransformer(report)}; ${arch.description ? `described by ${arch.description}` : 'inferred from the checkpoint'}`;
  if (arch.kind === 'mlp') return `MLP ${[arch.inputSize, ...layers.map((l) => l.width)].join(' → ')}, ${arch.activation}`;
  const residual = groups.filter((g) => g.layers.length > 1).length;
  const source = arch.description ? `described by ${arch.description}` : 'inferred from the checkpoint';
  const count = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
  const convs = count(layers.filter((l) => l.kind === 'conv').length, 'convolution');
  const linear = count(layers.filter((l) => l.kind === 'linear').length, 'linear layer');
  return `convolutional, ${arch.inputShape.join('×')} input, ${convs} and ${linear}, ${count(groups.length, 'permutation group')}${residual > 0 ? ` (${residual} residual)` : ''}; ${source}`;
}

function facts(report: CompareReport, cached: boolean): HTMLElement {
  const list = element('dl', undefined, 'facts');
  const data = report.data
    ? `${report.data.evaluation.file} (${report.data.evaluation.count} examples); alignment fit on ${report.data.fit.file} (${report.data.fit.count})`
    : 'none (weights only): the path, barriers and LLFC are not measured';
  const rows: [string, string][] = [
    ['Model A', `${report.checkpoints.a.file} (${report.checkpoints.a.format})`],
    ['Model B', `${report.checkpoints.b.file} (${report.checkpoints.b.format})`],
    ['Architecture', architecture(report)],
    ...(report.bnReset === null ? [] : [['BatchNorm', report.bnReset ? 'statistics recomputed on the fit data for every network along the path (reset)' : 'running statistics interpolated, not recomputed (no reset)'] as [string, string]]),
    ['Data', data],
    ['Backend', report.backendDetail],
    ['Result', `${report.tool}, ${report.createdAt}${cached ? ' (from the result cache)' : ''}`],
  ];
  for (const [key, value] of rows) {
    const dd = element('dd', value);
    if (key === 'Backend') dd.className = 'backend';
    list.append(element('dt', key), dd);
  }
  return list;
}

export function renderOverview(container: HTMLElement, ctx: TabContext, cached: boolean): TabView {
  const disposer = new Disposer();
  const { report } = ctx;
  const measured = methodsOf(report).filter((m): m is [MethodName, Measured] => m[1].path !== null && m[1].barrier !== null);
  container.append(
    measured.length > 0 ? pathFigure(report, measured, ctx, disposer) : element('p', 'Weights only: no evaluation data was given, so nothing was measured along the path. The Layers and Permutations tabs show the matching.', 'note'),
    barrierTable(report, ctx),
    facts(report, cached),
  );
  return { dispose: () => disposer.dispose() };
}
