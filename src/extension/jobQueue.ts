import * as vscode from 'vscode';
import { memoryLimitMb } from '../engine/compare/memoryLimit';
import type { JobName, JobParams, JobResult } from '../shared/workerProtocol';
import { JobCancelled, runJob } from './runJob';

export interface JobOptions {
  /** What the job is, for people: "comparing a.pt with b.pt". */
  readonly title: string;
  /**
   * 'notification': a cancellable progress notification (work the user asked for);
   * 'quiet': the status bar only (work a hover or a panel asked for).
   */
  readonly display: 'notification' | 'quiet';
  /** Cancels from outside (the panel's Cancel button, the panel closing). */
  readonly signal?: AbortSignal;
  /** A second listener besides the notification (the panel shows the stage too). */
  readonly onProgress?: (stage: string, fraction: number | null) => void;
}

interface Waiting {
  readonly start: () => void;
  readonly signal: AbortSignal;
}

/**
 * Runs worker jobs, at most `mergeLens.workers` at once; the rest wait their turn. Every job
 * is one fresh worker thread (runJob) under `mergeLens.workerMemoryMb`, so the extension host
 * only waits and shows progress, and a worker that dies fails only its job. A
 * status-bar item says while anything runs.
 */
export class JobQueue implements vscode.Disposable {
  private readonly running = new Set<string>();
  private readonly waiting: Waiting[] = [];
  private readonly status = vscode.window.createStatusBarItem('mergeLens.jobs', vscode.StatusBarAlignment.Left, 10);

  constructor(
    private readonly workerScript: string,
    /** The settings now: `workers` jobs at once, each worker's heap limited to `workerMemoryMb` (0: automatic). */
    private readonly limits: () => { readonly workers: number; readonly workerMemoryMb: number },
  ) {
    this.status.name = 'Merge Lens jobs';
  }

  run<K extends JobName>(job: K, params: JobParams<K>, options: JobOptions): Promise<JobResult<K>> {
    if (options.display === 'quiet') return this.schedule(job, params, options, options.signal, () => {});
    return Promise.resolve(
      vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Merge Lens: ${options.title}`, cancellable: true },
        (progress, token) => {
          const abort = new AbortController();
          token.onCancellationRequested(() => abort.abort());
          const signal = options.signal ? AbortSignal.any([abort.signal, options.signal]) : abort.signal;
          let shown = 0;
          return this.schedule(job, params, options, signal, (stage, fraction) => {
            // Notifications take increments; the worker reports where it stands.
            const increment = fraction === null ? undefined : Math.max(0, fraction - shown) * 100;
            if (fraction !== null) shown = Math.max(shown, fraction);
            progress.report({ message: stage, ...(increment === undefined ? {} : { increment }) });
          });
        },
      ),
    );
  }

  private async schedule<K extends JobName>(
    job: K,
    params: JobParams<K>,
    options: JobOptions,
    signal: AbortSignal | undefined,
    report: (stage: string, fraction: number | null) => void,
  ): Promise<JobResult<K>> {
    const listen = (stage: string, fraction: number | null) => {
      report(stage, fraction);
      options.onProgress?.(stage, fraction);
    };
    await this.slot(signal ?? new AbortController().signal, listen);
    const id = `${options.title}#${Math.random()}`;
    this.running.add(id);
    this.showStatus();
    try {
      return await runJob(this.workerScript, job, params, {
        onProgress: (stage, fraction) => listen(stage, fraction ?? null),
        memoryMb: memoryLimitMb(this.limits().workerMemoryMb),
        ...(signal ? { signal } : {}),
      });
    } finally {
      this.running.delete(id);
      this.showStatus();
      this.waiting.shift()?.start();
    }
  }

  /** Resolves when a worker may start; rejects if cancelled while waiting. */
  private slot(signal: AbortSignal, listen: (stage: string, fraction: number | null) => void): Promise<void> {
    if (signal.aborted) return Promise.reject(new JobCancelled());
    if (this.running.size < this.limits().workers) return Promise.resolve();
    listen('waiting for a free worker (setting mergeLens.workers)', null);
    return new Promise((resolve, reject) => {
      const entry: Waiting = {
        signal,
        start: () => {
          signal.removeEventListener('abort', cancel);
          resolve();
        },
      };
      const cancel = () => {
        this.waiting.splice(this.waiting.indexOf(entry), 1);
        reject(new JobCancelled());
      };
      signal.addEventListener('abort', cancel, { once: true });
      this.waiting.push(entry);
    });
  }

  private showStatus(): void {
    const count = this.running.size + this.waiting.length;
    if (count === 0) {
      this.status.hide();
      return;
    }
    const titles = [...this.running].map((id) => id.slice(0, id.lastIndexOf('#')));
    this.status.text = `$(loading~spin) Merge Lens${count > 1 ? ` (${count})` : ''}`;
    this.status.tooltip = [...titles, ...(this.waiting.length ? [`${this.waiting.length} waiting`] : [])].join('\n');
    this.status.show();
  }

  dispose(): void {
    this.status.dispose();
  }
}
