/**
 * `merge-lens series`: a series of comparisons from a manifest. Run whole (each pair cached, so an
 * interrupted series resumes), one pair at a time (`--item K`, the unit of a cluster's job array)
 * and merged (`--merge DIR`), or a manifest guessed from a pattern of paths (`series init`).
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ResultCache } from '../cache/resultCache';
import { resultCacheForSeries } from '../cache/seriesCache';
import { writeAtomically } from '../engine/export/atomicFile';
import { fileSha256 } from '../engine/io/fileSha256';
import { InputError } from '../engine/io/inputError';
import { globFiles } from '../engine/series/globFiles';
import { manifestFromFiles, manifestPath } from '../engine/series/manifestFromFiles';
import { readSeriesManifest, type ResolvedSeries } from '../engine/series/readManifest';
import { runSeries } from '../engine/series/runSeries';
import { seriesReport } from '../engine/series/seriesFigures';
import { readSeriesItems } from '../engine/series/seriesItems';
import { BACKEND_CHOICES } from '../shared/compareRequest';
import type { SeriesManifest, SeriesReport } from '../shared/seriesReport';
import { oneOf, threadsFromFlags } from './compareFlags';
import { ProgressBar } from './progressBar';
import { renderSeriesHtml } from './seriesHtml';
import { formatSeriesTable } from './seriesTable';
import { UsageError } from './usageError';

/** Where finished pairs are kept unless --cache says otherwise: beside the demo's folder, in the current folder. */
export const SERIES_CACHE_DIR = '.merge-lens/series-cache';
/** The cache keeps at least this many reports (a series keeps all of its own however long). */
const MIN_CACHE_ENTRIES = 200;

const FLAGS = {
  json: { type: 'string' },
  html: { type: 'string' },
  cache: { type: 'string' },
  threads: { type: 'string' },
  backend: { type: 'string' },
  item: { type: 'string' },
  merge: { type: 'string' },
  out: { type: 'string' },
  variable: { type: 'string' },
  data: { type: 'string' },
  force: { type: 'boolean' },
} as const;

type Values = { [K in keyof typeof FLAGS]?: (typeof FLAGS)[K]['type'] extends 'boolean' ? boolean : string };

/** Flags that a mode does not take, refused by name before any work. */
function refuse(values: Values, flags: readonly (keyof typeof FLAGS)[], mode: string): void {
  const given = flags.filter((f) => values[f] !== undefined);
  if (given.length > 0) throw new UsageError(`${given.map((f) => `--${f}`).join(' and ')} ${given.length === 1 ? 'does' : 'do'} not apply to ${mode}`);
}

async function writeText(file: string, text: string): Promise<void> {
  await writeAtomically(file, { overwrite: true }, (handle) => handle.writeFile(text, 'utf8'));
}

/** The series as the manifest says, with --backend (which does not change the numbers' meaning) applied to every pair. */
async function readSeries(manifest: string, values: Values): Promise<ResolvedSeries> {
  const series = await readSeriesManifest(manifest);
  if (values.backend === undefined) return series;
  const backend = oneOf(values.backend, BACKEND_CHOICES, 'backend');
  return { ...series, pairs: series.pairs.map((p) => ({ ...p, choices: { ...p.choices, backend } })) };
}

/** Exit status 3 when any alignment failed its equivalence check, as `compare`. */
function status(report: SeriesReport): number {
  return report.items.every((item) => Object.values(item.report.methods).every((m) => m.equivalent)) ? 0 : 3;
}

async function writeOutputs(report: SeriesReport, values: Values): Promise<void> {
  process.stdout.write(`${formatSeriesTable(report)}\n`);
  if (values.json) {
    await writeText(values.json, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`series report: ${values.json}\n`);
  }
  if (values.html) {
    await writeText(values.html, renderSeriesHtml(report));
    process.stdout.write(`figures: ${values.html}\n`);
  }
}

/** The whole series, or one item of it, each pair through the cache. */
async function run(series: ResolvedSeries, values: Values): Promise<number> {
  const item = values.item === undefined ? undefined : Number(values.item);
  if (item !== undefined && (values.item!.trim() === '' || !Number.isInteger(item) || item < 0)) {
    throw new UsageError(`--item takes a pair's index, a whole number from 0 (the manifest's first pair), not '${values.item}'`);
  }
  const directory = values.cache ?? SERIES_CACHE_DIR;
  const cache = new ResultCache({ directory, hashFiles: (files) => Promise.all(files.map(fileSha256)), maxEntries: Math.max(MIN_CACHE_ENTRIES, series.pairs.length) });
  const bar = new ProgressBar();
  let cached = 0;
  let report: SeriesReport;
  try {
    report = await runSeries(series, {
      cache: resultCacheForSeries(cache),
      threads: threadsFromFlags(values),
      ...(item === undefined ? {} : { items: [item] }),
      onProgress: (stage, fraction) => bar.update(stage, fraction),
      onItem: (_, fromCache) => {
        if (fromCache) cached++;
      },
    });
  } finally {
    bar.done();
  }
  const count = report.items.length;
  process.stderr.write(`${count} pair${count === 1 ? '' : 's'}: ${count - cached} compared, ${cached} from the cache (${directory})\n`);
  if (item !== undefined) {
    await writeText(values.json!, `${JSON.stringify(report.items[0], null, 2)}\n`);
    process.stdout.write(`${formatSeriesTable(report)}\nitem ${item} (${series.variable} ${report.items[0]!.value}): ${values.json}\n`);
  } else {
    await writeOutputs(report, values);
  }
  return status(report);
}

/** The series report of item files a job array wrote, checked to be this manifest's. */
async function merge(series: ResolvedSeries, dir: string, values: Values): Promise<number> {
  const report = seriesReport(series, await readSeriesItems(dir, series));
  await writeOutputs(report, values);
  return status(report);
}

/** The manifest as written for the user to read and edit: a pair per line. */
function manifestText(manifest: SeriesManifest): string {
  const fields = [
    `  "variable": ${JSON.stringify(manifest.variable)}`,
    ...(manifest.data === undefined ? [] : [`  "data": ${JSON.stringify(manifest.data)}`]),
    `  "pairs": [\n${manifest.pairs.map((p) => `    { "value": ${JSON.stringify(p.value)}, "a": ${JSON.stringify(p.a)}, "b": ${JSON.stringify(p.b)} }`).join(',\n')}\n  ]`,
  ];
  return `{\n${fields.join(',\n')}\n}\n`;
}

/** `series init PATTERN…`: the manifest the paths suggest, written for the user to check. */
async function init(patterns: readonly string[], values: Values): Promise<number> {
  if (patterns.length === 0) throw new UsageError("series init takes a pattern of checkpoint paths, e.g. merge-lens series init 'runs/w*/seed{0,1}.pt'");
  const out = values.out ?? 'series.json';
  if (existsSync(out) && !values.force) throw new InputError(`${out} already exists; check it, or give --force to replace it (or --out another file)`);
  const folder = dirname(resolve(out));
  const files = globFiles(patterns);
  const guessed = manifestFromFiles(files, { folder, ...(values.variable === undefined ? {} : { variable: values.variable }) });
  let manifest: SeriesManifest = guessed;
  if (values.data !== undefined) {
    if (!existsSync(values.data) || !statSync(values.data).isFile()) throw new InputError(`--data: no such file: ${resolve(values.data)}`);
    manifest = { variable: guessed.variable, data: manifestPath(folder, values.data), pairs: guessed.pairs };
  }
  await writeAtomically(out, { overwrite: values.force === true }, (handle) => handle.writeFile(manifestText(manifest), 'utf8'));
  const lines = manifest.pairs.map((p) => `  ${manifest.variable} ${p.value}: ${p.a} × ${p.b}`);
  process.stdout.write(
    `${files.length} files matched; guessed variable: ${manifest.variable}, ${manifest.pairs.length} pair${manifest.pairs.length === 1 ? '' : 's'}:\n${lines.join('\n')}\n` +
      `written to ${out} (paths inside its folder relative to it). Check it${values.data === undefined ? ', add "data" for barriers and LLFC (or --data)' : ''}, then run: merge-lens series ${out}\n`,
  );
  return 0;
}

export async function runSeriesCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: FLAGS, allowPositionals: true });
  const [first, ...rest] = positionals;
  if (first === 'init') {
    refuse(values, ['json', 'html', 'cache', 'threads', 'backend', 'item', 'merge'], 'series init');
    return init(rest, values);
  }
  refuse(values, ['out', 'variable', 'data', 'force'], 'a series run (they are series init\'s)');
  if (!first || rest.length > 0) throw new UsageError('series takes one manifest: merge-lens series MANIFEST [--json OUT] [--html OUT], or merge-lens series init PATTERN');
  if (values.item !== undefined && values.merge !== undefined) throw new UsageError('--item runs one pair and --merge combines finished ones: give one of them');
  if (values.item !== undefined) {
    refuse(values, ['html'], '--item (it writes the item\'s JSON; --merge makes the figures)');
    if (values.json === undefined) throw new UsageError('--item needs --json OUT, the file the pair\'s item is written to');
  }
  if (values.merge !== undefined) refuse(values, ['cache', 'threads'], '--merge (it runs no comparison)');
  threadsFromFlags(values);
  const series = await readSeries(first, values);
  return values.merge !== undefined ? merge(series, values.merge, values) : run(series, values);
}
