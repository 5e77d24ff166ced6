import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { exportRequestFor } from '../engine/compare/followUpRequests';
import { removeLeftoverTemporaries } from '../engine/export/atomicFile';
import { formatBytes } from '../shared/presentation/formatNumbers';
import { bestMethod } from '../shared/bestMethod';
import { checkpointStem } from '../shared/checkpointFormats';
import type { CompareReport, MethodName } from '../shared/compareReport';
import type { Comparisons } from './comparisons';
import type { JobQueue } from './jobQueue';
import { showJobError } from './showJobError';

/** B's file name without its checkpoint ending, to name the exports after: "run2" for run2.safetensors. */
function stem(file: string): string {
  const own = checkpointStem(file);
  // model.json (TensorFlow.js) and a sharded model.safetensors.index.json say nothing: name them after their folder.
  return own === undefined || (own.toLowerCase() === 'model' && /\.json$/i.test(file)) ? path.basename(path.dirname(file)) : own;
}

async function chooseMethod(report: CompareReport, given: MethodName | undefined): Promise<MethodName | undefined> {
  if (given) return given;
  const fallback = bestMethod(report);
  const items = Object.values(report.methods).map((m) => ({
    label: m.method,
    description: [m.method === fallback ? 'lowest loss barrier' : '', m.equivalent ? '' : 'INVALID: does not reproduce B'].filter(Boolean).join(' · '),
  }));
  items.sort((x, y) => (x.label === fallback ? -1 : y.label === fallback ? 1 : 0));
  const picked = await vscode.window.showQuickPick(items, { title: 'Merge Lens: export which alignment?', placeHolder: 'Alignment method' });
  return picked?.label as MethodName | undefined;
}

async function askAlpha(): Promise<number | undefined> {
  const text = await vscode.window.showInputBox({
    title: 'Merge Lens: merge at which α?',
    prompt: 'θ(α) = (1−α)·θA + α·π(θB); 0 is A, 1 is the aligned B',
    value: '0.5',
    validateInput: (value) => {
      const alpha = Number(value);
      return value.trim() !== '' && Number.isFinite(alpha) && alpha >= 0 && alpha <= 1 ? undefined : 'A number from 0 to 1';
    },
  });
  return text === undefined ? undefined : Number(text);
}

/** Whether writing `file` is fine: it does not exist, or the user said to replace it. */
async function mayWrite(file: string): Promise<boolean> {
  if (!existsSync(file)) return true;
  const answer = await vscode.window.showWarningMessage(`${path.basename(file)} already exists. Replace it?`, { modal: true }, 'Replace');
  return answer === 'Replace';
}

/** Export Aligned Checkpoint and Export Merged Checkpoint…: safetensors next to B, with B's names. */
export class ExportCommands {
  constructor(
    private readonly comparisons: Pick<Comparisons, 'current'>,
    private readonly jobs: JobQueue,
    private readonly output: vscode.OutputChannel,
  ) {}

  /** Resolves to the written file, or undefined when nothing was written. */
  aligned(method?: MethodName): Promise<string | undefined> {
    return this.export(method, false);
  }

  /** `alpha` given (a scripted call): no question asked. */
  merged(method?: MethodName, alpha?: number): Promise<string | undefined> {
    return this.export(method, true, alpha);
  }

  private async export(given: MethodName | undefined, merged: boolean, givenAlpha?: number): Promise<string | undefined> {
    const shown = this.comparisons.current;
    if (!shown) {
      void vscode.window.showInformationMessage('Merge Lens: compare two checkpoints first (Merge Lens: Compare Checkpoints).');
      return undefined;
    }
    const method = await chooseMethod(shown.report, given);
    const result = method && shown.report.methods[method];
    if (!method || !result) return undefined;
    const alpha = merged ? givenAlpha ?? (await askAlpha()) : null;
    if (alpha === undefined) return undefined;
    const suffix = alpha === null ? `aligned-${method}` : `merged-${method}-alpha${alpha.toFixed(2)}`;
    const b = shown.report.request.b;
    const out = path.join(path.dirname(b), `${stem(b)}.${suffix}.safetensors`);
    if (!(await mayWrite(out))) return undefined;
    const what = alpha === null ? `exporting π(B) aligned by ${method}` : `exporting the merge at α = ${alpha} (${method})`;
    try {
      // The comparison's own request says how it read the pair and the fit data: nothing here rebuilds it.
      const written = await this.jobs.run('export', exportRequestFor(shown.report, method, alpha, out, true), { title: what, display: 'notification' });
      // Not awaited: the notification waits for the user, the command's caller must not.
      void vscode.window
        .showInformationMessage(`Merge Lens wrote ${path.basename(written.file)} (${written.tensors} tensors, ${formatBytes(written.bytes)}).`, 'Reveal in Explorer')
        .then((choice) => choice && vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(written.file)));
      return written.file;
    } catch (error) {
      // A terminated worker could not remove its temporary file; the folder must stay as it was.
      await removeLeftoverTemporaries(out);
      void showJobError(error, what, this.output);
      return undefined;
    }
  }
}
