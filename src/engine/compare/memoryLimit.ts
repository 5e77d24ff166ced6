import { totalmem } from 'node:os';
import { isMainThread, resourceLimits } from 'node:worker_threads';
import type { IntegerLimit } from './resolveRequest';

const MIB = 1 << 20;

/**
 * The memory a job may use, in MB, asked as a whole number where 0 means automatic: the editor's
 * `mergeLens.workerMemoryMb`. It is the worker's JavaScript heap limit (`resourceLimits`) and the
 * budget a comparison's up-front estimate must fit (comparisonMemory.ts).
 */
export const MEMORY_LIMITS = { default: 0, min: 0, max: 65536, meaning: 'memory limit in MB (0: automatic)' } as const satisfies IntegerLimit;

/** Below this a worker cannot hold its own code and a small job (16 MB starts one; this leaves room). */
export const MIN_MEMORY_MB = 64;

/**
 * The automatic limit: half the machine's memory, for the editor and everything else need the
 * rest, at least 512 MB and at most 16 GB (a larger heap is a choice to make on purpose).
 */
export function automaticMemoryMb(totalBytes: number = totalmem()): number {
  return Math.min(16384, Math.max(512, Math.floor(totalBytes / 2 / MIB)));
}

/** The limit `asked` means: 0 (or nothing) automatic, else at least MIN_MEMORY_MB. */
export function memoryLimitMb(asked: number | undefined): number {
  return asked === undefined || asked === MEMORY_LIMITS.default ? automaticMemoryMb() : Math.max(MIN_MEMORY_MB, Math.round(asked));
}

export interface MemoryLimit {
  readonly mb: number;
  /** How to raise it, for messages; null for the automatic limit of the command line, which cannot be. */
  readonly raise: string | null;
}

/**
 * The limit this thread works under: a worker started with `resourceLimits` (the editor's job
 * worker, by runJob) has the editor's setting; anything else (the command line) the automatic one.
 */
export function threadMemoryLimit(): MemoryLimit {
  const own = isMainThread ? undefined : resourceLimits.maxOldGenerationSizeMb;
  return own !== undefined && own > 0 ? { mb: own, raise: 'raise mergeLens.workerMemoryMb' } : { mb: automaticMemoryMb(), raise: null };
}
