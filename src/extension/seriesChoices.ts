/**
 * The choices behind "Compare Series…" that need no editor: what an explorer selection asks for,
 * the variables offered, and the manifest a selection of checkpoints makes with the settings.
 * No `vscode` import, so the mapping is testable outside the editor.
 */
import { dirname, isAbsolute, relative } from 'node:path';
import { resolveCompareRequest } from '../engine/compare/resolveRequest';
import { isCheckpointName } from '../shared/checkpointFormats';
import { isManifestName } from '../shared/seriesManifestName';
import { SERIES_VARIABLES, type SeriesManifest } from '../shared/seriesReport';
import { compareChoicesFromSettings, type MergeLensSettings } from './mergeLensSettings';

/** The variables the papers' series vary, offered after the one guessed from the file names. */
export const COMMON_VARIABLES: readonly string[] = Object.values(SERIES_VARIABLES);

/** The guessed variable first, then the common ones, each once. */
export function variableChoices(guessed: string): string[] {
  return [...new Set([guessed, ...COMMON_VARIABLES])];
}

/** What the explorer's selection asks for: a manifest to run, checkpoints to make a series of, or nothing Merge Lens can run. */
export type SeriesSelection =
  | { readonly kind: 'manifest'; readonly file: string }
  | { readonly kind: 'checkpoints'; readonly files: readonly string[] }
  | { readonly kind: 'invalid'; readonly message: string };

export function seriesSelection(files: readonly string[]): SeriesSelection {
  if (files.length === 1 && isManifestName(files[0]!)) return { kind: 'manifest', file: files[0]! };
  if (files.length >= 2 && files.every(isCheckpointName)) return { kind: 'checkpoints', files };
  const selected = `${files.length} file${files.length === 1 ? ' is' : 's are'} selected`;
  return { kind: 'invalid', message: `Merge Lens: Compare Series runs a series manifest (one .json file) or a series of two or more checkpoint files; ${selected}.` };
}

/** The deepest folder holding every file (directly or below): the selection's paths resolve against it. */
export function commonFolder(files: readonly string[]): string {
  let folder = dirname(files[0]!);
  const inside = (file: string) => {
    const path = relative(folder, file);
    return path !== '' && !path.startsWith('..') && !isAbsolute(path);
  };
  while (!files.every(inside)) {
    const parent = dirname(folder);
    if (parent === folder) break;
    folder = parent;
  }
  return folder;
}

/**
 * A series of the selected checkpoints (its pairs and variable as manifestFromFiles guessed or the
 * user chose) on `data`, with every other choice the settings' as Compare Checkpoints takes them:
 * the settings' methods (less those needing data when there is none, REPAIR variants when set),
 * α grid, samples, seed, restarts and the rest, resolved by the comparison's own rules.
 */
export function manifestWithSettings(settings: MergeLensSettings, series: Pick<SeriesManifest, 'variable' | 'pairs'>, data: string | null): SeriesManifest {
  const first = series.pairs[0]!;
  const request = resolveCompareRequest(compareChoicesFromSettings(settings, { a: first.a, b: first.b, data }));
  const { methods, alphas, activation, backend, seed, restarts, description, inputShape, normalization, bnReset, layerBarriers, fitSamples, llfcSamples } = request;
  return {
    variable: series.variable,
    pairs: series.pairs,
    data,
    methods,
    options: { alphas, activation, backend, seed, restarts, description, inputShape, normalization, bnReset, layerBarriers, fitSamples, llfcSamples },
  };
}
