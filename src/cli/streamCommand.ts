import { streamingComparison } from '../engine/compare/streamingComparison';
import { writeAtomically } from '../engine/export/atomicFile';
import { isWeighted, nodeTensors } from '../engine/model/network';
import type { StreamingReport } from '../shared/streamingReport';
import type { CompareFlagValues } from './compareFlags';
import { ProgressBar } from './progressBar';
import { UsageError } from './usageError';

/** Flags that ask for what streaming cannot give: each needs the data or the whole models. */
const WHOLE_MODEL_FLAGS = ['data', 'fit-data', 'html', 'export-aligned', 'export-merged', 'repair'] as const;

/**
 * `merge-lens compare A B --stream`: weight matching part by part (see streamingWeightMatching),
 * for checkpoints larger than memory; a table of the sweeps and groups, and `--json` the report.
 */
export async function runStream(a: string, b: string, values: CompareFlagValues, heads: number | null): Promise<number> {
  const refused = WHOLE_MODEL_FLAGS.filter((flag) => values[flag] !== undefined && values[flag] !== false);
  if (refused.length > 0) throw new UsageError(`--stream runs weight matching alone, part by part: leave out --${refused.join(', --')}`);
  if (values.methods !== undefined && values.methods !== 'weight') throw new UsageError('--stream runs weight matching alone: leave out --methods or give --methods weight');
  const bar = new ProgressBar();
  let comparison;
  try {
    comparison = await streamingComparison(a, b, {
      activation: 'relu',
      description: values.arch ?? null,
      heads,
      onProgress: (sweep, fraction) => bar.update(`weight matching, part by part: sweep ${sweep}`, Math.min(1, fraction)),
    });
  } finally {
    bar.done();
  }
  const { network, spec, result } = comparison;
  const report: StreamingReport = {
    kind: 'streaming-weight-matching',
    createdAt: new Date().toISOString(),
    tool: 'merge-lens 0.1.0',
    a,
    b,
    network: { kind: network.kind, layers: network.nodes.filter(isWeighted).length, tensors: new Set(network.nodes.flatMap(nodeTensors)).size },
    objectiveBefore: Number(result.details.objectiveBefore),
    objective: Number(result.details.objective),
    sweeps: result.sweepReports,
    groups: spec.groups.map((group, g) => ({
      name: group.name,
      size: group.size,
      permutation: Array.from(result.perms[g]!),
      moved: result.perms[g]!.reduce((n, unit, i) => n + (unit === i ? 0 : 1), 0),
      ...(group.heads && group.heads.partner ? { heads: { count: group.heads.count, withinHead: group.heads.withinHead, partner: group.heads.partner } } : {}),
    })),
  };
  process.stdout.write(`${formatStreamingTable(report)}\n`);
  if (values.json) {
    await writeAtomically(values.json, { overwrite: true }, (handle) => handle.writeFile(`${JSON.stringify(report, null, 2)}\n`, 'utf8'));
    process.stdout.write(`report: ${values.json}\n`);
  }
  return 0;
}

const MIB = 1 << 20;

/** The sweeps (objective, time, peak memory) and how many units of each group moved. */
export function formatStreamingTable(report: StreamingReport): string {
  const lines = [
    `A: ${report.a}`,
    `B: ${report.b}`,
    `${report.network.kind}: ${report.network.layers} layers, ${report.network.tensors} tensors, ${report.groups.length} permutation groups · weight matching part by part`,
    `objective Σ⟨θA, π(θB)⟩: ${report.objectiveBefore.toPrecision(8)} at the identity → ${report.objective.toPrecision(8)}`,
    '',
    'sweep  objective        seconds  read  products  assignments  peak RSS',
    ...report.sweeps.map(
      (s) =>
        `${String(s.sweep).padEnd(5)}  ${s.objective.toPrecision(10).padEnd(15)}  ${s.seconds.toFixed(1).padStart(7)}  ${s.readSeconds.toFixed(1).padStart(4)}  ${s.productSeconds.toFixed(1).padStart(8)}  ${s.assignmentSeconds.toFixed(1).padStart(11)}  ${Math.ceil(s.peakRssBytes / MIB).toLocaleString('en-US')} MiB`,
    ),
    '',
    'group                                     units  moved',
    ...report.groups.map((g) => `${g.name.padEnd(40).slice(0, 40)}  ${String(g.size).padStart(5)}  ${String(g.moved).padStart(5)}${g.heads ? `  (${g.heads.count} heads${g.heads.withinHead ? '' : ', whole heads only'})` : ''}`),
  ];
  return lines.join('\n');
}
