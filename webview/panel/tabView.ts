/** What every tab is given and what it hands back, so main.ts can build, redraw and dispose them alike. */
import type { Chart } from 'chart.js';
import type { CompareReport } from '../../src/shared/compareReport';
import type { PanelToHost, PanelViewState } from '../../src/shared/panelProtocol';
import type { ChartTheme } from './chartTheme';

export interface TabContext {
  readonly report: CompareReport;
  /** Read at draw time: a theme switch rebuilds the tab with a fresh one. */
  readonly theme: ChartTheme;
  readonly state: () => PanelViewState;
  readonly update: (patch: Partial<PanelViewState>) => void;
  readonly post: (message: PanelToHost) => void;
}

export interface TabView {
  /** Removes what lives outside the tab's container (charts' observers, tooltips). */
  dispose(): void;
  /** The host asked to show this layer. */
  focusLayer?(layer: string): void;
}

/** Collects charts and other disposables of one tab. */
export class Disposer {
  private readonly items: (() => void)[] = [];

  chart<T extends Pick<Chart, 'destroy'>>(chart: T): T {
    this.items.push(() => chart.destroy());
    return chart;
  }

  add(dispose: () => void): void {
    this.items.push(dispose);
  }

  dispose(): void {
    this.items.splice(0).forEach((d) => d());
  }
}
