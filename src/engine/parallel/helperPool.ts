import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { LayerBarrier } from '../../shared/compareReport';
import { threadMemoryLimit, type MemoryLimit } from '../compare/memoryLimit';
import { InputError } from '../io/inputError';
import type { Params } from '../model/params';
import { paramEntries, type FromHelper, type LayerPass, type ToHelper } from './computeProtocol';

/** The helper's bundle: dist/compute.js, beside the bundle that runs the engine (tests run deeper in dist/). */
export function helperScript(): string | null {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const file = join(dir, 'compute.js');
    if (existsSync(file)) return file;
    if (basename(dir) === 'dist' || dirname(dir) === dir) return null;
  }
}

interface Pending {
  readonly resolve: (barrier: LayerBarrier) => void;
  readonly reject: (error: Error) => void;
  readonly onProgress: (pass: LayerPass, batch: number, batches: number) => void;
}

/** One helper thread and the requests it has not answered yet. */
class Helper {
  private readonly pending = new Map<number, Pending>();
  private failure: Error | null = null;

  constructor(
    readonly worker: Worker,
    private readonly memory: MemoryLimit,
  ) {
    // A helper never keeps the process alive: whoever forgets to dispose still exits.
    worker.unref();
    worker.on('message', (message: FromHelper) => this.receive(message));
    worker.on('error', (error: Error & { code?: string }) => this.fail(error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? outOfMemory(this.memory) : error));
    worker.on('exit', (code) => this.fail(new Error(`a compute helper stopped (exit code ${code})`)));
  }

  /** Why this helper can no longer answer, once it cannot. */
  get failed(): Error | null {
    return this.failure;
  }

  post(message: ToHelper): void {
    if (!this.failure) this.worker.postMessage(message);
  }

  request(id: number, message: ToHelper, pending: Pending): void {
    if (this.failure) return pending.reject(this.failure);
    this.pending.set(id, pending);
    this.worker.postMessage(message);
  }

  fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }

  private receive(message: FromHelper): void {
    switch (message.type) {
      case 'ready':
        return;
      case 'progress':
        this.pending.get(message.id)?.onProgress(message.pass, message.batch, message.batches);
        return;
      case 'layerBarrier': {
        const p = this.pending.get(message.id);
        this.pending.delete(message.id);
        p?.resolve(message.barrier);
        return;
      }
      case 'error': {
        const error = Object.assign(new Error(`compute helper: ${message.message}`), message.stack ? { stack: message.stack } : {});
        if (message.id === null) return this.fail(error);
        const p = this.pending.get(message.id);
        this.pending.delete(message.id);
        p?.reject(error);
        return;
      }
    }
  }
}

/** A helper past its heap limit: the comparison needs more memory than it may use, not a bug. */
function outOfMemory(limit: MemoryLimit): InputError {
  return new InputError(
    `a compute helper ran out of memory (its limit is ${limit.mb} MB) measuring per-layer barriers; use fewer threads or samples${limit.raise ? `, or ${limit.raise}` : ''}`,
  );
}

/**
 * Worker threads that each hold a copy of A, the data and the B last given, and measure
 * per-layer barriers on request: the path evaluator's other cores. Terminating rejects whatever
 * is pending at once.
 */
export class HelperPool {
  private nextId = 0;
  private version = 0;
  private terminated = false;

  private constructor(private readonly helpers: readonly Helper[]) {}

  /**
   * `count` helpers running `script`, each set up alike, each under `memory` (by default the limit
   * of the thread that starts them: the editor's job worker has its own).
   */
  static start(script: string, count: number, setup: Extract<ToHelper, { type: 'setup' }>, memory: MemoryLimit = threadMemoryLimit()): HelperPool {
    const helpers = Array.from({ length: count }, () => new Helper(new Worker(script, { resourceLimits: { maxOldGenerationSizeMb: memory.mb } }), memory));
    for (const helper of helpers) helper.post(setup);
    return new HelperPool(helpers);
  }

  get size(): number {
    return this.helpers.length;
  }

  /** Throws why a helper stopped, if one has: the measurement cannot finish without its layers. */
  throwIfFailed(): void {
    if (this.terminated) return;
    const failure = this.helpers.find((helper) => helper.failed)?.failed;
    if (failure) throw failure;
  }

  /** Hands every helper π(θB); the requests after this measure against it. */
  setB(paramsB: Params): number {
    this.version++;
    const entries = paramEntries(paramsB);
    for (const helper of this.helpers) helper.post({ type: 'setB', version: this.version, paramsB: entries });
    return this.version;
  }

  layerBarrier(
    helper: number,
    version: number,
    unit: number,
    alphas: readonly number[],
    onProgress: (pass: LayerPass, batch: number, batches: number) => void,
  ): Promise<LayerBarrier> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.terminated) return reject(new Error('the compute helpers were stopped'));
      this.helpers[helper]!.request(id, { type: 'layerBarrier', id, version, unit, alphas }, { resolve, reject, onProgress });
    });
  }

  terminate(): void {
    if (this.terminated) return;
    this.terminated = true;
    for (const helper of this.helpers) {
      helper.fail(new Error('the compute helpers were stopped'));
      void helper.worker.terminate();
    }
  }
}
