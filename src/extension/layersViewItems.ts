/**
 * What the Merge Lens view lists for the comparison state the results panel shows: the layers of
 * a shown report, or one line saying that a comparison runs, failed or was cancelled. No `vscode`
 * import: layersView.ts turns these into tree items.
 */
import { bestMethod } from '../shared/bestMethod';
import type { CompareReport, LayerSummary } from '../shared/compareReport';
import type { HostToPanel } from '../shared/panelProtocol';
import { formatNumber } from '../shared/presentation/formatNumbers';
import { layerCosts } from '../shared/presentation/layerCosts';

/** The panel messages that set what it shows: Comparisons sends each to the panel and to the view. */
export type ComparisonState = Extract<HostToPanel, { type: 'running' | 'report' | 'failed' | 'cancelled' }>;

export type LayersViewItem =
  | {
      readonly kind: 'layer';
      readonly layer: string;
      readonly permuted: boolean;
      readonly description: string;
      /** Markdown: the panel's layer card as a table. */
      readonly tooltip: string;
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
      return state.report.layers.map((layer) => layerItem(state.report, layer));
    case 'running':
      return [{ kind: 'status', state: 'running', label: `Comparing ${state.title}`, description: `${state.stage}…`, tooltip: `Comparing ${state.title}: ${state.stage}…` }];
    case 'failed':
      return [{ kind: 'status', state: 'failed', label: `${state.title}: the comparison failed`, description: state.message, tooltip: state.message }];
    case 'cancelled':
      return [{ kind: 'status', state: 'cancelled', label: `${state.title}: cancelled`, description: '', tooltip: 'The comparison was cancelled. Nothing was written.' }];
  }
}

/** The markdown of a layer's tooltip: the same table as the panel's layer card (layerCosts). */
export function layerTooltip(report: CompareReport, layer: LayerSummary): string {
  const costs = layerCosts(report, layer.name);
  const lines = [`**${layer.name}** · ${layer.width} units${layer.permuted ? '' : ' (outputs, not permuted)'}`, ''];
  if (costs.dimensions) lines.push(costs.dimensions, '');
  if (costs.rows.length > 0) {
    const cell = (text: string) => text.replace(/\|/g, '\\|');
    lines.push(`| ${costs.headers.map(cell).join(' | ')} |`, `|---|${costs.headers.slice(1).map(() => '---:').join('|')}|`);
    for (const row of costs.rows) lines.push(`| ${row.map(cell).join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}

function layerItem(report: CompareReport, layer: LayerSummary): LayersViewItem {
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
