/**
 * The unit similarities the host sent, by method and layer, kept while the report is shown so
 * that switching tabs, the aligned toggle or the theme never asks the worker again.
 */
import type { UnitSimilarity } from '../../src/shared/unitSimilarity';

export type SimilarityEntry =
  | { readonly kind: 'pending' }
  | { readonly kind: 'ready'; readonly similarity: UnitSimilarity }
  | { readonly kind: 'failed'; readonly message: string };

const entries = new Map<string, SimilarityEntry>();
const listeners = new Set<() => void>();

const key = (method: string, layer: string) => `${method}\u0000${layer}`;

/**
 * VS Code hands typed arrays over intact; anything that went through JSON on the way (an older
 * host, a test) arrives as an array or an index-keyed object, which is read back the same.
 */
function asFloat32(value: unknown): Float32Array {
  if (value instanceof Float32Array) return value;
  if (Array.isArray(value) || ArrayBuffer.isView(value)) return Float32Array.from(value as ArrayLike<number>);
  return Float32Array.from(Object.values(value as Record<string, number>));
}

export function similarityEntry(method: string, layer: string): SimilarityEntry | undefined {
  return entries.get(key(method, layer));
}

export function markPending(method: string, layer: string): void {
  entries.set(key(method, layer), { kind: 'pending' });
}

export function receiveSimilarity(similarity: UnitSimilarity): void {
  const n = similarity.size;
  const cosine = asFloat32(similarity.cosine);
  if (cosine.length !== n * n) {
    entries.set(key(similarity.method, similarity.layer), { kind: 'failed', message: `The similarity of ${similarity.layer} has ${cosine.length} values for ${n} units (${n * n} expected).` });
  } else {
    entries.set(key(similarity.method, similarity.layer), {
      kind: 'ready',
      similarity: { ...similarity, cosine, normsA: asFloat32(similarity.normsA), normsB: asFloat32(similarity.normsB), permutation: Array.from(similarity.permutation) },
    });
  }
  listeners.forEach((l) => l());
}

export function similarityFailed(method: string, layer: string, message: string): void {
  entries.set(key(method, layer), { kind: 'failed', message });
  listeners.forEach((l) => l());
}

/** A new report: the old matrices describe other checkpoints. */
export function clearSimilarities(): void {
  entries.clear();
}

export function onSimilarity(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
