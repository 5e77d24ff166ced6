import * as path from 'node:path';
import * as vscode from 'vscode';
import { manifestFromFiles } from '../engine/series/manifestFromFiles';
import type { SeriesManifest, SeriesReport } from '../shared/seriesReport';
import type { SeriesArguments } from './commandArguments';
import { pickDataset, pickManifest, pickVariable } from './pickers';
import { commonFolder, manifestWithSettings, seriesSelection, variableChoices } from './seriesChoices';
import type { SeriesRuns } from './seriesRuns';
import { readSettings } from './settings';
import { showJobError } from './showJobError';

/** The last choices, per workspace: the next series starts from them. */
interface Remembered {
  readonly manifest?: string;
  /** null: "weights only" was chosen. */
  readonly data?: string | null;
}

const MEMORY_KEY = 'mergeLens.lastSeries';

function localFile(uri: vscode.Uri): string | undefined {
  if (uri.scheme === 'file') return uri.fsPath;
  void vscode.window.showErrorMessage(`Merge Lens reads series from local files; ${uri.toString()} is not one.`);
  return undefined;
}

/**
 * "Merge Lens: Compare Series…": a manifest (picked, clicked in the explorer or passed by a
 * script) runs as it is written; several checkpoints selected in the explorer become a series
 * after one question, the variable, and the evaluation data, every other choice the settings'.
 */
export class SeriesCommands {
  constructor(
    private readonly state: vscode.Memento,
    private readonly runs: SeriesRuns,
    private readonly output: vscode.OutputChannel,
  ) {}

  /** The palette (nothing passed), or the explorer (the clicked file and the whole selection). */
  async compareSeries(clicked?: vscode.Uri, selection?: readonly vscode.Uri[]): Promise<SeriesReport | undefined> {
    if (!clicked) {
      const picked = await pickManifest('Merge Lens: Compare Series', this.remembered().manifest);
      const file = picked && localFile(picked);
      return file ? this.runManifest(file) : undefined;
    }
    const files: string[] = [];
    for (const uri of selection && selection.length > 0 ? selection : [clicked]) {
      const file = localFile(uri);
      if (!file) return undefined;
      files.push(file);
    }
    const selected = seriesSelection(files);
    switch (selected.kind) {
      case 'manifest':
        return this.runManifest(selected.file);
      case 'checkpoints':
        return this.fromCheckpoints(selected.files);
      case 'invalid':
        void vscode.window.showErrorMessage(selected.message);
        return undefined;
    }
  }

  /** A call from a script or another extension: nothing asked, the series report (or undefined) returned. */
  scripted(args: SeriesArguments): Promise<SeriesReport | undefined> {
    return this.runs.run({ file: args.manifest }, path.basename(args.manifest));
  }

  private async runManifest(file: string): Promise<SeriesReport | undefined> {
    await this.state.update(MEMORY_KEY, { ...this.remembered(), manifest: file } satisfies Remembered);
    return this.runs.run({ file }, path.basename(file));
  }

  private async fromCheckpoints(files: readonly string[]): Promise<SeriesReport | undefined> {
    const folder = commonFolder(files);
    const title = (step: number) => `Merge Lens: Compare Series of ${files.length} Checkpoints (${step}/2)`;
    try {
      const guessed = manifestFromFiles(files, { folder });
      const variable = await pickVariable(title(1), variableChoices(guessed.variable), guessed.variable);
      if (variable === undefined) return undefined;
      // The variable decides the values read from the file names, and so the pairs.
      const series: SeriesManifest = variable === guessed.variable ? guessed : manifestFromFiles(files, { variable, folder });
      const remembered = this.remembered();
      const dataUri = await pickDataset(title(2), remembered.data);
      if (dataUri === undefined) return undefined;
      const data = dataUri === null ? null : localFile(dataUri);
      if (data === undefined) return undefined;
      await this.state.update(MEMORY_KEY, { ...remembered, data } satisfies Remembered);
      const manifest = manifestWithSettings(readSettings(), series, data);
      return await this.runs.run({ manifest, folder }, `${variable} series of ${files.length} checkpoints`);
    } catch (error) {
      // The selection cannot make a series (names that say nothing of a variable, a setting the comparison refuses).
      void showJobError(error, 'making a series of the selected checkpoints', this.output);
      return undefined;
    }
  }

  private remembered(): Remembered {
    return this.state.get<Remembered>(MEMORY_KEY) ?? {};
  }
}
