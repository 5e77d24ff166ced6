import * as path from 'node:path';
import * as vscode from 'vscode';
import { isCheckpointName } from '../shared/checkpointFormats';
import type { CompareReport, MethodName } from '../shared/compareReport';
import type { CompareArguments } from './commandArguments';
import type { Comparisons } from './comparisons';
import { compareChoicesFromSettings } from './mergeLensSettings';
import { pickCheckpoint, pickDataset, pickMethods } from './pickers';
import { readSettings } from './settings';

/** The last choices, per workspace: the next comparison starts from them. */
interface Remembered {
  readonly a?: string;
  readonly b?: string;
  /** null: "weights only" was chosen. */
  readonly data?: string | null;
  readonly methods?: readonly MethodName[];
}

const MEMORY_KEY = 'mergeLens.lastCompare';

function localFile(uri: vscode.Uri): string | undefined {
  if (uri.scheme === 'file') return uri.fsPath;
  void vscode.window.showErrorMessage(`Merge Lens reads checkpoints from local files; ${uri.toString()} is not one.`);
  return undefined;
}

/** The compare flow shared by every entry point: A and B known, ask the data and the methods. */
export class CompareCommands {
  private selected: vscode.Uri | undefined;

  constructor(
    private readonly state: vscode.Memento,
    private readonly comparisons: Comparisons,
  ) {}

  /** Command palette, or the explorer with several files selected (VS Code passes the selection). */
  async compare(clicked?: vscode.Uri, selection?: readonly vscode.Uri[]): Promise<void> {
    if (clicked) {
      const files = selection && selection.length > 0 ? selection : [clicked];
      if (files.length !== 2 || !files.every((uri) => isCheckpointName(uri.path))) {
        void vscode.window.showErrorMessage(
          `Merge Lens compares two checkpoint files; select exactly two (${files.length} ${files.length === 1 ? 'is' : 'are'} selected), or use Select Checkpoint for Compare and Compare Checkpoint with Selected.`,
        );
        return;
      }
      return this.compareFiles(files[0]!, files[1]!, 2);
    }
    const remembered = this.remembered();
    const title = (step: number) => `Merge Lens: Compare Checkpoints (${step}/4)`;
    const a = await pickCheckpoint(title(1), 'Checkpoint A: the reference', remembered.a);
    if (!a) return;
    const b = await pickCheckpoint(title(2), 'Checkpoint B: permuted to match A', remembered.b);
    if (!b) return;
    return this.compareFiles(a, b, 4);
  }

  /** Explorer: remember a file for Compare Checkpoint with Selected, as VS Code's own file comparison does. */
  select(uri: vscode.Uri | undefined): void {
    if (!uri) return;
    this.selected = uri;
    void vscode.commands.executeCommand('setContext', 'mergeLens.selectedForCompare', true);
    vscode.window.setStatusBarMessage(`Merge Lens: ${path.basename(uri.fsPath)} selected for compare`, 4000);
  }

  async compareWithSelected(uri: vscode.Uri | undefined): Promise<void> {
    if (!uri) return;
    if (!this.selected) {
      void vscode.window.showInformationMessage('Merge Lens: first choose Select Checkpoint for Compare on another checkpoint.');
      return;
    }
    return this.compareFiles(this.selected, uri, 2);
  }

  private async compareFiles(aUri: vscode.Uri, bUri: vscode.Uri, steps: number): Promise<void> {
    const a = localFile(aUri);
    const b = localFile(bUri);
    if (!a || !b) return;
    if (a === b) {
      void vscode.window.showErrorMessage(`Merge Lens: A and B are the same file (${path.basename(a)}); choose two checkpoints.`);
      return;
    }
    const remembered = this.remembered();
    const settings = readSettings();
    const title = (step: number) => `Merge Lens: Compare ${path.basename(a)} ↔ ${path.basename(b)} (${step}/${steps})`;
    const dataUri = await pickDataset(title(steps - 1), remembered.data);
    if (dataUri === undefined) return;
    const data = dataUri === null ? null : localFile(dataUri);
    if (data === undefined) return;
    const methods = await pickMethods(title(steps), remembered.methods ?? settings.methods, data !== null);
    if (!methods) return;
    if (methods.length === 0) {
      void vscode.window.showErrorMessage('Merge Lens: choose at least one method to compare with.');
      return;
    }
    await this.state.update(MEMORY_KEY, { a, b, data, methods } satisfies Remembered);
    await this.comparisons.compare(compareChoicesFromSettings(readSettings(), { a, b, data }, methods));
  }

  /** A call from a script or another extension: nothing asked, the report (or undefined) returned. */
  scripted(args: CompareArguments): Promise<CompareReport | undefined> {
    return this.comparisons.compare(compareChoicesFromSettings(readSettings(), { a: args.a, b: args.b, data: args.data ?? null }, args.methods));
  }

  private remembered(): Remembered {
    return this.state.get<Remembered>(MEMORY_KEY) ?? {};
  }
}
