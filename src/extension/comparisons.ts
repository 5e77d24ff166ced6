import * as path from 'node:path';
import * as vscode from 'vscode';
import { comparedPairOf } from '../engine/compare/followUpRequests';
import { resolveCompareRequest, type CompareChoices } from '../engine/compare/resolveRequest';
import type { CompareReport, MethodName } from '../shared/compareReport';
import type { CompareRequest } from '../shared/compareRequest';
import type { PanelToHost } from '../shared/panelProtocol';
import { JobCancelled } from './runJob';
import type { JobQueue } from './jobQueue';
import type { ComparisonState } from './layersViewItems';
import { ResultsPanel } from './resultsPanel';
import { showJobError } from './showJobError';

/** What the controller needs of the result cache (src/cache/resultCache.ts). */
export interface ReportCache {
  keyFor(request: CompareRequest, signal?: AbortSignal): Promise<string>;
  get(key: string): Promise<CompareReport | undefined>;
  put(key: string, report: CompareReport): Promise<void>;
}

/** The comparison on show: its report (whose `request` the follow-up jobs read the pair by) and its cache entry. */
export interface ShownComparison {
  readonly report: CompareReport;
  readonly cacheKey: string;
}

/** The panel's export buttons: the export commands act on them (they ask α and the file). */
export interface ExportAsked {
  readonly method: MethodName;
  readonly merged: boolean;
}

/** "a.pt ↔ b.pt". */
export function comparisonTitle(a: string, b: string): string {
  return `${path.basename(a)} ↔ ${path.basename(b)}`;
}

/**
 * Owns the comparison the editor shows: runs it (or takes it from the result cache), keeps the
 * one results panel in step, answers the panel's requests with worker jobs, and tells the
 * layers view each state it gives the panel (running, shown, failed, cancelled), so the two agree.
 */
export class Comparisons implements vscode.Disposable {
  private panel: ResultsPanel | undefined;
  private shown: ShownComparison | undefined;
  private running: AbortController | undefined;
  private readonly changed = new vscode.EventEmitter<ComparisonState>();
  readonly onDidChange = this.changed.event;
  private readonly exportAsked = new vscode.EventEmitter<ExportAsked>();
  readonly onDidAskExport = this.exportAsked.event;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly jobs: JobQueue,
    private readonly cache: ReportCache,
    /** The `mergeLens.threads` setting, read as each comparison starts. */
    private readonly threads: () => number,
    private readonly output: vscode.OutputChannel,
  ) {}

  get current(): ShownComparison | undefined {
    return this.shown;
  }

  /**
   * Runs a comparison, or shows it at once from the cache when nothing it depends on changed.
   * Resolves to the report shown, or undefined when it failed (already told to the user) or was cancelled.
   */
  async compare(choices: CompareChoices): Promise<CompareReport | undefined> {
    this.running?.abort();
    const abort = new AbortController();
    this.running = abort;
    const title = comparisonTitle(choices.a, choices.b);
    const panel = this.ensurePanel();
    this.setState(panel, { type: 'running', title, stage: 'checking the result cache', fraction: null });
    try {
      // Resolved here, before the cache: two choices that mean the same comparison share its entry.
      const request: CompareRequest = resolveCompareRequest(choices);
      const cacheKey = await this.cache.keyFor(request, abort.signal);
      const cached = await this.cache.get(cacheKey);
      const report =
        cached ??
        (await this.jobs.run('compare', { request, threads: this.threads() }, {
          title: `comparing ${title}`,
          display: 'notification',
          signal: abort.signal,
          onProgress: (stage, fraction) => this.setState(panel, { type: 'running', title, stage, fraction }),
        }));
      if (!cached) await this.cache.put(cacheKey, report);
      this.show({ report, cacheKey }, cached !== undefined);
      return report;
    } catch (error) {
      if (error instanceof JobCancelled) {
        this.setState(panel, { type: 'cancelled', title });
      } else {
        this.setState(panel, { type: 'failed', title, message: error instanceof Error ? error.message : String(error) });
        // Not awaited: the notification stays until the user acts, and a scripted caller must not wait for that.
        void showJobError(error, `comparing ${title}`, this.output);
      }
      return undefined;
    } finally {
      if (this.running === abort) this.running = undefined;
    }
  }

  /** A panel VS Code restored with the window: show its comparison again if the cache still has it. */
  async restore(webviewPanel: vscode.WebviewPanel, cacheKey: string | null): Promise<void> {
    this.panel?.dispose();
    this.panel = this.adopt(new ResultsPanel(webviewPanel, this.extensionUri, (m) => this.onPanelMessage(m)));
    const report = cacheKey ? await this.cache.get(cacheKey) : undefined;
    if (!report || !cacheKey) {
      this.setState(this.panel, { type: 'failed', title: 'results', message: 'This comparison is no longer in the cache. Run Merge Lens: Compare Checkpoints again.' });
      return;
    }
    this.show({ report, cacheKey }, true);
  }

  /**
   * Shows a report made elsewhere (a pair of a series) as if it had just been compared: in the
   * results panel, under its cache entry, so that the follow-up jobs and a restored panel find it.
   * Resolves to false when it could not be shown (its files are gone: already told to the user).
   */
  async showReport(report: CompareReport): Promise<boolean> {
    // The latest request wins, as with a new comparison: one running would replace this one.
    this.running?.abort();
    try {
      this.show({ report, cacheKey: await this.cache.keyFor(report.request) }, true);
      return true;
    } catch (error) {
      void showJobError(error, `opening ${comparisonTitle(report.request.a, report.request.b)}`, this.output);
      return false;
    }
  }

  reveal(): void {
    this.panel?.reveal();
  }

  /** From the layers view: bring the panel forward on that layer. */
  focusLayer(layer: string): void {
    if (!this.panel || this.panel.isDisposed) return;
    this.panel.reveal();
    this.panel.post({ type: 'focusLayer', layer });
  }

  private show(shown: ShownComparison, cached: boolean): void {
    this.shown = shown;
    void vscode.commands.executeCommand('setContext', 'mergeLens.hasComparison', true);
    this.setState(this.ensurePanel(), { type: 'report', title: comparisonTitle(shown.report.request.a, shown.report.request.b), report: shown.report, cacheKey: shown.cacheKey, cached });
  }

  /** What the panel shows, told to the panel and to whoever follows it (the layers view). */
  private setState(panel: ResultsPanel, state: ComparisonState): void {
    panel.post(state);
    this.changed.fire(state);
  }

  private ensurePanel(): ResultsPanel {
    if (this.panel && !this.panel.isDisposed) {
      this.panel.reveal();
      return this.panel;
    }
    this.panel = this.adopt(ResultsPanel.create(this.extensionUri, (m) => this.onPanelMessage(m)));
    return this.panel;
  }

  private adopt(panel: ResultsPanel): ResultsPanel {
    panel.onDidDispose(() => {
      if (this.panel === panel) {
        // Closing the panel stops its work: nobody is left to see it.
        this.running?.abort();
        this.panel = undefined;
      }
    });
    return panel;
  }

  private onPanelMessage(message: PanelToHost): void {
    switch (message.type) {
      case 'ready':
        return;
      case 'cancel':
        this.running?.abort();
        return;
      case 'requestSimilarity':
        void this.sendSimilarity(message.method, message.layer);
        return;
      case 'exportAligned':
        this.exportAsked.fire({ method: message.method, merged: false });
        return;
      case 'exportMerged':
        this.exportAsked.fire({ method: message.method, merged: true });
        return;
    }
  }

  private async sendSimilarity(method: MethodName, layer: string): Promise<void> {
    const shown = this.shown;
    const result = shown?.report.methods[method];
    if (!shown || !result) return;
    try {
      const similarity = await this.jobs.run(
        'similarity',
        { ...comparedPairOf(shown.report), method, layer, permutations: result.matching.map((m) => m.permutation) },
        { title: `unit similarity of ${layer} (${method})`, display: 'quiet' },
      );
      this.panel?.post({ type: 'similarity', similarity });
    } catch (error) {
      this.panel?.post({ type: 'similarityFailed', method, layer, message: error instanceof Error ? error.message : String(error) });
    }
  }

  dispose(): void {
    this.running?.abort();
    this.panel?.dispose();
    this.changed.dispose();
    this.exportAsked.dispose();
  }
}
