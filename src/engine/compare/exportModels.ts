import type { AtomicWriteOptions } from '../export/atomicFile';
import { writeSafetensors, type WritableTensor } from '../export/writeSafetensors';
import type { MergedModel } from '../metrics/mergedModel';
import type { Params } from '../model/params';
import type { CheckpointPair, StoredAs } from './loadPair';

/**
 * Params under A's names back to B's names and B's own layout ([in, out] kernels transposed
 * back, a linear weight after a flattened map 2-D again, packed query, key and value parts put
 * back into their one tensor), with B's BatchNorm step counters and tied duplicates.
 */
function asB(pair: CheckpointPair, params: Params): WritableTensor[] {
  const tensors: WritableTensor[] = [];
  const packs = new Map<string, { stored: StoredAs; parts: (Float32Array | undefined)[] }>();
  for (const [name, tensor] of params) {
    const stored = pair.bStored.get(name);
    if (!stored) throw new Error(`'${name}' has no counterpart in B`);
    if (stored.packed) {
      const pack = packs.get(stored.name) ?? { stored, parts: new Array<Float32Array | undefined>(stored.packed.parts) };
      pack.parts[stored.packed.part] = tensor.data;
      packs.set(stored.name, pack);
      continue;
    }
    tensors.push(storedLayout(stored, tensor.data));
  }
  for (const [name, { stored, parts }] of packs) {
    const missing = [...parts.keys()].filter((k) => !parts[k]);
    if (missing.length > 0) throw new Error(`packed tensor '${name}' lacks part${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
    const whole = new Float32Array(parts.reduce((n, p) => n + p!.length, 0));
    let offset = 0;
    for (const part of parts) {
      whole.set(part!, offset);
      offset += part!.length;
    }
    tensors.push(storedLayout(stored, whole));
  }
  for (const [alias, of] of pair.bAliases) {
    const original = tensors.find((t) => t.name === of);
    if (!original) throw new Error(`'${alias}' duplicates '${of}', which the export lacks`);
    tensors.push({ ...original, name: alias });
  }
  const counters = pair.bCounters.map((c): WritableTensor => {
    if (!(c.data instanceof BigInt64Array)) throw new Error(`BatchNorm counter '${c.name}' is ${c.dtype}, not I64`);
    return { name: c.name, dtype: 'I64', shape: c.shape, data: c.data };
  });
  return [...tensors, ...counters];
}

/** Values in the engine's [out, in] layout (row-major) as B stores them: transposed back for a kernel stored [in, out]. */
function storedLayout(stored: StoredAs, data: Float32Array): WritableTensor {
  if (!stored.transposed) return { name: stored.name, dtype: 'F32', shape: stored.shape, data };
  const [cols, rows] = stored.shape as [number, number];
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return { name: stored.name, dtype: 'F32', shape: stored.shape, data: out };
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
