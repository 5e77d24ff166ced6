import * as vscode from 'vscode';
import type { SeriesSource, SeriesToHost } from '../shared/seriesPanelProtocol';
import type { SeriesReport } from '../shared/seriesReport';
import type { ShownSeries } from '../shared/seriesViewState';
import type { Comparisons } from './comparisons';
import type { JobQueue } from './jobQueue';
import { JobCancelled } from './runJob';
import { SeriesPanel } from './seriesPanel';
import { showJobError } from './showJobError';

const RUN_AGAIN = 'Run Merge Lens: Compare Series… again.';

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
  run(source: SeriesSource, title: string): Promise<SeriesReport | undefined> {
    return this.runIn(this.ensurePanel(), source, title, false);
  }

  /**
   * A panel VS Code restored with the window: runs the series it showed again, which reads every
   * pair back from the result cache (a pair whose files changed since is compared afresh).
   */
  async restore(webviewPanel: vscode.WebviewPanel, shown: ShownSeries | null): Promise<void> {
    this.panel?.dispose();
    const panel = this.adopt(new SeriesPanel(webviewPanel, this.extensionUri, (m) => this.onPanelMessage(m)));
    if (!shown) {
      panel.post({ type: 'failed', title: 'Series', message: `This panel does not say which series it showed. ${RUN_AGAIN}` });
      return;
    }
    await this.runIn(panel, shown.source, shown.title, true);
  }

  private async runIn(panel: SeriesPanel, source: SeriesSource, title: string, restored: boolean): Promise<SeriesReport | undefined> {
    this.running?.abort();
    const abort = new AbortController();
    this.running = abort;
    panel.post({ type: 'running', title, stage: 'starting', fraction: null });
    try {
      const report = await this.jobs.run('series', { source, threads: this.threads(), cacheDirectory: this.cacheDirectory }, {
        title: `comparing ${title}`,
        // A restore is the panel's own work, not a request the user just made: its progress shows there.
        display: restored ? 'quiet' : 'notification',
        signal: abort.signal,
        onProgress: (stage, fraction) => panel.post({ type: 'running', title, stage, fraction }),
      });
      this.shown = report;
      panel.post({ type: 'report', title, source, report });
      return report;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof JobCancelled) {
        panel.post({ type: 'cancelled', title });
      } else if (restored) {
        // Nobody asked for this run just now: the panel says what went wrong, with no notification.
        panel.post({ type: 'failed', title, message: `This series could not be shown again: ${message.replace(/\.?$/, '.')} ${RUN_AGAIN}` });
      } else {
        panel.post({ type: 'failed', title, message });
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
    return this.adopt(SeriesPanel.create(this.extensionUri, (m) => this.onPanelMessage(m)));
  }

  /** Makes `panel` the one Series panel. */
  private adopt(panel: SeriesPanel): SeriesPanel {
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
