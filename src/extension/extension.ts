/**
 * The extension host entry. It stays light: it asks, starts workers and shows; every file read
 * and every computation happens in a background worker (dist/worker.js).
 */
import * as vscode from 'vscode';
import { ResultCache } from '../cache/resultCache';
import { parseSeriesViewState } from '../shared/seriesViewState';
import { BACKEND_HINT_DISMISSED, BackendHint } from './backendHint';
import { compareArguments, exportArguments, seriesArguments } from './commandArguments';
import { CheckpointEditorProvider, CHECKPOINT_EDITOR_TYPES } from './checkpointEditor';
import { CompareCommands } from './compareCommand';
import { Comparisons } from './comparisons';
import { ExportCommands } from './exportCommands';
import { inspectCheckpointCommand, INSPECT_SCHEME, InspectDocuments } from './inspectCommand';
import { JobQueue } from './jobQueue';
import { LayersView } from './layersView';
import { webviewPanelOptions } from './pagePanel';
import { restoredCacheKey } from './resultsPanel';
import { SeriesCommands } from './seriesCommand';
import { SeriesRuns } from './seriesRuns';
import { readSettings } from './settings';
import { RESULTS_VIEW_TYPE, SERIES_VIEW_TYPE } from './viewTypes';

export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel('Merge Lens');
  const jobs = new JobQueue(context.asAbsolutePath('dist/worker.js'), readSettings);
  // Without a workspace there is no workspace storage: results are then cached per user.
  const storage = context.storageUri ?? context.globalStorageUri;
  const cacheDirectory = vscode.Uri.joinPath(storage, 'results').fsPath;
  const cache = new ResultCache({
    directory: cacheDirectory,
    // Hashing gigabytes is work for a worker, not for the editor's thread.
    hashFiles: async (files, signal) =>
      (await jobs.run('fingerprint', { files }, { title: 'fingerprinting the files', display: 'quiet', ...(signal ? { signal } : {}) })).sha256,
  });
  const comparisons = new Comparisons(context.extensionUri, jobs, cache, () => readSettings().threads, output);
  const exports = new ExportCommands(comparisons, jobs, output);
  const compare = new CompareCommands(context.workspaceState, comparisons);
  const seriesRuns = new SeriesRuns(context.extensionUri, jobs, comparisons, cacheDirectory, () => readSettings().threads, output);
  const series = new SeriesCommands(context.workspaceState, seriesRuns, output);
  const layers = new LayersView();
  const backendHint = new BackendHint(
    {
      log: (line) => output.appendLine(line),
      notify: (message, button) => vscode.window.showInformationMessage(message, button),
      dismissed: () => context.globalState.get<boolean>(BACKEND_HINT_DISMISSED) === true,
      dismiss: () => context.globalState.update(BACKEND_HINT_DISMISSED, true),
    },
    context.extensionPath,
  );
  const documents = new InspectDocuments();
  context.subscriptions.push(
    output,
    jobs,
    comparisons,
    seriesRuns,
    comparisons.onDidChange((state) => {
      layers.show(state);
      if (state.type === 'report') void backendHint.consider(state.report);
    }),
    comparisons.onDidAskExport(({ method, merged }) => void (merged ? exports.merged(method) : exports.aligned(method))),
    vscode.window.registerTreeDataProvider('mergeLens.layers', layers),
    vscode.workspace.registerTextDocumentContentProvider(INSPECT_SCHEME, documents),
    vscode.window.registerWebviewPanelSerializer(RESULTS_VIEW_TYPE, {
      async deserializeWebviewPanel(panel, state) {
        panel.webview.options = webviewPanelOptions(context.extensionUri);
        await comparisons.restore(panel, restoredCacheKey(state));
      },
    }),
    vscode.window.registerWebviewPanelSerializer(SERIES_VIEW_TYPE, {
      async deserializeWebviewPanel(panel, state) {
        panel.webview.options = webviewPanelOptions(context.extensionUri);
        await seriesRuns.restore(panel, parseSeriesViewState(state).shown);
      },
    }),
    ...CHECKPOINT_EDITOR_TYPES.map((viewType) =>
      vscode.window.registerCustomEditorProvider(viewType, new CheckpointEditorProvider(context.extensionUri, jobs), {
        webviewOptions: { retainContextWhenHidden: false },
      }),
    ),
    vscode.commands.registerCommand('mergeLens.compareCheckpoints', (first?: unknown, selection?: vscode.Uri[]) => {
      const scripted = compareArguments(first);
      return scripted ? compare.scripted(scripted) : compare.compare(first instanceof vscode.Uri ? first : undefined, selection);
    }),
    vscode.commands.registerCommand('mergeLens.compareSeries', (first?: unknown, selection?: vscode.Uri[]) => {
      const scripted = seriesArguments(first);
      return scripted ? series.scripted(scripted) : series.compareSeries(first instanceof vscode.Uri ? first : undefined, selection);
    }),
    vscode.commands.registerCommand('mergeLens.selectForCompare', (uri?: vscode.Uri) => compare.select(uri)),
    vscode.commands.registerCommand('mergeLens.compareWithSelected', (uri?: vscode.Uri) => compare.compareWithSelected(uri)),
    vscode.commands.registerCommand('mergeLens.inspectCheckpoint', (uri?: vscode.Uri) => inspectCheckpointCommand(jobs, documents, output, uri)),
    vscode.commands.registerCommand('mergeLens.exportAligned', (args?: unknown) => exports.aligned(exportArguments(args)?.method)),
    vscode.commands.registerCommand('mergeLens.exportMerged', (args?: unknown) => {
      const scripted = exportArguments(args);
      return exports.merged(scripted?.method, scripted ? scripted.alpha ?? 0.5 : undefined);
    }),
    vscode.commands.registerCommand('mergeLens.showResults', () => comparisons.reveal()),
    vscode.commands.registerCommand('mergeLens.focusLayer', (layer: string) => comparisons.focusLayer(layer)),
  );
}

export function deactivate(): void {}
