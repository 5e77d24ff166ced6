/**
 * The background worker: runs one job that the extension host sends, off the editor's thread,
 * and answers with progress, then a result or an error.
 */
import { parentPort } from 'node:worker_threads';
import { WriteError } from '../engine/export/writeError';
import { FormatError } from '../engine/io/formatError';
import { InputError } from '../engine/io/inputError';
import type { WorkerMessage, WorkerRequest } from '../shared/workerProtocol';
import { jobHandlers } from './jobs';

function send(message: WorkerMessage): void {
  parentPort!.postMessage(message);
}

async function run(request: WorkerRequest): Promise<void> {
  const progress = (stage: string, fraction?: number) => send({ type: 'progress', stage, ...(fraction === undefined ? {} : { fraction }) });
  try {
    // The union of handlers cannot be called with the union of params without this widening.
    const handler = jobHandlers[request.job] as (params: typeof request.params, report: typeof progress) => Promise<unknown>;
    send({ type: 'result', result: (await handler(request.params, progress)) as never });
  } catch (error) {
    // The user's files and requests, said in one sentence that names the file; anything else is a bug.
    if (error instanceof FormatError || error instanceof WriteError || error instanceof InputError) {
      send({ type: 'error', kind: 'input', message: error.message });
    } else {
      const e = error instanceof Error ? error : new Error(String(error));
      send({ type: 'error', kind: 'internal', message: e.message, ...(e.stack ? { stack: e.stack } : {}) });
    }
  }
}

if (!parentPort) throw new Error('merge-lens worker: start me with worker_threads');
parentPort.once('message', (request: WorkerRequest) => void run(request));
