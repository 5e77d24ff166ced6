import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatInspectText } from '../engine/inspect/formatInspectText';
import { DEFAULT_STATS_BUDGET_BYTES } from '../engine/inspect/inspectCheckpoint';
import type { InspectReport } from '../shared/inspectReport';
import type { JobQueue } from './jobQueue';
import { pickCheckpoint } from './pickers';
import { showJobError } from './showJobError';

export const INSPECT_SCHEME = 'merge-lens-inspect';

/** Read-only documents holding inspect results, keyed by their virtual URI. */
export class InspectDocuments implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  set(uri: vscode.Uri, text: string): void {
    this.texts.set(uri.toString(), text);
    this.changed.fire(uri);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }
}

/** Merge Lens: Inspect Checkpoint — from the palette (asks for a file) or the explorer (the file clicked); resolves to the report shown. */
export async function inspectCheckpointCommand(
  jobs: JobQueue,
  documents: InspectDocuments,
  output: vscode.OutputChannel,
  uri?: vscode.Uri,
): Promise<InspectReport | undefined> {
  const target = uri ?? (await pickCheckpoint('Merge Lens: Inspect Checkpoint'));
  if (!target) return undefined;
  if (target.scheme !== 'file') {
    void vscode.window.showErrorMessage(`Merge Lens reads checkpoints from local files; ${target.toString()} is not one.`);
    return undefined;
  }
  const file = target.fsPath;
  const name = path.basename(file);
  try {
    const report = await jobs.run('inspect', { file, statsBudgetBytes: DEFAULT_STATS_BUDGET_BYTES }, { title: `inspecting ${name}`, display: 'notification' });
    const documentUri = vscode.Uri.from({ scheme: INSPECT_SCHEME, path: `/${name}.inspect.txt`, query: file });
    documents.set(documentUri, formatInspectText(report));
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(documentUri), { preview: true });
    return report;
  } catch (error) {
    void showJobError(error, `inspecting ${name}`, output);
    return undefined;
  }
}
