/**
 * The extension host entry. It stays light: it asks, starts workers and shows; every file read
 * and every computation happens in the background worker (dist/worker.js).
 */
import * as vscode from 'vscode';
import { inspectCheckpointCommand, INSPECT_SCHEME, InspectDocuments } from './inspectCommand';

export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel('Merge Lens');
  const documents = new InspectDocuments();
  context.subscriptions.push(
    output,
    vscode.workspace.registerTextDocumentContentProvider(INSPECT_SCHEME, documents),
    vscode.commands.registerCommand('mergeLens.inspectCheckpoint', (uri?: vscode.Uri) =>
      inspectCheckpointCommand(context, documents, output, uri),
    ),
  );
}

export function deactivate(): void {}
