import { Worker } from 'node:worker_threads';
import { memoryLimitMb } from '../engine/compare/memoryLimit';
import { oneLine } from '../engine/io/formatError';
import type { JobName, JobParams, JobResult, WorkerMessage, WorkerRequest } from '../shared/workerProtocol';

/** A job's failure as the worker reported it, or as its end told it. */
export class JobError extends Error {
  constructor(
    message: string,
    /**
     * 'input': the user's file or request is at fault, the message says how; 'stopped': the
     * worker died (out of memory, an exit) and the message says what to do; 'internal': a bug,
     * see `detail`.
     */
    readonly kind: 'input' | 'stopped' | 'internal',
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'JobError';
  }
}

export class JobCancelled extends Error {
  constructor() {
    super('cancelled');
    this.name = 'JobCancelled';
  }
}

export interface RunJobOptions {
  readonly onProgress?: (stage: string, fraction?: number) => void;
  /** Aborting terminates the worker at once: nothing it was doing survives. */
  readonly signal?: AbortSignal;
  /** The worker's heap limit in MB (`mergeLens.workerMemoryMb`, resolved); absent: the automatic one. */
  readonly memoryMb?: number;
}

/** What to do when a job runs out of memory: comparisons can also take fewer samples or threads. */
const LESS_MEMORY: Record<JobName, string> = {
  inspect: '',
  fingerprint: '',
  compare: ', or use fewer samples (mergeLens.maxSamples) or threads (mergeLens.threads)',
  series: ', or use fewer samples (mergeLens.maxSamples) or threads (mergeLens.threads)',
  similarity: '',
  export: ', or use fewer samples (mergeLens.maxSamples)',
};

/**
 * Runs one job in a fresh worker thread (the bundle at `workerScript`) and resolves with its
 * result. A fresh worker per job makes cancellation immediate and leaves no state behind, and a
 * worker that dies takes only its job with it: past its heap limit, on an uncaught error or an
 * exit, the job fails with a one-line JobError that says what the worker was doing.
 */
export function runJob<K extends JobName>(
  workerScript: string,
  job: K,
  params: JobParams<K>,
  options: RunJobOptions = {},
): Promise<JobResult<K>> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(new JobCancelled());
    const memoryMb = memoryLimitMb(options.memoryMb);
    const worker = new Worker(workerScript, { resourceLimits: { maxOldGenerationSizeMb: memoryMb } });
    let settled = false;
    let stage: string | null = null;
    const doing = () => (stage ? ` while ${stage}` : ' as it started');
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', abort);
      void worker.terminate();
      outcome();
    };
    const abort = () => finish(() => reject(new JobCancelled()));
    options.signal?.addEventListener('abort', abort, { once: true });
    worker.on('message', (message: WorkerMessage) => {
      switch (message.type) {
        case 'progress':
          // Messages the worker posted before it was stopped can still arrive: a cancelled job reports nothing more.
          if (settled) return;
          stage = message.stage;
          options.onProgress?.(message.stage, message.fraction);
          return;
        case 'result':
          return finish(() => resolve(message.result as JobResult<K>));
        case 'error':
          return finish(() => reject(new JobError(message.message, message.kind, message.stack)));
      }
    });
    worker.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'ERR_WORKER_OUT_OF_MEMORY') {
        const message = `the worker ran out of memory (its limit is ${memoryMb} MB)${doing()}; raise mergeLens.workerMemoryMb${LESS_MEMORY[job]}`;
        return finish(() => reject(new JobError(message, 'stopped', error.stack)));
      }
      // An error nothing in the worker caught: a bug, with its stack for the output channel.
      finish(() => reject(new JobError(`the worker failed${doing()}: ${oneLine(error.message)}`, 'internal', error.stack)));
    });
    worker.on('exit', (code) =>
      finish(() =>
        reject(
          code === 0
            ? new JobError(`the worker ended without an answer${doing()}`, 'internal')
            : new JobError(`the worker stopped with exit code ${code}${doing()}; run the job again, and if it stops again see the Merge Lens output`, 'stopped'),
        ),
      ),
    );
    const request = { type: 'run', job, params } as WorkerRequest;
    worker.postMessage(request);
  });
}
