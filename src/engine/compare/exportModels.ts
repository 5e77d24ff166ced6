import type { AtomicWriteOptions } from '../export/atomicFile';
import { writeSafetensors, type WritableTensor } from '../export/writeSafetensors';
import type { MergedModel } from '../metrics/mergedModel';
import type { Params } from '../model/params';
import type { CheckpointPair } from './loadPair';

/**
 * Params under A's names back to B's names and B's own layout ([in, out] kernels transposed
 * back, a linear weight after a flattened map 2-D again), with B's BatchNorm step counters.
 */
function asB(pair: CheckpointPair, params: Params): WritableTensor[] {
  const tensors = [...params].map(([name, tensor]): WritableTensor => {
    const stored = pair.bStored.get(name);
    if (!stored) throw new Error(`'${name}' has no counterpart in B`);
    if (!stored.transposed) return { name: stored.name, dtype: 'F32', shape: stored.shape, data: tensor.data };
    const [rows, cols] = tensor.shape as [number, number];
    const data = new Float32Array(tensor.data.length);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) data[c * rows + r] = tensor.data[r * cols + c]!;
    return { name: stored.name, dtype: 'F32', shape: stored.shape, data };
  });
  const counters = pair.bCounters.map((c): WritableTensor => {
    if (!(c.data instanceof BigInt64Array)) throw new Error(`BatchNorm counter '${c.name}' is ${c.dtype}, not I64`);
    return { name: c.name, dtype: 'I64', shape: c.shape, data: c.data };
  });
  return [...tensors, ...counters];
}

/** Writes π(B), aligned to A by `method`, as safetensors with B's tensor names. */
export function exportAligned(file: string, pair: CheckpointPair, aligned: Params, method: string, options: AtomicWriteOptions): Promise<void> {
  return writeSafetensors(file, asB(pair, aligned), {
    ...options,
    metadata: { merge_lens: 'aligned', method, aligned_to: pair.summaries.a.file, source: pair.summaries.b.file },
  });
}

/**
 * Writes the merged model (see `mergedModel`: (1−α)·θA + α·π(θB) with the statistics the
 * comparison measured) as safetensors with B's tensor names; the metadata says how its
 * BatchNorm statistics were made and whether REPAIR is folded in.
 */
export function exportMerged(file: string, pair: CheckpointPair, merged: MergedModel, method: string, alpha: number, options: AtomicWriteOptions): Promise<void> {
  return writeSafetensors(file, asB(pair, merged.params), {
    ...options,
    metadata: {
      merge_lens: 'merged',
      method,
      alpha: String(alpha),
      a: pair.summaries.a.file,
      b: pair.summaries.b.file,
      ...(merged.batchNorm ? { batchnorm_statistics: merged.batchNorm === 'reset' ? 'recomputed on the fit data at alpha' : 'interpolated' } : {}),
      ...(merged.repaired ? { repair: 'folded into the layers it corrects' } : {}),
    },
  });
}
