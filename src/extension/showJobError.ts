import * as vscode from 'vscode';
import { InputError } from '../engine/io/inputError';
import { JobCancelled, JobError } from './runJob';

/**
 * Tells the user a job failed: input errors (the worker's, or the host's own InputError) show their message as it is (it names the file and
 * the problem); a worker that stopped (out of memory, an exit) is told with the job it ended; internal ones say so. "Show Details" opens the output channel with the stack.
 */
export async function showJobError(error: unknown, what: string, output: vscode.OutputChannel): Promise<void> {
  if (error instanceof JobCancelled) return;
  const message = error instanceof Error ? error.message : String(error);
  // An InputError is raised in the host itself when a request is resolved (a setting out of bounds).
  const internal = error instanceof JobError ? error.kind === 'internal' : !(error instanceof InputError);
  output.appendLine(`[${new Date().toISOString()}] ${what} failed: ${message}`);
  const detail = error instanceof JobError ? error.detail : error instanceof Error ? error.stack : undefined;
  if (detail) output.appendLine(detail);
  const stopped = error instanceof JobError && error.kind === 'stopped';
  const text = internal ? `Merge Lens: ${what} failed unexpectedly: ${message}` : stopped ? `Merge Lens: ${what} stopped: ${message}` : `Merge Lens: ${message}`;
  if ((await vscode.window.showErrorMessage(text, 'Show Details')) === 'Show Details') output.show(true);
}
