import * as vscode from 'vscode';
import { CHECKPOINT_GLOB, isCheckpointName } from '../engine/formats/checkpointFiles';

/** Asks for one of the workspace's checkpoint files; undefined when the user backs out. */
export async function pickCheckpoint(title: string): Promise<vscode.Uri | undefined> {
  const found = await vscode.workspace.findFiles(CHECKPOINT_GLOB, '**/node_modules/**', 5000);
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
