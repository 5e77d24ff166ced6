import * as vscode from 'vscode';
import { parseSettings, type MergeLensSettings } from './mergeLensSettings';

/** The `mergeLens.*` settings now, checked (see mergeLensSettings.ts). */
export function readSettings(): MergeLensSettings {
  const config = vscode.workspace.getConfiguration('mergeLens');
  return parseSettings((key) => config.get(key));
}
