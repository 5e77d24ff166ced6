import * as vscode from 'vscode';
import { DATASET_GLOB, datasetKind } from '../engine/datasets/datasetFiles';
import { CHECKPOINT_GLOB, isCheckpointName } from '../shared/checkpointFormats';
import { METHOD_NAMES, type AlignmentName, type MethodName } from '../shared/compareReport';
import { isManifestName, MANIFEST_GLOB } from '../shared/seriesManifestName';

/**
 * The user's `files.exclude` patterns plus node_modules. (Passing any exclude to findFiles
 * replaces `files.exclude` rather than adding to it.)
 */
function excludedFromSearch(): string {
  const excluded = vscode.workspace.getConfiguration('files').get<Record<string, boolean>>('exclude') ?? {};
  const patterns = Object.entries(excluded).filter(([, on]) => on).map(([glob]) => glob);
  return `{${['**/node_modules/**', ...patterns].join(',')}}`;
}

async function workspaceFiles(glob: string, accept: (path: string) => boolean): Promise<vscode.Uri[]> {
  const found = await vscode.workspace.findFiles(glob, excludedFromSearch(), 5000);
  return found.filter((uri) => accept(uri.path)).sort((a, b) => a.path.localeCompare(b.path));
}

interface FileItem extends vscode.QuickPickItem {
  readonly uri?: vscode.Uri;
  readonly action?: 'browse' | 'weightsOnly';
}

const BROWSE: FileItem = { label: '$(folder-opened) Choose a File…', action: 'browse', alwaysShow: true };

/** Files as quick-pick items, the remembered one first. */
function fileItems(files: readonly vscode.Uri[], remembered: string | undefined): FileItem[] {
  const items = files.map((uri): FileItem => ({ label: vscode.workspace.asRelativePath(uri), uri }));
  const index = items.findIndex((item) => item.uri?.fsPath === remembered);
  if (index > 0) items.unshift(...items.splice(index, 1));
  if (index >= 0) items[0] = { ...items[0]!, description: 'last used' };
  return items;
}

async function pickFile(
  title: string,
  placeHolder: string,
  files: readonly vscode.Uri[],
  remembered: string | undefined,
  extra: readonly FileItem[] = [],
): Promise<vscode.Uri | 'weightsOnly' | undefined> {
  const picked = await vscode.window.showQuickPick([...extra, ...fileItems(files, remembered), BROWSE], {
    title,
    placeHolder,
    matchOnDescription: true,
    ignoreFocusOut: true,
  });
  if (!picked) return undefined;
  if (picked.action === 'weightsOnly') return 'weightsOnly';
  if (picked.action === 'browse') {
    const [chosen] = (await vscode.window.showOpenDialog({ canSelectMany: false, title, openLabel: 'Choose' })) ?? [];
    return chosen;
  }
  return picked.uri;
}

/** Asks for one of the workspace's checkpoint files; undefined when the user backs out. */
export async function pickCheckpoint(title: string, placeHolder = 'Checkpoint file', remembered?: string): Promise<vscode.Uri | undefined> {
  const files = await workspaceFiles(CHECKPOINT_GLOB, isCheckpointName);
  const picked = await pickFile(title, files.length ? placeHolder : `${placeHolder} (no checkpoint files in this workspace)`, files, remembered);
  return picked === 'weightsOnly' ? undefined : picked;
}

/** Asks for the evaluation data, or "weights only"; undefined when the user backs out. */
export async function pickDataset(title: string, remembered: string | null | undefined): Promise<vscode.Uri | null | undefined> {
  const files = await workspaceFiles(DATASET_GLOB, (path) => datasetKind(path) !== undefined);
  const weightsOnly: FileItem = {
    label: '$(symbol-constant) Weights only',
    detail: 'No data: weight matching, matching costs and Dim(S); no loss, accuracy or LLFC',
    action: 'weightsOnly',
    alwaysShow: true,
    ...(remembered === null ? { description: 'last used' } : {}),
  };
  const picked = await pickFile(title, 'Evaluation data (inputs and labels)', files, remembered ?? undefined, [weightsOnly]);
  return picked === 'weightsOnly' ? null : picked;
}

const METHOD_DETAIL: Record<AlignmentName, string> = {
  naive: 'no alignment: the baseline',
  weight: 'weight matching (Git Re-Basin)',
  activation: 'activation matching (Git Re-Basin); needs data',
  covariance: 'covariance-aware weight matching (Ferbach et al.); needs data',
};

/** Asks which methods to run, `preselected` checked; the data-driven ones only when there is data. */
export async function pickMethods(title: string, preselected: readonly MethodName[], withData: boolean): Promise<MethodName[] | undefined> {
  const available = METHOD_NAMES.filter((m) => withData || (m !== 'activation' && m !== 'covariance'));
  const picked = await vscode.window.showQuickPick(
    available.map((method) => ({ label: method, description: METHOD_DETAIL[method], picked: preselected.includes(method) })),
    { title, canPickMany: true, placeHolder: 'Alignment methods to compare', ignoreFocusOut: true },
  );
  if (!picked) return undefined;
  return METHOD_NAMES.filter((m) => picked.some((item) => item.label === m));
}

/** Asks for a series manifest among the workspace's JSON files, those named for a series first; undefined when the user backs out. */
export async function pickManifest(title: string, remembered?: string): Promise<vscode.Uri | undefined> {
  const files = await workspaceFiles(MANIFEST_GLOB, isManifestName);
  const named = (uri: vscode.Uri) => (/series/i.test(uri.path.slice(uri.path.lastIndexOf('/') + 1)) ? 0 : 1);
  const ordered = [...files].sort((a, b) => named(a) - named(b));
  const picked = await pickFile(title, files.length ? 'Series manifest: { "variable", "pairs": [{ "value", "a", "b" }], "data", … }' : 'Series manifest (no JSON files in this workspace)', ordered, remembered);
  return picked === 'weightsOnly' ? undefined : picked;
}

/** Asks what changes along the series, the guessed variable first; another name can be typed. Undefined when the user backs out. */
export async function pickVariable(title: string, choices: readonly string[], guessed: string): Promise<string | undefined> {
  const other: vscode.QuickPickItem = { label: '$(edit) Another Variable…', alwaysShow: true };
  const items: vscode.QuickPickItem[] = [...choices.map((label) => ({ label, ...(label === guessed ? { description: 'guessed from the file names' } : {}) })), other];
  const picked = await vscode.window.showQuickPick(items, { title, placeHolder: 'What changes along the series (the x axis; "width" also gets the log-log view)', ignoreFocusOut: true });
  if (!picked) return undefined;
  if (picked !== other) return picked.label;
  const typed = await vscode.window.showInputBox({
    title,
    prompt: 'What changes along the series, in words (e.g. "learning rate")',
    value: guessed,
    ignoreFocusOut: true,
    validateInput: (text) => (text.trim() === '' ? 'Name the variable' : undefined),
  });
  return typed?.trim() || undefined;
}
