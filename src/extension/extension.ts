/**
 * The extension host entry. It stays light: it asks, starts workers and shows; every file read
 * and every computation happens in the background worker (dist/worker.js).
 */
import * as vscode from 'vscode';
import { inspectCheckpointCommand, INSPECT_SCHEME, InspectDocuments } from './inspectCommand';
import { JobQueue } from './jobQueue';
import { readSettings } from './settings';

export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel('Merge Lens');
  const jobs = new JobQueue(context.asAbsolutePath('dist/worker.js'), () => readSettings().workers);
  const documents = new InspectDocuments();
  context.subscriptions.push(
    output,
    jobs,
    vscode.workspace.registerTextDocumentContentProvider(INSPECT_SCHEME, documents),
    vscode.commands.registerCommand('mergeLens.inspectCheckpoint', (uri?: vscode.Uri) => inspectCheckpointCommand(jobs, documents, output, uri)),
  );
}

export function deactivate(): void {}
