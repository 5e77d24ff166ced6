import { Worker } from 'node:worker_threads';
import type { JobName, JobParams, JobResult, WorkerMessage, WorkerRequest } from '../shared/workerProtocol';

/** A job's failure as the worker reported it. */
export class JobError extends Error {
  constructor(
    message: string,
    /** 'input': the user's file is at fault, the message says how; 'internal': a bug, see `detail`. */
    readonly kind: 'input' | 'internal',
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
}

/**
 * Runs one job in a fresh worker thread (the bundle at `workerScript`) and resolves with its
 * result. A fresh worker per job makes cancellation immediate and leaves no state behind.
 */
export function runJob<K extends JobName>(
  workerScript: string,
  job: K,
  params: JobParams<K>,
  options: RunJobOptions = {},
): Promise<JobResult<K>> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(new JobCancelled());
    const worker = new Worker(workerScript);
    let settled = false;
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
          options.onProgress?.(message.stage, message.fraction);
          return;
        case 'result':
          return finish(() => resolve(message.result as JobResult<K>));
        case 'error':
          return finish(() => reject(new JobError(message.message, message.kind, message.stack)));
      }
    });
    worker.on('error', (error) => finish(() => reject(new JobError(error.message, 'internal', error.stack))));
    worker.on('exit', (code) => finish(() => reject(new JobError(`the worker stopped unexpectedly (exit code ${code})`, 'internal'))));
    const request = { type: 'run', job, params } as WorkerRequest;
    worker.postMessage(request);
  });
}
