/**
 * What the Merge Lens view lists for the comparison state the results panel shows: the layers of
 * a shown report, or one line saying that a comparison runs, failed or was cancelled. No `vscode`
 * import: layersView.ts turns these into tree items.
 */
import { bestMethod } from '../shared/bestMethod';
import type { CompareReport, LayerSummary } from '../shared/compareReport';
import type { HostToPanel } from '../shared/panelProtocol';
import { formatNumber } from '../shared/presentation/formatNumbers';
import { headPairsText, headMovesText } from '../shared/presentation/headMatching';
import { layerCosts } from '../shared/presentation/layerCosts';
import { METHOD_STYLE, methodsOf } from '../shared/presentation/methodStyles';
import { groupLabel, layerInBlockLabel, layerNameLabel, transformerOutline, type TransformerPart } from '../shared/presentation/transformerParts';

/** The panel messages that set what it shows: Comparisons sends each to the panel and to the view. */
export type ComparisonState = Extract<HostToPanel, { type: 'running' | 'report' | 'failed' | 'cancelled' }>;

export type LayersViewItem =
  | {
      readonly kind: 'layer';
      readonly layer: string;
      /** What the item reads, when not the layer's name (a transformer's layer, by its block). */
      readonly label?: string;
      readonly permuted: boolean;
      readonly description: string;
      /** Markdown: the panel's layer card as a table. */
      readonly tooltip: string;
    }
  | {
      /** A transformer's part: the embeddings, a block (its attention and MLP inside), a sub-layer (its layers inside), the head. */
      readonly kind: 'part';
      readonly part: TransformerPart['kind'];
      /** The part's name, as the panel's focusLayer takes it. */
      readonly layer: string;
      readonly label: string;
      readonly description: string;
      /** Markdown: each of its groups' matching-cost tables, as the panel's part card. */
      readonly tooltip: string;
      readonly children: readonly LayersViewItem[];
    }
  | {
      readonly kind: 'status';
      readonly state: Exclude<ComparisonState['type'], 'report'>;
      readonly label: string;
      readonly description: string;
      readonly tooltip: string;
    };

export function layersViewItems(state: ComparisonState | undefined): LayersViewItem[] {
  switch (state?.type) {
    case undefined:
      // Nothing compared yet: the view's welcome text shows instead.
      return [];
    case 'report':
      return transformerOutline(state.report) ? transformerItems(state.report) : state.report.layers.map((layer) => layerItem(state.report, layer));
    case 'running':
      return [{ kind: 'status', state: 'running', label: `Comparing ${state.title}`, description: `${state.stage}…`, tooltip: `Comparing ${state.title}: ${state.stage}…` }];
    case 'failed':
      return [{ kind: 'status', state: 'failed', label: `${state.title}: the comparison failed`, description: state.message, tooltip: state.message }];
    case 'cancelled':
      return [{ kind: 'status', state: 'cancelled', label: `${state.title}: cancelled`, description: '', tooltip: 'The comparison was cancelled. Nothing was written.' }];
  }
}

/** A table in markdown, its first column text and the rest numbers. */
function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  return [`| ${headers.map(cell).join(' | ')} |`, `|---|${headers.slice(1).map(() => '---:').join('|')}|`, ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`)];
}

/** The markdown of a layer's tooltip: the same table as the panel's layer card (layerCosts). */
export function layerTooltip(report: CompareReport, layer: LayerSummary): string {
  const costs = layerCosts(report, layer.name);
  const lines = [`**${layer.name}** · ${layer.width} units${layer.permuted ? '' : ' (outputs, not permuted)'}`, ''];
  if (costs.dimensions) lines.push(costs.dimensions, '');
  if (costs.rows.length > 0) lines.push(...markdownTable(costs.headers, costs.rows));
  return `${lines.join('\n')}\n`;
}

/** The markdown of a transformer part's tooltip: each group's table as the panel's part card has it, and an attention's head matching. */
export function partTooltip(report: CompareReport, part: TransformerPart): string {
  const lines = [`**${part.label}**${part.layers.length ? ` · ${part.layers.map((l) => layerInBlockLabel(report, l)).join(', ')}` : ''}`, ''];
  if (part.kind === 'head') lines.push('The outputs keep their order: no matching here.', '');
  for (const group of part.groups) {
    const costs = layerCosts(report, group);
    const size = report.groups.find((g) => g.name === group)?.size;
    lines.push(`**${groupLabel(report, group)}**${size === undefined ? '' : `: ${size} units`}`, '');
    if (costs.rows.length > 0) lines.push(...markdownTable(costs.headers, costs.rows), '');
    if (costs.dimensions) lines.push(`${costs.dimensions} (${layerNameLabel(report, group)})`, '');
  }
  if (part.kind === 'attention') {
    const heads = methodsOf(report).flatMap(([m, r]) => r.heads?.filter((h) => h.block === part.block).map((h) => [m, h] as const) ?? []);
    if (heads.length > 0) lines.push(...markdownTable(['Method', 'Heads (A→B)', 'Head matching'], heads.map(([m, h]) => [METHOD_STYLE[m].label, headPairsText(h), headMovesText(h)])), '');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

/** The featured method's barrier of a layer or part, as the Layers tab prints it (four decimals). */
function barrierText(report: CompareReport, name: string): string {
  const featured = bestMethod(report);
  const barrier = featured && report.methods[featured]?.layerBarriers.find((b) => b.layer === name);
  return barrier ? `${featured} barrier ${formatNumber(barrier.loss, 4)}` : '';
}

/**
 * A transformer as the side bar lists it: the embeddings, each block (its attention and MLP, each
 * with its layers), the head, in network order.
 */
function transformerItems(report: CompareReport): LayersViewItem[] {
  const outline = transformerOutline(report)!;
  const layerOf = new Map(report.layers.map((l) => [l.name, l]));
  const partItem = (part: TransformerPart, label: string, children: readonly LayersViewItem[]): LayersViewItem => {
    const size = part.groups.reduce((n, g) => n + (report.groups.find((x) => x.name === g)?.size ?? 0), 0);
    const units = part.kind === 'block' || part.groups.length === 0 ? '' : `${size} units`;
    return {
      kind: 'part',
      part: part.kind,
      layer: part.name,
      label,
      description: [units, barrierText(report, part.name)].filter((t) => t !== '').join(' · '),
      tooltip: partTooltip(report, part),
      children,
    };
  };
  const layers = (part: TransformerPart): (LayersViewItem & { kind: 'layer' })[] =>
    part.layers.flatMap((name) => {
      const layer = layerOf.get(name);
      return layer ? [{ ...layerItem(report, layer), label: layerInBlockLabel(report, name) }] : [];
    });
  return outline.parts.flatMap((part): LayersViewItem[] => {
    if (part.kind === 'attention' || part.kind === 'mlp') return [];
    if (part.kind !== 'block') return [partItem(part, part.label, layers(part).filter((l) => l.layer !== part.name))];
    const block = outline.blocks.find((b) => b.name === part.name)!;
    const { attention, mlp } = block.parts;
    return [partItem(part, block.label, [partItem(attention, 'attention', layers(attention)), partItem(mlp, 'MLP', layers(mlp))])];
  });
}

function layerItem(report: CompareReport, layer: LayerSummary): LayersViewItem & { kind: 'layer' } {
  const featured = bestMethod(report);
  const barrier = featured && report.methods[featured]?.layerBarriers.find((b) => b.layer === layer.name);
  return {
    kind: 'layer',
    layer: layer.name,
    permuted: layer.permuted,
    // Four decimals, as the panel's Layers tab prints a layer barrier.
    description: `${layer.width} units${barrier ? ` · ${featured} layer barrier ${formatNumber(barrier.loss, 4)}` : ''}`,
    tooltip: layerTooltip(report, layer),
  };
}

/** Whether the view must be redrawn: a running comparison's progress moves often, its stage seldom. */
export function sameItems(a: ComparisonState | undefined, b: ComparisonState | undefined): boolean {
  if (a === b) return true;
  return a?.type === 'running' && b?.type === 'running' && a.title === b.title && a.stage === b.stage;
}
