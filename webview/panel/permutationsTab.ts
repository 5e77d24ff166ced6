/**
 * Permutations: for a chosen method and hidden layer, the cosine between every unit of A (rows)
 * and of B (columns), asked of the host on choosing; columns in B's own order or reordered by the
 * permutation found. Hover (or the arrow keys) names the two units with their exact cosine and cost.
 */
import { bestMethod } from '../../src/shared/bestMethod';
import type { LayerMatching, MethodName } from '../../src/shared/compareReport';
import { formatNumber } from '../../src/shared/presentation/formatNumbers';
import { layerLabel } from '../../src/shared/presentation/layerLabel';
import { groupLabel, nameLabel, partOf } from '../../src/shared/presentation/transformerParts';
import { METHOD_STYLE, methodsOf } from '../../src/shared/presentation/methodStyles';
import { pairCost, type UnitSimilarity } from '../../src/shared/unitSimilarity';
import { ticksWithin } from '../../src/shared/presentation/ticks';
import { attachCellEvents, drawHeatmap, type CellWindow, type PlotRect } from './canvasHeatmap';
import { colorScale } from './colorScale';
import { element, table, uniqueId } from './dom';
import { headFigure } from './headHeatmaps';
import { markPending, onSimilarity, similarityEntry, type SimilarityEntry } from './similarityStore';
import { attachZoom, fullWindow, panTo } from './heatmapZoom';
import { columnUnit, similarityImage, type SimilarityImage } from './similarityImage';
import { Disposer, type TabContext, type TabView } from './tabView';
import { createTooltip } from './tooltip';

const PLOT_SIDE = 600;
const WORST_PAIRS = 10;

type Dropdown = HTMLElement & { value: string };
type Checkbox = HTMLElement & { checked: boolean };

/** Images already drawn, by method, layer and order: the theme and tab switches redraw from here. */
const images = new Map<string, SimilarityImage>();

function labelled(text: string, control: HTMLElement): HTMLElement {
  const wrap = element('div', undefined, 'control');
  const label = element('label', text);
  label.id = uniqueId('label');
  control.setAttribute('aria-labelledby', label.id);
  wrap.append(label, control);
  return wrap;
}

function dropdown(id: string, options: readonly [value: string, text: string][], value: string): Dropdown {
  const node = element('vscode-dropdown') as Dropdown;
  node.id = id;
  for (const [v, text] of options) {
    const option = element('vscode-option', text);
    option.setAttribute('value', v);
    if (v === value) option.setAttribute('selected', '');
    node.append(option);
  }
  return node;
}

function pairLine(similarity: UnitSimilarity, i: number, j: number): string {
  return `cosine ${formatNumber(similarity.cosine[i * similarity.size + j]!, 4)}, cost ${formatNumber(pairCost(similarity, i, j), 4)}`;
}

/** The matched pairs, worst first: the report's unit costs beside the similarity's cosines. */
function matchedPairs(matching: LayerMatching, similarity: UnitSimilarity): HTMLElement {
  const section = element('section', undefined, 'matched-pairs');
  const costs = matching.unitCosts;
  const order = costs.map((_, i) => i).sort((a, b) => costs[b]! - costs[a]!);
  const sorted = [...costs].sort((a, b) => a - b);
  const mean = costs.reduce((s, c) => s + c, 0) / Math.max(1, costs.length);
  const median = sorted.length ? (sorted[(sorted.length - 1) >> 1]! + sorted[sorted.length >> 1]!) / 2 : NaN;
  const moved = matching.permutation.filter((j, i) => j !== i).length;
  const summary = element('p', `${costs.length} matched pairs, ${moved} units moved. Relative cost ‖a − b‖ / ‖a‖ of the matched pairs: mean ${formatNumber(mean, 4)}, median ${formatNumber(median, 4)}, largest ${formatNumber(sorted[sorted.length - 1] ?? NaN, 4)}.`, 'summary');
  summary.id = uniqueId('pairs');
  const row = (i: number) => {
    const j = matching.permutation[i]!;
    return [`A unit ${i}`, `B unit ${j}`, formatNumber(similarity.cosine[i * similarity.size + j]!, 4), formatNumber(costs[i]!, 4)];
  };
  const head = ['A unit', 'B unit (matched)', 'Cosine', 'Cost'];
  section.append(
    element('h3', 'Matched pairs'),
    summary,
    table(`The ${Math.min(WORST_PAIRS, order.length)} worst-matched pairs`, head, order.slice(0, WORST_PAIRS).map(row), 2),
  );
  // Every pair only on request: thousands of rows are cheap to keep out of the page until asked for.
  const all = element('details', undefined, 'figure-data');
  all.append(element('summary', `All ${costs.length} matched pairs`));
  all.addEventListener('toggle', () => {
    if (all.open && all.children.length === 1) all.append(table(null, head, costs.map((_, i) => row(i)), 2));
  });
  section.append(all);
  return section;
}

export function renderPermutations(container: HTMLElement, ctx: TabContext): TabView {
  const disposer = new Disposer();
  const { report } = ctx;
  const methods = methodsOf(report).filter(([, r]) => r.matching.length > 0);
  if (methods.length === 0) {
    container.append(element('p', 'No hidden layer is permuted in this comparison.', 'note'));
    return { dispose: () => disposer.dispose() };
  }
  const tooltip = createTooltip('similarity-tooltip');
  disposer.add(() => tooltip.dispose());
  // The head maps' own card: the unit map redraws (and hides its card) when it arrives from the
  // worker, which must not close a card open over a head map.
  const headTooltip = createTooltip('similarity-tooltip');
  disposer.add(() => headTooltip.dispose());

  const saved = ctx.state();
  let method: MethodName = methods.some(([m]) => m === saved.method) ? saved.method! : (bestMethod(report) ?? methods[0]![0]);
  const layersOf = (m: MethodName) => report.methods[m]!.matching.map((x) => x.layer);
  let layer = saved.layer && layersOf(method).includes(saved.layer) ? saved.layer : layersOf(method)[0]!;
  let aligned = saved.aligned;

  const methodPicker = dropdown('permutation-method', methods.map(([m]) => [m, METHOD_STYLE[m].label]), method);
  const groupOptions = (m: MethodName) => layersOf(m).map((l): [string, string] => [l, groupLabel(report, l)]);
  const layerPicker = dropdown('permutation-layer', groupOptions(method), layer);
  const alignedBox = element('vscode-checkbox', 'Columns in matched order (aligned)') as Checkbox;
  alignedBox.id = 'permutation-aligned';
  alignedBox.checked = aligned;
  const toolbar = element('div', undefined, 'toolbar');
  toolbar.append(labelled('Method', methodPicker), labelled(report.architecture.kind === 'transformer' ? 'Group' : 'Layer', layerPicker), alignedBox);

  const body = element('div', undefined, 'permutation-body');
  body.setAttribute('aria-live', 'polite');
  // A residual group is one permutation of every layer writing into the stage: one heatmap, its layers listed.
  const spans = element('p', undefined, 'note');
  spans.id = 'permutation-group-layers';
  // A transformer's heads, above its units: the maps follow the method and the column order.
  const heads = element('div', undefined, 'head-figure');
  let headsDrawn = '';
  container.append(toolbar, heads, spans, body);

  let shown: SimilarityEntry | undefined;
  const show = () => {
    ctx.update({ method, layer, aligned });
    if (headsDrawn !== `${method}\u0000${aligned}`) {
      headsDrawn = `${method}\u0000${aligned}`;
      headTooltip.hide();
      const figure = headFigure({ report, method, aligned, theme: ctx.theme, tooltip: headTooltip, onPick: (h) => focusGroup(h.queryKey) });
      heads.replaceChildren(...(figure ? [figure] : []));
    }
    const group = report.groups.find((g) => g.name === layer);
    spans.textContent = group && group.layers.length > 1
      ? `One permutation of ${group.size} ${group.role ? 'units' : 'channels'} shared by ${group.layers.length} layers: ${group.layers.map(layerLabel).join(', ')}. The similarity concatenates every weight the group touches.`
      : '';
    // Rotary embeddings turn each query/key pair at its own frequency: those units move only as whole heads.
    if (group?.heads && !group.heads.withinHead) spans.textContent = `${spans.textContent} With rotary position embeddings these query/key units move only as whole heads (${group.heads.count}), never within one.`.trim();
    spans.hidden = spans.textContent === '';
    let entry = similarityEntry(method, layer);
    if (!entry) {
      markPending(method, layer);
      ctx.post({ type: 'requestSimilarity', method, layer });
      entry = similarityEntry(method, layer)!;
    }
    shown = entry;
    tooltip.hide();
    if (entry.kind === 'pending') {
      const status = element('p', undefined, 'status');
      status.append(element('vscode-progress-ring'), element('span', `Computing the similarity of every unit pair in ${nameLabel(report, layer)} (${METHOD_STYLE[method].label})…`));
      body.replaceChildren(status);
    } else if (entry.kind === 'failed') {
      const box = element('div', undefined, 'error');
      box.setAttribute('role', 'alert');
      box.append(element('p', `Cannot show ${nameLabel(report, layer)}: ${entry.message}`));
      body.replaceChildren(box);
    } else {
      body.replaceChildren(...heatmap(entry.similarity));
    }
  };

  function heatmap(similarity: UnitSimilarity): Node[] {
    const n = similarity.size;
    const ratio = window.devicePixelRatio || 1;
    const maxSide = Math.min(1024, Math.round(PLOT_SIDE * ratio));
    const key = `${method}\u0000${layer}\u0000${aligned}\u0000${ratio}`;
    let whole = images.get(key);
    if (!whole) {
      whole = similarityImage(similarity, aligned, maxSide);
      images.set(key, whole);
    }
    // Small layers get whole screen pixels per cell, so every cell is the same size.
    const side = whole.image.width <= PLOT_SIDE ? whole.image.width * Math.max(1, Math.floor(PLOT_SIDE / whole.image.width)) : PLOT_SIDE;
    const canvas = element('canvas', undefined, 'heatmap similarity-heatmap');
    canvas.dataset.chart = 'similarity';
    canvas.dataset.units = String(n);
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', `Cosine similarity of A's ${n} units (rows) and B's units (columns, ${aligned ? 'ordered by the permutation, so matched pairs lie on the diagonal' : "in B's own order"}) in ${nameLabel(report, layer)}; arrow keys move between cells, + and − zoom`);
    const region = element('div', undefined, 'zoom-region');
    region.hidden = true;
    const stage = element('div', undefined, 'heatmap-stage');
    stage.append(canvas, region);
    const reset = element('vscode-button', 'Show every unit', 'zoom-reset');
    reset.setAttribute('appearance', 'secondary');
    const zoomNote = element('span', undefined, 'zoom-note');
    zoomNote.setAttribute('aria-live', 'polite');
    const zoomBar = element('div', undefined, 'zoom-bar');
    zoomBar.append(reset, zoomNote);

    let view: CellWindow = fullWindow(n, n);
    let plot: PlotRect = { left: 0, top: 0, width: side, height: side };
    const draw = () => {
      const zoomed = view.rows < n || view.columns < n;
      const picture = zoomed ? similarityImage(similarity, aligned, maxSide, view) : whole!;
      canvas.dataset.block = String(picture.block);
      canvas.dataset.window = `${view.row0},${view.rows},${view.column0},${view.columns}`;
      const unitTicks = (first: number, count: number) => ticksWithin(first, first + count - 1, 4, true).values.map((u) => ({ at: (u - first + 0.5) / count, text: String(u) }));
      plot = drawHeatmap(canvas, {
        image: picture.image,
        plotWidth: side,
        plotHeight: side,
        title: `${METHOD_STYLE[method].label} · ${nameLabel(report, layer)}${picture.block > 1 ? ` (block maxima of ${picture.block} × ${picture.block} units)` : ''}`,
        xTitle: aligned ? 'B unit π(i), columns in the order of A\'s units (aligned)' : 'B unit j (B\'s own order)',
        yTitle: 'A unit i',
        xTicks: unitTicks(view.column0, view.columns),
        yTicks: unitTicks(view.row0, view.rows),
        left: 56,
      }, ctx.theme);
      // The bar stays in place whether zoomed or not, so the map never jumps under the pointer.
      reset.toggleAttribute('disabled', !zoomed);
      zoomNote.textContent = zoomed
        ? `Zoomed to rows ${view.row0}–${view.row0 + view.rows - 1} and columns ${view.column0}–${view.column0 + view.columns - 1} of ${n}.`
        : `Every unit: ${n} × ${n}.`;
    };
    const zoom = (to: CellWindow) => {
      view = to;
      tooltip.hide();
      draw();
    };
    reset.addEventListener('click', () => zoom(fullWindow(n, n)));
    draw();
    const cursor = attachCellEvents(canvas, {
      rows: n,
      columns: n,
      plot: () => plot,
      window: () => view,
      reveal: (cell) => zoom(panTo(view, cell.row, cell.column)),
      onCell: (cell, x, y) => {
        if (!cell) return tooltip.hide();
        const i = cell.row;
        const j = columnUnit(similarity, aligned, cell.column);
        const matched = similarity.permutation[i]!;
        const lines = [
          element('p', `A unit ${i} ↔ B unit ${j}`, 'card-title'),
          element('p', pairLine(similarity, i, j), 'card-values'),
          element('p', matched === j ? 'the matched pair' : `A unit ${i} is matched with B unit ${matched}: ${pairLine(similarity, i, matched)}`, 'card-note'),
        ];
        tooltip.element.dataset.a = String(i);
        tooltip.element.dataset.b = String(j);
        tooltip.show(lines, x, y);
      },
    });
    attachZoom(canvas, region, { rows: n, columns: n, plot: () => plot, window: () => view, zoom, cursor });
    canvas.setAttribute('aria-describedby', tooltip.element.id);

    const help = element('p', 'Hover a cell for its two units. Drag a rectangle to zoom in on it; Ctrl + wheel zooms around the pointer, and a double click (or Show every unit) zooms out. With the map focused (Tab, or a click), the arrow keys move the selection one unit at a time (Page Up and Page Down by a tenth) and + and − zoom around it.', 'note heatmap-help');
    // Under the plot and as wide, so the colours and the cells line up.
    const bar = colorScale({ domain: whole.domain, label: 'cosine of the units\' weight vectors', width: Math.max(320, side) });
    bar.style.marginLeft = `${plot.left}px`;

    const figure = element('figure', undefined, 'figure');
    figure.append(
      help,
      zoomBar,
      stage,
      bar,
      element('figcaption', `Cosine between A's unit i and B's unit j, each unit the concatenation of every weight it touches (its row and bias, its column in the next layer), B's other layers already permuted. ${aligned ? "Column i shows B's unit π(i): a good matching is a bright diagonal." : "Columns in B's own order: the matching is scattered."} Cost ‖a − b‖ / ‖a‖.`, 'caption'),
    );
    const matching = report.methods[method]!.matching.find((m) => m.layer === layer);
    const nodes: Node[] = [figure];
    if (matching && matching.unitCosts.length === n) {
      const pairs = matchedPairs(matching, similarity);
      canvas.setAttribute('aria-describedby', `${tooltip.element.id} ${pairs.querySelector('.summary')!.id}`);
      nodes.push(pairs);
    }
    return nodes;
  }

  methodPicker.addEventListener('change', () => {
    if (methodPicker.value === method || !methods.some(([m]) => m === methodPicker.value)) return;
    method = methodPicker.value as MethodName;
    if (!layersOf(method).includes(layer)) layer = layersOf(method)[0]!;
    layerPicker.replaceChildren(...dropdown('', groupOptions(method), layer).children);
    layerPicker.value = layer;
    show();
  });
  layerPicker.addEventListener('change', () => {
    if (layerPicker.value === layer || !layersOf(method).includes(layerPicker.value)) return;
    layer = layerPicker.value;
    show();
  });
  alignedBox.addEventListener('change', () => {
    if (alignedBox.checked === aligned) return;
    aligned = alignedBox.checked;
    show();
  });
  disposer.add(onSimilarity(() => {
    if (similarityEntry(method, layer) !== shown) show();
  }));
  function focusGroup(named: string): void {
    // A layer is shown by the group its outputs lie in (a residual stage's, a transformer's); a transformer's part by its first group.
    const name = layersOf(method).includes(named) ? named : (report.layers.find((l) => l.name === named)?.group ?? partOf(report, named)?.groups[0] ?? named);
    if (!layersOf(method).includes(name)) return;
    layer = name;
    layerPicker.value = name;
    show();
  }
  show();
  return { dispose: () => disposer.dispose(), focusLayer: focusGroup };
}

/** A new report: its matrices are different. */
export function clearSimilarityImages(): void {
  images.clear();
}
