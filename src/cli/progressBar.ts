/**
 * A one-line progress bar on stderr for long work: redrawn in place on a terminal, and reduced
 * to a line per stage when stderr is a file or pipe (CI logs), so logs stay readable.
 */
export class ProgressBar {
  private lastStage = '';
  private lastDraw = 0;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  update(stage: string, fraction?: number): void {
    // "weight path and LLFC: α 12/25" is one stage: its counter does not make a new line in a log.
    const label = stage.replace(/[,:\s]*(?:α|sweep|epoch|tensor)?\s*\d+\/\d+$/, '');
    if (!this.stream.isTTY) {
      if (label !== this.lastStage) this.stream.write(`${label}\n`);
      this.lastStage = label;
      return;
    }
    const now = Date.now();
    if (now - this.lastDraw < 50 && label === this.lastStage) return;
    this.lastDraw = now;
    this.lastStage = label;
    const width = 24;
    const filled = fraction === undefined ? 0 : Math.round(Math.min(1, Math.max(0, fraction)) * width);
    const bar = fraction === undefined ? '' : `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] `;
    const columns = this.stream.columns ?? 80;
    this.stream.write(`\r\x1b[K${(bar + stage).slice(0, columns - 1)}`);
  }

  done(): void {
    if (this.stream.isTTY) this.stream.write('\r\x1b[K');
  }
}
