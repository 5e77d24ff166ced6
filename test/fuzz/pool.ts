import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FuzzCase } from './cases';
import type { ReadMode } from './families';
import type { CaseOutcome, CaseRequest } from './protocol';

export interface PoolLimits {
  /** A case running longer is a hang: its worker is stopped. */
  readonly timeMs: number;
  /** The V8 heap each worker may use; beyond it the worker dies, which is a crash. */
  readonly heapMb: number;
  /** The process's resident memory beyond which every running case is stopped as a crash. */
  readonly rssMb: number;
}

export const DEFAULT_LIMITS: PoolLimits = { timeMs: 10_000, heapMb: 512, rssMb: 3072 };

/** How a case ended, and the folder it was read from. */
export interface Ran {
  readonly outcome: CaseOutcome;
  readonly caseDir: string;
}

interface Slot {
  worker: Worker;
  readonly caseDir: string;
  job?: { request: CaseRequest; resolve: (ran: Ran) => void; timer: NodeJS.Timeout; started: number };
}

/**
 * Worker threads that read cases, one at a time each, under a time and a memory bound. Each
 * worker has its own folder under `root` (w<k>/case) with decoys beside it, which an escaping
 * path such as '../sentinel.safetensors' or '../../sentinel.bin' would name.
 */
export class FuzzPool {
  private readonly slots: Slot[] = [];
  private readonly waiting: { request: CaseRequest; resolve: (ran: Ran) => void }[] = [];
  private nextId = 0;
  private closed = false;
  private readonly memoryWatch: NodeJS.Timeout;

  constructor(
    private readonly workerScript: string,
    root: string,
    size: number,
    private readonly limits: PoolLimits = DEFAULT_LIMITS,
    sentinel: Uint8Array = new Uint8Array(16),
  ) {
    writeFileSync(join(root, 'sentinel.bin'), sentinel);
    for (let k = 0; k < size; k++) {
      const folder = join(root, `w${k}`);
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, 'sentinel.safetensors'), sentinel);
      writeFileSync(join(folder, 'sentinel.bin'), sentinel);
      const caseDir = join(folder, 'case');
      const slot: Slot = { worker: this.start(caseDir), caseDir };
      this.slots.push(slot);
      this.listen(slot);
    }
    this.memoryWatch = setInterval(() => this.checkMemory(), 50);
  }

  private start(caseDir: string): Worker {
    return new Worker(this.workerScript, {
      workerData: { caseDir },
      resourceLimits: { maxOldGenerationSizeMb: this.limits.heapMb, maxYoungGenerationSizeMb: 64 },
      stdout: true,
      stderr: true,
    });
  }

  private listen(slot: Slot): void {
    const worker = slot.worker;
    worker.on('message', (outcome: CaseOutcome) => {
      if (worker !== slot.worker) return;
      this.finish(slot, outcome);
    });
    worker.on('error', (error) => {
      if (worker !== slot.worker) return;
      this.replace(slot, 'crash', `the worker died: ${error.message}`);
    });
    worker.on('exit', (code) => {
      if (worker !== slot.worker) return;
      this.replace(slot, 'crash', `the worker exited with code ${code}`);
    });
  }

  /** Stops a slot's worker and ends its case as `status`; a fresh worker takes the slot. */
  private replace(slot: Slot, status: 'hang' | 'crash', message: string): void {
    if (this.closed) return;
    const old = slot.worker;
    slot.worker = this.start(slot.caseDir);
    this.listen(slot);
    void old.terminate();
    if (slot.job) this.finish(slot, { id: slot.job.request.id, status, message, touched: [], executed: [], ms: Date.now() - slot.job.started });
    else this.dispatch();
  }

  private finish(slot: Slot, outcome: CaseOutcome): void {
    const job = slot.job;
    if (!job || outcome.id !== job.request.id) return;
    clearTimeout(job.timer);
    slot.job = undefined;
    job.resolve({ outcome, caseDir: slot.caseDir });
    this.dispatch();
  }

  private checkMemory(): void {
    const rss = process.memoryUsage.rss() / 2 ** 20;
    if (rss <= this.limits.rssMb) return;
    for (const slot of this.slots) {
      if (slot.job) this.replace(slot, 'crash', `the process's memory reached ${Math.round(rss)} MiB, above the ${this.limits.rssMb} MiB bound`);
    }
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.job) continue;
      const next = this.waiting.shift();
      if (!next) return;
      const timer = setTimeout(() => this.replace(slot, 'hang', `still reading after ${this.limits.timeMs} ms`), this.limits.timeMs);
      slot.job = { ...next, timer, started: Date.now() };
      slot.worker.postMessage(next.request);
    }
  }

  /** Reads one case in the next free worker. */
  run(fuzzCase: FuzzCase, mode: ReadMode): Promise<Ran> {
    const request: CaseRequest = { id: this.nextId++, mode, target: fuzzCase.target, files: [...fuzzCase.files] };
    return new Promise((resolve) => {
      this.waiting.push({ request, resolve });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.memoryWatch);
    const workers = this.slots.map((slot) => slot.worker);
    this.slots.length = 0;
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}
