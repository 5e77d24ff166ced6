import { availableParallelism } from 'node:os';
import type { BackendName } from '../../shared/compareRequest';
import type { IntegerLimit } from '../compare/resolveRequest';

/**
 * How many threads a comparison measures with, asked as a whole number where 0 means one per
 * core. Not part of the comparison request: the numbers are the same whatever the count, so it
 * changes neither the report nor the result cache's key.
 */
export const THREAD_LIMITS = { default: 0, min: 0, max: 64, meaning: 'threads (0: one per core)' } as const satisfies IntegerLimit;

/**
 * The threads to use: native TensorFlow threads its own kernels, so it gets one; the
 * single-threaded backends get what was asked, 0 (or nothing) meaning every core.
 */
export function measuringThreads(asked: number | undefined, backend: BackendName): number {
  if (backend === 'tensorflow') return 1;
  return asked === undefined || asked === THREAD_LIMITS.default ? availableParallelism() : asked;
}
