import { loadComparedPair } from '../engine/compare/loadComparedPair';
import { exportComparison } from '../engine/compare/exportComparison';
import { FormatError } from '../engine/io/formatError';
import { unitSimilarity } from '../engine/metrics/unitSimilarity';
import type { JobParams, JobResult, ReportProgress } from '../shared/workerProtocol';

export async function similarityJob(params: JobParams<'similarity'>, progress: ReportProgress): Promise<JobResult<'similarity'>> {
  progress('reading checkpoints', 0);
  const { pair, spec, perms } = await loadComparedPair(params, params.permutations);
  const g = spec.groups.findIndex((group) => group.name === params.layer);
  if (g < 0) {
    const names = spec.groups.map((group) => `'${group.name}'`).join(', ');
    throw new FormatError(params.request.a, `has no hidden layer '${params.layer}' (its hidden layers: ${names || 'none'})`);
  }
  progress(`unit similarity: ${params.layer}`, 0.3);
  const result = await unitSimilarity(pair.a.params, pair.b.params, spec, perms, g, params.method);
  progress('done', 1);
  return result;
}

export function exportJob(params: JobParams<'export'>, progress: ReportProgress): Promise<JobResult<'export'>> {
  return exportComparison(params, { onProgress: progress });
}
