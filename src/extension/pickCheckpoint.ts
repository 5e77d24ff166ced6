import * as vscode from 'vscode';
import { CHECKPOINT_GLOB, isCheckpointName } from '../engine/formats/checkpointFiles';

/**
 * The user's `files.exclude` patterns plus node_modules. (Passing any exclude to findFiles
 * replaces `files.exclude` rather than adding to it.)
 */
function excludedFromSearch(): string {
  const excluded = vscode.workspace.getConfiguration('files').get<Record<string, boolean>>('exclude') ?? {};
  const patterns = Object.entries(excluded).filter(([, on]) => on).map(([glob]) => glob);
  return `{${['**/node_modules/**', ...patterns].join(',')}}`;
}

/** Asks for one of the workspace's checkpoint files; undefined when the user backs out. */
export async function pickCheckpoint(title: string): Promise<vscode.Uri | undefined> {
  const found = await vscode.workspace.findFiles(CHECKPOINT_GLOB, excludedFromSearch(), 5000);
  const files = found.filter((uri) => isCheckpointName(uri.path)).sort((a, b) => a.path.localeCompare(b.path));
  if (files.length === 0) {
    const choice = await vscode.window.showInformationMessage(
      'Merge Lens found no checkpoint files in this workspace (safetensors, .pt/.pth/.bin/.ckpt, .npy/.npz, model.json).',
      'Choose a File…',
    );
    if (choice !== 'Choose a File…') return undefined;
    const [picked] = (await vscode.window.showOpenDialog({ canSelectMany: false, title })) ?? [];
    return picked;
  }
  const picked = await vscode.window.showQuickPick(
    files.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri })),
    { title, placeHolder: 'Checkpoint file', matchOnDescription: true },
  );
  return picked?.uri;
}
