import * as vscode from 'vscode';
import { bestMethod } from '../shared/bestMethod';
import type { CompareReport, LayerSummary } from '../shared/compareReport';
import { formatOptional } from '../shared/presentation/formatNumbers';
import { methodsOf } from '../shared/presentation/methodStyles';
import { DISTANCE_TEXT } from '../shared/presentation/neuronDistances';
import type { ShownComparison } from './comparisons';

/** As the panel's layer card shows them: four decimals unless said otherwise, 'n/a' where there is nothing. */
const number = (value: number | null | undefined, digits = 4) => formatOptional(value, digits);

/** The matching-cost tooltip of one layer: what the panel's Layers tab shows on hover. */
export function layerTooltip(report: CompareReport, layer: LayerSummary): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${layer.name}** · ${layer.width} units${layer.permuted ? '' : ' (outputs, not permuted)'}\n\n`);
  const dim = report.dimS.find((d) => d.layer === layer.name);
  if (dim) md.appendMarkdown(`Dim(S): A ${number(dim.a, 1)}, B ${number(dim.b, 1)}\n\n`);
  const rows = methodsOf(report).flatMap(([, m]) => {
    const matching = m.matching.find((x) => x.layer === layer.name);
    const barrier = m.layerBarriers.find((x) => x.layer === layer.name);
    if (!matching && !barrier) return [];
    return [
      `| ${m.method} | ${number(matching?.costBefore)} | ${number(matching?.costAfter)} | ${number(matching?.correlationBefore, 3)} | ${number(matching?.correlationAfter, 3)} | ${number(matching?.wasserstein.aligned)} | ${number(matching?.wasserstein.optimal)} | ${number(barrier?.loss)} |`,
    ];
  });
  if (rows.length) {
    const { w2, after, optimal } = DISTANCE_TEXT;
    md.appendMarkdown(`| method | cost before | cost after | corr. before | corr. after | ${w2} ${after} | ${w2} ${optimal} | layer barrier |\n|---|---:|---:|---:|---:|---:|---:|---:|\n`);
    md.appendMarkdown(`${rows.join('\n')}\n`);
  }
  return md;
}

/** The Merge Lens view: the shown comparison's layers; click one to see it in the panel. */
export class LayersView implements vscode.TreeDataProvider<LayerSummary> {
  private shown: ShownComparison | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  show(shown: ShownComparison | undefined): void {
    this.shown = shown;
    this.changed.fire();
  }

  getChildren(element?: LayerSummary): LayerSummary[] {
    return element || !this.shown ? [] : [...this.shown.report.layers];
  }

  getTreeItem(layer: LayerSummary): vscode.TreeItem {
    const report = this.shown!.report;
    const featured = bestMethod(report);
    const barrier = featured && report.methods[featured]?.layerBarriers.find((b) => b.layer === layer.name);
    const item = new vscode.TreeItem(layer.name, vscode.TreeItemCollapsibleState.None);
    item.id = layer.name;
    item.description = `${layer.width} units${barrier ? ` · ${featured} layer barrier ${number(barrier.loss, 3)}` : ''}`;
    item.tooltip = layerTooltip(report, layer);
    item.iconPath = new vscode.ThemeIcon(layer.permuted ? 'symbol-array' : 'symbol-event');
    item.command = { command: 'mergeLens.focusLayer', title: 'Show Layer in Results', arguments: [layer.name] };
    return item;
  }
}
