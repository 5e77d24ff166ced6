/**
 * A compute helper (dist/compute.js): a worker thread with its own backend that measures
 * per-layer barriers for the path evaluator of the thread that started it. See computeProtocol.ts.
 */
import { parentPort } from 'node:worker_threads';
import { initBackend } from '../backend/tfBackend';
import { PathEvaluator } from '../metrics/pathEvaluator';
import { disposeTensors, uploadNetwork, type NetworkTensors } from '../model/networkTensors';
import type { FromHelper, ToHelper } from './computeProtocol';

if (!parentPort) throw new Error('merge-lens compute helper: start me with worker_threads');
const port = parentPort;

let evaluator: PathEvaluator | null = null;
let b: { readonly version: number; readonly tensors: NetworkTensors } | null = null;

function send(message: FromHelper): void {
  port.postMessage(message);
}

async function handle(message: ToHelper): Promise<void> {
  switch (message.type) {
    case 'setup': {
      await initBackend(message.backend);
      evaluator = PathEvaluator.create(message.network, new Map(message.paramsA), message.data, {
        fit: message.fit,
        bnReset: message.bnReset,
        batchSize: message.batchSize,
      });
      send({ type: 'ready' });
      return;
    }
    case 'setB': {
      if (!evaluator) throw new Error('setB before setup');
      if (b) disposeTensors(b.tensors);
      b = { version: message.version, tensors: uploadNetwork(evaluator.network, new Map(message.paramsB)) };
      return;
    }
    case 'layerBarrier': {
      if (!evaluator || !b || b.version !== message.version) throw new Error(`layer barrier for B version ${message.version}, which this helper does not hold`);
      const { id } = message;
      const barrier = await evaluator.layerBarrier(b.tensors, message.unit, message.alphas, (pass) => async (batch, batches) => {
        send({ type: 'progress', id, pass, batch, batches });
      });
      send({ type: 'layerBarrier', id, barrier });
      return;
    }
  }
}

// One message at a time, in order: setup, then a B, then its requests.
let queue = Promise.resolve();
port.on('message', (message: ToHelper) => {
  queue = queue.then(() =>
    handle(message).catch((error: unknown) => {
      const e = error instanceof Error ? error : new Error(String(error));
      send({ type: 'error', id: message.type === 'layerBarrier' ? message.id : null, message: e.message, ...(e.stack ? { stack: e.stack } : {}) });
    }),
  );
});
