import type { ReadMode } from './families';

/** What the main thread asks a fuzz worker: read these files as `mode` through `target`. */
export interface CaseRequest {
  readonly id: number;
  readonly mode: ReadMode;
  readonly target: string;
  readonly files: readonly (readonly [string, Uint8Array])[];
}

/** Every path outside the case folder the reader named, every process it tried to start. */
interface Watched {
  readonly id: number;
  /** How long the reader ran, in the worker (not counting writing the case's files). */
  readonly ms: number;
  readonly touched: readonly string[];
  readonly executed: readonly string[];
}

export interface Accepted extends Watched {
  readonly status: 'accepted';
  readonly detail: string;
}

export interface Threw extends Watched {
  readonly status: 'threw' | 'misread';
  readonly name: string;
  readonly message: string;
  readonly file: string | undefined;
  readonly stack: string | undefined;
}

/** Set by the pool, not the worker: the worker was stopped or died. */
export interface Stopped extends Watched {
  readonly status: 'hang' | 'crash';
  readonly message: string;
}

export type CaseOutcome = Accepted | Threw | Stopped;
