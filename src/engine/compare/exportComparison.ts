/**
 * Exports as one use case, the same for the worker and the CLI: π(B) or the merged model at α of
 * one method of a comparison, written with B's names, the merged model with the BatchNorm
 * statistics and REPAIR correction its measurement at α had, on the fit data the request names.
 */
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { isRepaired } from '../../shared/compareReport';
import type { ExportRequest, ExportResult } from '../../shared/exportRequest';
import type { Samples } from '../alignment/unitCorrelations';
import { initBackend } from '../backend/tfBackend';
import { refuseExisting } from '../export/atomicFile';
import { InputError } from '../io/inputError';
import { mergedModel, mergeNeedsFitData } from '../metrics/mergedModel';
import { applyPermutation } from '../model/applyPermutation';
import { loadComparedPair, type PermutedPair } from './loadComparedPair';
import { exportAligned, exportMerged } from './exportModels';
import { givenPermutations } from './givenPermutations';
import type { CheckpointPair } from './loadPair';
import { openFitSamples } from './loadData';
import type { PermutationSpec } from '../model/permutationSpec';

/** A pair already in memory (the CLI's comparison), so that the export does not read it again. */
export interface LoadedComparison {
  readonly pair: CheckpointPair;
  readonly spec: PermutationSpec;
  /** The fit samples as the comparison normalised and used them; null when weights only. */
  readonly fit: Samples | null;
}

export interface ExportOptions {
  readonly loaded?: LoadedComparison;
  readonly onProgress?: (stage: string, fraction: number) => void;
}

async function permutedPair(request: ExportRequest, loaded: LoadedComparison | undefined): Promise<PermutedPair> {
  if (!loaded) return loadComparedPair(request, request.permutations);
  return { pair: loaded.pair, spec: loaded.spec, perms: givenPermutations(loaded.spec, request.permutations, request.request.b) };
}

export async function exportComparison(request: ExportRequest, options: ExportOptions = {}): Promise<ExportResult> {
  const progress = options.onProgress ?? (() => {});
  const { alpha, out, method, request: comparison } = request;
  if (alpha !== null && !(alpha >= 0 && alpha <= 1)) throw new InputError(`the merge weight α must lie between 0 and 1, not ${alpha}`);
  const writeOptions = { overwrite: request.overwrite };
  // Before reading the checkpoints: refusing an existing file should not cost their loading.
  await refuseExisting(out, writeOptions);
  progress('reading checkpoints', 0);
  const { pair, spec, perms } = await permutedPair(request, options.loaded);
  progress('permuting B', 0.3);
  const aligned = applyPermutation(pair.b.params, spec, perms);
  let facts: Pick<ExportResult, 'batchNorm' | 'repaired'> = { batchNorm: null, repaired: false };
  if (alpha === null) {
    progress(`writing ${basename(out)}`, 0.7);
    await exportAligned(out, pair, aligned, method, writeOptions);
  } else {
    const repair = isRepaired(method);
    let fit: Samples | null = null;
    if (comparison.fitData !== null && mergeNeedsFitData(pair.network, comparison.bnReset, repair)) {
      progress('reading the fit data', 0.35);
      await initBackend(comparison.backend);
      fit = options.loaded ? options.loaded.fit : await openFitSamples(comparison.fitData, pair.network, comparison.normalization, comparison.fitSamples);
      progress('merged statistics on the fit data', 0.4);
    }
    const merged = await mergedModel(pair.network, pair.a.params, aligned, alpha, fit && { fit, bnReset: comparison.bnReset, repair });
    progress(`writing ${basename(out)}`, 0.8);
    await exportMerged(out, pair, merged, method, alpha, writeOptions);
    facts = { batchNorm: merged.batchNorm, repaired: merged.repaired };
  }
  progress('done', 1);
  return { file: out, tensors: aligned.size, bytes: (await stat(out)).size, ...facts };
}
