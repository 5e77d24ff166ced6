import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_STATS_BUDGET_BYTES } from '../engine/inspect/inspectCheckpoint';
import { CHECKPOINT_EDITOR_VIEW_TYPES } from '../shared/checkpointFormats';
import type { GridToHost, HostToGrid } from '../shared/tensorGridProtocol';
import { JobCancelled } from './runJob';
import type { JobQueue } from './jobQueue';
import { loadWebviewBundle, webviewPanelOptions } from './pagePanel';

/** One view type per priority (package.json's customEditors): the same editor, default for some endings, an option for others. */
export const CHECKPOINT_EDITOR_TYPES: readonly string[] = Object.values(CHECKPOINT_EDITOR_VIEW_TYPES);

/**
 * Opening a checkpoint shows its tensors (name, dtype, shape, parameters, statistics) in a
 * searchable grid instead of binary bytes. Read-only: the document is just the file's URI, and
 * the background worker reads the file, header first, statistics within the usual budget.
 */
export class CheckpointEditorProvider implements vscode.CustomReadonlyEditorProvider {
  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly jobs: JobQueue,
  ) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => {} };
  }

  resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): void {
    const { enableScripts, localResourceRoots } = webviewPanelOptions(this.extensionUri);
    panel.webview.options = { enableScripts, localResourceRoots };
    const file = document.uri.fsPath;
    const abort = new AbortController();
    let shown: HostToGrid | undefined;
    const post = (message: HostToGrid) => {
      shown = message;
      void panel.webview.postMessage(message);
    };
    const read = async (statsBudgetBytes: number | null) => {
      post({ type: 'reading', file, stage: 'reading the header' });
      try {
        const report = await this.jobs.run(
          'inspect',
          { file, statsBudgetBytes },
          { title: `reading ${path.basename(file)}`, display: 'quiet', signal: abort.signal, onProgress: (stage) => post({ type: 'reading', file, stage }) },
        );
        post({ type: 'inspect', report });
      } catch (error) {
        if (!(error instanceof JobCancelled)) post({ type: 'failed', file, message: error instanceof Error ? error.message : String(error) });
      }
    };
    panel.webview.onDidReceiveMessage((message: GridToHost) => {
      if (message.type === 'ready' && shown) void panel.webview.postMessage(shown);
      if (message.type === 'computeAllStatistics') void read(null);
    });
    panel.onDidDispose(() => abort.abort());
    if (document.uri.scheme !== 'file') {
      post({ type: 'failed', file: document.uri.toString(), message: 'Merge Lens reads checkpoints from local files only.' });
    } else {
      void read(DEFAULT_STATS_BUDGET_BYTES);
    }
    loadWebviewBundle(panel.webview, this.extensionUri, 'tensors', path.basename(file));
  }
}
