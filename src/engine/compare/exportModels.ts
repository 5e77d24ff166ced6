import type { AtomicWriteOptions } from '../export/atomicFile';
import { writeSafetensors, type WritableTensor } from '../export/writeSafetensors';
import { interpolateParams } from '../metrics/interpolation';
import type { Params } from '../model/params';
import type { CheckpointPair } from './loadPair';

/** Params under A's names back to B's names and B's own layout ([in, out] kernels transposed back). */
function asB(pair: CheckpointPair, params: Params): WritableTensor[] {
  return [...params].map(([name, tensor]) => {
    const bName = pair.bNames.get(name) ?? name;
    if (!pair.bKernels.has(bName)) return { name: bName, dtype: 'F32', shape: tensor.shape, data: tensor.data };
    const [rows, cols] = tensor.shape as [number, number];
    const data = new Float32Array(tensor.data.length);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) data[c * rows + r] = tensor.data[r * cols + c]!;
    return { name: bName, dtype: 'F32', shape: [cols, rows], data };
  });
}

/** Writes π(B), aligned to A by `method`, as safetensors with B's tensor names. */
export function exportAligned(file: string, pair: CheckpointPair, aligned: Params, method: string, options: AtomicWriteOptions): Promise<void> {
  return writeSafetensors(file, asB(pair, aligned), {
    ...options,
    metadata: { merge_lens: 'aligned', method, aligned_to: pair.summaries.a.file, source: pair.summaries.b.file },
  });
}

/** Writes the merged model (1−α)·θA + α·π(θB) as safetensors with B's tensor names. */
export function exportMerged(
  file: string,
  pair: CheckpointPair,
  aligned: Params,
  method: string,
  alpha: number,
  options: AtomicWriteOptions,
): Promise<void> {
  return writeSafetensors(file, asB(pair, interpolateParams(pair.a.params, aligned, alpha)), {
    ...options,
    metadata: { merge_lens: 'merged', method, alpha: String(alpha), a: pair.summaries.a.file, b: pair.summaries.b.file },
  });
}
