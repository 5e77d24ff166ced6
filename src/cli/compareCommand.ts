import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { compareCheckpoints } from '../engine/compare/compareCheckpoints';
import { exportComparison } from '../engine/compare/exportComparison';
import { exportRequestFor } from '../engine/compare/followUpRequests';
import { resolveCompareRequest } from '../engine/compare/resolveRequest';
import { ensureDemoPair, DEMO_CACHE_DIR } from '../engine/demo/demoFiles';
import { ensureDemoSeries } from '../engine/demo/demoSeries';
import { writeAtomically } from '../engine/export/atomicFile';
import { bestMethod } from '../shared/bestMethod';
import { ALL_METHOD_NAMES, type MethodName } from '../shared/compareReport';
import type { CompareRequest } from '../shared/compareRequest';
import { compareChoicesFromFlags, oneOf, parseCompareArgs, threadsFromFlags, type CompareFlagValues } from './compareFlags';
import { formatCompareTable } from './compareTable';
import { renderHtmlReport } from './htmlReport';
import { ProgressBar } from './progressBar';
import { runSeriesCommand } from './seriesCommand';
import { runStream } from './streamCommand';
import { UsageError } from './usageError';

/** The exports the flags ask for, checked before any work starts so a typo costs no minutes. */
function exportPlan(values: CompareFlagValues, methods: readonly MethodName[]) {
  const mergeAt = values['merge-at'] === undefined ? undefined : Number(values['merge-at']);
  if (mergeAt !== undefined && !(mergeAt >= 0 && mergeAt <= 1)) throw new UsageError(`--merge-at takes α between 0 and 1, not '${values['merge-at']}'`);
  if ((mergeAt === undefined) !== (values['export-merged'] === undefined)) throw new UsageError('--merge-at and --export-merged go together');
  const method = values['export-method'] === undefined ? undefined : oneOf(values['export-method'], ALL_METHOD_NAMES, 'export-method');
  if (method && !methods.includes(method)) throw new UsageError(`--export-method ${method} is not among --methods`);
  return { mergeAt, method };
}

async function writeText(file: string, text: string): Promise<void> {
  await writeAtomically(file, { overwrite: true }, (handle) => handle.writeFile(text, 'utf8'));
}

async function run(request: CompareRequest, values: CompareFlagValues): Promise<number> {
  const plan = exportPlan(values, request.methods);
  const bar = new ProgressBar();
  let comparison;
  try {
    comparison = await compareCheckpoints(request, { threads: threadsFromFlags(values), onProgress: (stage, fraction) => bar.update(stage, fraction) });
  } finally {
    bar.done();
  }
  const { report } = comparison;
  process.stdout.write(`${formatCompareTable(report)}\n`);
  if (values.json) {
    await writeText(values.json, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`report: ${values.json}\n`);
  }
  if (values.html) {
    await writeText(values.html, renderHtmlReport(report));
    process.stdout.write(`figures: ${values.html}\n`);
  }
  if (values['export-aligned'] || values['export-merged']) {
    const method = plan.method ?? bestMethod(report);
    if (!method) throw new UsageError('no alignment passed the equivalence check, so there is nothing valid to export');
    if (values['export-aligned']) {
      await exportComparison(exportRequestFor(report, method, null, values['export-aligned'], true), { loaded: comparison });
      process.stdout.write(`aligned B (${method}): ${values['export-aligned']}\n`);
    }
    if (values['export-merged'] && plan.mergeAt !== undefined) {
      const merged = await exportComparison(exportRequestFor(report, method, plan.mergeAt, values['export-merged'], true), { loaded: comparison });
      const how = [merged.batchNorm && `BatchNorm statistics ${merged.batchNorm === 'reset' ? 'recomputed on the fit data' : 'interpolated'}`, merged.repaired && 'REPAIR folded in'].filter(Boolean);
      process.stdout.write(`merged at α=${plan.mergeAt} (${[method, ...how].join('; ')}): ${values['export-merged']}\n`);
    }
  }
  return Object.values(report.methods).every((m) => m.equivalent) ? 0 : 3;
}

/** `merge-lens compare A B [--data EVAL] [...]`: without --data, weights only. */
export async function runCompare(args: string[]): Promise<number> {
  const { a, b, values } = parseCompareArgs(args);
  if (values.stream) return runStream(a, b, values, compareChoicesFromFlags(a, b, values).heads ?? null);
  const request = resolveCompareRequest(compareChoicesFromFlags(a, b, values));
  if (request.data === null) process.stderr.write(`no --data: comparing weights only (${request.methods.join(', ')}); the path, barriers and LLFC need evaluation data\n`);
  return run(request, values);
}

/**
 * `merge-lens demo`: the embedded default. Trains two MLPs from different seeds on the mnist
 * package's digits (cached), compares them with every method and writes both reports; then the
 * same for a small width series (series/series.json): its series report and figures.
 */
export async function runDemo(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { dir: { type: 'string', default: DEMO_CACHE_DIR } }, allowPositionals: true });
  if (positionals.length > 0) throw new UsageError('demo takes no arguments besides --dir');
  const dir = values.dir!;
  const say = (message: string) => process.stderr.write(`${message}\n`);
  const files = await ensureDemoPair(dir, { onProgress: say });
  const json = join(dir, 'report.json');
  const html = join(dir, 'report.html');
  const code = await run(resolveCompareRequest({ a: files.a, b: files.b, data: files.data }), { json, html });
  const manifest = await ensureDemoSeries(dir, { onProgress: say });
  // Its pairs are cached in the demo's folder: a second demo reads them back.
  const seriesCode = await runSeriesCommand([manifest, '--json', join(dir, 'series-report.json'), '--html', join(dir, 'series-report.html'), '--cache', join(dir, 'series-cache')]);
  await writeFile(
    join(dir, 'README.txt'),
    'Made by `merge-lens demo`: two MLPs trained on MNIST digits from seeds 1 and 2, their comparison (report.json) and figures (report.html);\n' +
      'a width series of smaller MLPs (series/, manifest series/series.json), its series report (series-report.json) and figures (series-report.html).\n',
  );
  return Math.max(code, seriesCode);
}
