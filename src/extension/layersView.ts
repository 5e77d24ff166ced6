import * as vscode from 'vscode';
import { layersViewItems, sameItems, type ComparisonState, type LayersViewItem } from './layersViewItems';

const STATUS_ICONS = { running: 'loading~spin', failed: 'error', cancelled: 'circle-slash' } as const;
/** A transformer's parts: the embeddings, a block, its attention and MLP, the head. */
const PART_ICONS = { embeddings: 'symbol-constant', block: 'symbol-namespace', attention: 'eye', mlp: 'symbol-array', head: 'symbol-event' } as const;

/**
 * The Merge Lens view: what the results panel shows, as Comparisons tells both. The shown
 * comparison's layers (click one to see it in the panel), or a line saying that a comparison
 * runs, failed or was cancelled.
 */
export class LayersView implements vscode.TreeDataProvider<LayersViewItem> {
  private state: ComparisonState | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  show(state: ComparisonState): void {
    const same = sameItems(this.state, state);
    this.state = state;
    if (!same) this.changed.fire();
  }

  getChildren(element?: LayersViewItem): LayersViewItem[] {
    if (element) return element.kind === 'part' ? [...element.children] : [];
    return layersViewItems(this.state);
  }

  getTreeItem(entry: LayersViewItem): vscode.TreeItem {
    if (entry.kind === 'status') {
      const item = new vscode.TreeItem(entry.label, vscode.TreeItemCollapsibleState.None);
      item.description = entry.description;
      item.tooltip = entry.tooltip;
      item.iconPath = new vscode.ThemeIcon(STATUS_ICONS[entry.state], entry.state === 'failed' ? new vscode.ThemeColor('errorForeground') : undefined);
      if (entry.state !== 'running') item.command = { command: 'mergeLens.showResults', title: 'Show Comparison Results' };
      return item;
    }
    if (entry.kind === 'part') {
      // Blocks open on their attention and MLP; those and the rest open on their layers when asked.
      const state = entry.children.length === 0 ? vscode.TreeItemCollapsibleState.None : entry.part === 'block' ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed;
      const item = new vscode.TreeItem(entry.label, state);
      item.id = `part:${entry.layer}`;
      item.description = entry.description;
      item.tooltip = new vscode.MarkdownString(entry.tooltip, true);
      item.iconPath = new vscode.ThemeIcon(PART_ICONS[entry.part]);
      item.command = { command: 'mergeLens.focusLayer', title: 'Show in Results', arguments: [entry.layer] };
      return item;
    }
    const item = new vscode.TreeItem(entry.label ?? entry.layer, vscode.TreeItemCollapsibleState.None);
    item.id = entry.layer;
    item.description = entry.description;
    item.tooltip = new vscode.MarkdownString(entry.tooltip, true);
    item.iconPath = new vscode.ThemeIcon(entry.permuted ? 'symbol-array' : 'symbol-event');
    item.command = { command: 'mergeLens.focusLayer', title: 'Show Layer in Results', arguments: [entry.layer] };
    return item;
  }
}
