/**
 * The background worker: runs one job that the extension host sends, off the editor's thread,
 * and answers with progress, then a result or an error.
 */
import { parentPort } from 'node:worker_threads';
import { FormatError } from '../engine/io/formatError';
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
    if (error instanceof FormatError) {
      send({ type: 'error', kind: 'input', message: error.message });
    } else {
      const e = error instanceof Error ? error : new Error(String(error));
      send({ type: 'error', kind: 'internal', message: e.message, ...(e.stack ? { stack: e.stack } : {}) });
    }
  }
}

if (!parentPort) throw new Error('merge-lens worker: start me with worker_threads');
parentPort.once('message', (request: WorkerRequest) => void run(request));
