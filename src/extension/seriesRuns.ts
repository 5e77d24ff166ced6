import * as vscode from 'vscode';
import type { SeriesToHost } from '../shared/seriesPanelProtocol';
import type { SeriesReport } from '../shared/seriesReport';
import type { JobParams } from '../shared/workerProtocol';
import type { Comparisons } from './comparisons';
import type { JobQueue } from './jobQueue';
import { JobCancelled } from './runJob';
import { SeriesPanel } from './seriesPanel';
import { showJobError } from './showJobError';

/** What a series run reads: a manifest file, or a manifest made from selected files. */
export type SeriesSource = JobParams<'series'>['source'];

/**
 * Owns the series the editor shows: runs it in a background worker (each pair through the result
 * cache, so a cancelled series resumes where it stopped), keeps the one Series panel in step, and
 * opens a pair the panel asks for in the results panel.
 */
export class SeriesRuns implements vscode.Disposable {
  private panel: SeriesPanel | undefined;
  private shown: SeriesReport | undefined;
  private running: AbortController | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly jobs: JobQueue,
    private readonly comparisons: Comparisons,
    /** The result cache's folder: the worker reads and writes the pairs' entries there. */
    private readonly cacheDirectory: string,
    /** The `mergeLens.threads` setting, read as each series starts. */
    private readonly threads: () => number,
    private readonly output: vscode.OutputChannel,
  ) {}

  /** Resolves to the series report shown, or undefined when it failed (already told to the user) or was cancelled. */
  async run(source: SeriesSource, title: string): Promise<SeriesReport | undefined> {
    this.running?.abort();
    const abort = new AbortController();
    this.running = abort;
    const panel = this.ensurePanel();
    panel.post({ type: 'running', title, stage: 'starting', fraction: null });
    try {
      const report = await this.jobs.run('series', { source, threads: this.threads(), cacheDirectory: this.cacheDirectory }, {
        title: `comparing ${title}`,
        display: 'notification',
        signal: abort.signal,
        onProgress: (stage, fraction) => panel.post({ type: 'running', title, stage, fraction }),
      });
      this.shown = report;
      this.ensurePanel().post({ type: 'report', title, report });
      return report;
    } catch (error) {
      if (error instanceof JobCancelled) {
        panel.post({ type: 'cancelled', title });
      } else {
        panel.post({ type: 'failed', title, message: error instanceof Error ? error.message : String(error) });
        // Not awaited: the notification stays until the user acts, and a scripted caller must not wait for that.
        void showJobError(error, `the series ${title}`, this.output);
      }
      return undefined;
    } finally {
      if (this.running === abort) this.running = undefined;
    }
  }

  private ensurePanel(): SeriesPanel {
    if (this.panel && !this.panel.isDisposed) {
      this.panel.reveal();
      return this.panel;
    }
    const panel = SeriesPanel.create(this.extensionUri, (m) => this.onPanelMessage(m));
    panel.onDidDispose(() => {
      if (this.panel === panel) {
        // Closing the panel stops its work: nobody is left to see it (the finished pairs stay cached).
        this.running?.abort();
        this.panel = undefined;
        this.shown = undefined;
      }
    });
    this.panel = panel;
    return panel;
  }

  private onPanelMessage(message: SeriesToHost): void {
    switch (message.type) {
      case 'ready':
        return;
      case 'cancel':
        this.running?.abort();
        return;
      case 'openPair': {
        const item = this.shown?.items.find((i) => i.index === message.index);
        if (item) void this.comparisons.showReport(item.report);
        return;
      }
    }
  }

  dispose(): void {
    this.running?.abort();
    this.panel?.dispose();
  }
}
