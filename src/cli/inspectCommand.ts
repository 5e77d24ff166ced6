import { openCheckpoint } from '../engine/formats/openCheckpoint';
import { DEFAULT_STATS_BUDGET_BYTES, inspectCheckpoint } from '../engine/inspect/inspectCheckpoint';
import { formatInspectText } from '../engine/inspect/formatInspectText';
import { parseSize } from './parseSize';
import { UsageError } from './usageError';

/** The `--stats` option: 'all' → no limit, 'none' → 0, a size → that many bytes. */
export function statsBudget(option: string | undefined): number | null {
  if (option === undefined) return DEFAULT_STATS_BUDGET_BYTES;
  if (option === 'all') return null;
  if (option === 'none') return 0;
  const bytes = parseSize(option);
  if (bytes === undefined) throw new UsageError(`--stats takes all, none or a size such as 512MB, not '${option}'`);
  return bytes;
}

export async function runInspect(file: string, options: { json: boolean; stats: string | undefined }): Promise<number> {
  const budget = statsBudget(options.stats);
  const checkpoint = await openCheckpoint(file);
  try {
    const report = await inspectCheckpoint(checkpoint, { statsBudgetBytes: budget });
    process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatInspectText(report)}\n`);
  } finally {
    await checkpoint.close();
  }
  return 0;
}
