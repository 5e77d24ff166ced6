import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { exportAligned, exportMerged } from '../engine/compare/exportModels';
import { givenPermutations } from '../engine/compare/givenPermutations';
import { openFitSamples } from '../engine/compare/loadData';
import { loadCheckpointPair, type CheckpointPair } from '../engine/compare/loadPair';
import { initBackend } from '../engine/backend/tfBackend';
import { refuseExisting } from '../engine/export/atomicFile';
import { FormatError } from '../engine/io/formatError';
import { InputError } from '../engine/io/inputError';
import { mergedModel, mergeNeedsFitData, type MergeCorrection } from '../engine/metrics/mergedModel';
import { unitSimilarity } from '../engine/metrics/unitSimilarity';
import { applyPermutation } from '../engine/model/applyPermutation';
import { networkChannelSpaces } from '../engine/model/networkSpaces';
import { derivePermutationSpec, type Permutation, type PermutationSpec } from '../engine/model/permutationSpec';
import { isRepaired } from '../shared/compareReport';
import type { JobParams, JobResult, PairParams, ReportProgress } from '../shared/workerProtocol';

/** The pair read again (the worker keeps nothing between jobs), its spec, and the given permutations checked against it. */
async function loadPermutedPair(
  params: PairParams & { readonly permutations: readonly (readonly number[])[] },
  progress: ReportProgress,
): Promise<{ pair: CheckpointPair; spec: PermutationSpec; perms: Permutation[] }> {
  progress('reading checkpoints', 0);
  const sample = params.inputShape ? { shape: params.inputShape, file: null } : null;
  const pair = await loadCheckpointPair(params.a, params.b, { activation: params.activation, sample });
  const spec = derivePermutationSpec(networkChannelSpaces(pair.network));
  return { pair, spec, perms: givenPermutations(spec, params.permutations, params.b) };
}

export async function similarityJob(params: JobParams<'similarity'>, progress: ReportProgress): Promise<JobResult<'similarity'>> {
  const { pair, spec, perms } = await loadPermutedPair(params, progress);
  const g = spec.groups.findIndex((group) => group.name === params.layer);
  if (g < 0) {
    const names = spec.groups.map((group) => `'${group.name}'`).join(', ');
    throw new FormatError(params.a, `has no hidden layer '${params.layer}' (its hidden layers: ${names || 'none'})`);
  }
  progress(`unit similarity: ${params.layer}`, 0.3);
  const result = await unitSimilarity(pair.a.params, pair.b.params, spec, perms, g, params.method);
  progress('done', 1);
  return result;
}

export async function exportJob(params: JobParams<'export'>, progress: ReportProgress): Promise<JobResult<'export'>> {
  const { alpha, out, method } = params;
  if (alpha !== null && !(alpha >= 0 && alpha <= 1)) throw new InputError(`the merge weight α must lie between 0 and 1, not ${alpha}`);
  const options = { overwrite: params.overwrite };
  // Before reading the checkpoints: refusing an existing file should not cost their loading.
  await refuseExisting(out, options);
  const { pair, spec, perms } = await loadPermutedPair(params, progress);
  progress('permuting B', 0.3);
  const aligned = applyPermutation(pair.b.params, spec, perms);
  if (alpha === null) {
    progress(`writing ${basename(out)}`, 0.7);
    await exportAligned(out, pair, aligned, method, options);
  } else {
    const on = params.measuredOn;
    const repair = isRepaired(method);
    let correction: MergeCorrection | null = null;
    if (on && mergeNeedsFitData(pair.network, on.bnReset, repair)) {
      progress('reading the fit data', 0.35);
      await initBackend(on.backend);
      correction = { fit: await openFitSamples(on.fitData, pair.network, on.normalization, on.samples), bnReset: on.bnReset, repair };
      progress('merged statistics on the fit data', 0.4);
    }
    const merged = await mergedModel(pair.network, pair.a.params, aligned, alpha, correction);
    progress(`writing ${basename(out)}`, 0.8);
    await exportMerged(out, pair, merged, method, alpha, options);
  }
  progress('done', 1);
  return { file: out, tensors: aligned.size, bytes: (await stat(out)).size };
}
