import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SeriesItem, SeriesReport } from '../../src/shared/seriesReport';
import { fixture, tempDir } from '../helpers/paths';
import { cli as runCli } from '../helpers/runCli';

const cli = (args: string[], cwd?: string) => runCli(args, cwd ? { cwd } : {});

const WIDTHS = [16, 32, 64, 128];
const widthFile = (w: number, s: number) => fixture('series', 'width', `w${w}_seed${s}.pt`);
/** Small choices: about half a second a pair on two cores. */
const SMALL = { methods: ['naive', 'weight'], options: { alphas: 5, llfcSamples: 64, fitSamples: 64, layerBarriers: false } };

function writeManifest(dir: string, pairs: { value: number | string; a: string; b: string }[], extra: object = {}): string {
  const file = join(dir, 'series.json');
  writeFileSync(file, JSON.stringify({ variable: 'width', data: fixture('compare', 'eval.npz'), ...SMALL, pairs, ...extra }, null, 2));
  return file;
}

const widthPairs = () => WIDTHS.map((w) => ({ value: w, a: widthFile(w, 1), b: widthFile(w, 2) }));

/** A report with what differs between two runs of the same comparison taken out: when it was made, and how long alignments took. */
function timeless(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(timeless);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([k]) => k !== 'createdAt' && k !== 'seconds').map(([k, v]) => [k, timeless(v)]));
  }
  return value;
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

/**
 * The width series, run three ways: item 0 alone, then the whole series on the same cache (item 0
 * comes from it), then items 1–3 alone on a fresh cache and --merge of the four item files.
 */
const width = (() => {
  let result: ReturnType<typeof runWidth> | undefined;
  return () => (result ??= runWidth());
})();

function runWidth() {
  const dir = tempDir();
  const manifest = writeManifest(dir, widthPairs());
  const cache = join(dir, 'cache');
  const items = join(dir, 'items');
  mkdirSync(items);
  const first = cli(['series', manifest, '--item', '0', '--json', join(items, 'item-0.json'), '--cache', cache, '--threads', '2']);
  const full = cli(['series', manifest, '--json', join(dir, 'full.json'), '--html', join(dir, 'full.html'), '--cache', cache, '--threads', '2']);
  const rest = [1, 2, 3].map((k) => cli(['series', manifest, '--item', String(k), '--json', join(items, `item-${k}.json`), '--cache', join(dir, 'fresh-cache')]));
  const merged = cli(['series', manifest, '--merge', items, '--json', join(dir, 'merged.json'), '--html', join(dir, 'merged.html')]);
  return { dir, manifest, items, first, full, rest, merged };
}

test('series runs every pair and writes the series report and its figures', () => {
  const { dir, full } = width();
  assert.equal(full.code, 0, full.stderr);
  const report = readJson<SeriesReport>(join(dir, 'full.json'));
  assert.equal(report.version, 1);
  assert.equal(report.variable, 'width');
  assert.equal(report.numeric, true);
  assert.deepEqual(report.items.map((i) => [i.index, i.value, i.report.request.a, i.report.request.b]), WIDTHS.map((w, k) => [k, w, widthFile(w, 1), widthFile(w, 2)]));
  assert.deepEqual(report.items[0]!.report.request.methods, ['naive', 'weight']);
  assert.equal(report.items[0]!.report.request.alphas, 5);
  assert.deepEqual(report.figures.layers.map((l) => [l.layer, l.width]), [['0', WIDTHS], ['2', WIDTHS]]);
  assert.equal(report.figures.barrierMatrix, null);
  // The table: a row per pair and method.
  assert.match(full.stdout, /^width\s+method\s+loss barrier\s+acc\. barrier\s+W2 optimal\s+LLFC cosine$/m);
  assert.match(full.stdout, /^128\s+weight\s+\d\.\d{4}\s+\d+\.\d\d%\s+\d\.\d{4}\s+\d\.\d{4}$/m);
  // Progress names the pair.
  assert.match(full.stderr, /^width 64 \(3\/4\): weight matching/m);
  const html = readFileSync(join(dir, 'full.html'), 'utf8');
  assert.match(html, /^<!DOCTYPE html>/);
  assert.doesNotMatch(html, /<script|https?:\/\//);
  // Barriers (2), W2 and Dim(S) for both groups (4), LLFC and its two conditions (3), the log-log view per group (2).
  assert.equal(html.match(/<svg/g)!.length, 11);
  assert.match(html, /Fitted k/);
});

test('a series resumes from its cache: a pair run before is not compared again', () => {
  const { dir, items, first, full } = width();
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /^1 pair: 1 compared, 0 from the cache/m);
  assert.match(full.stderr, /^4 pairs: 3 compared, 1 from the cache/m);
  assert.match(full.stderr, /^width 16 \(1\/4\): from the cache$/m);
  assert.doesNotMatch(full.stderr, /^width 16 \(1\/4\): weight matching/m);
  const item0 = readJson<SeriesItem>(join(items, 'item-0.json'));
  const report = readJson<SeriesReport>(join(dir, 'full.json'));
  // The very report --item 0 made, to the millisecond it was made.
  assert.equal(report.items[0]!.report.createdAt, item0.report.createdAt);
  assert.deepEqual(report.items[0], item0);
});

test('--item for each pair then --merge makes the same series report as one run', () => {
  const { dir, items, rest, merged } = width();
  for (const run of rest) assert.equal(run.code, 0, run.stderr);
  assert.equal(merged.code, 0, merged.stderr);
  assert.deepEqual(readdirSync(items).sort(), ['item-0.json', 'item-1.json', 'item-2.json', 'item-3.json']);
  const one = readJson<SeriesReport>(join(dir, 'full.json'));
  const four = readJson<SeriesReport>(join(dir, 'merged.json'));
  // Items 1–3 were computed again on a fresh cache: equal but for the times.
  assert.notEqual(four.items[1]!.report.createdAt, one.items[1]!.report.createdAt);
  assert.deepEqual(timeless(four), timeless(one));
  assert.equal(readFileSync(join(dir, 'merged.html'), 'utf8').match(/<svg/g)!.length, 11);
});

test('--merge refuses a folder that lacks an item, or holds another series\' item, naming it and the --item to run', () => {
  const { dir, manifest, items } = width();
  const partial = join(dir, 'partial');
  mkdirSync(partial);
  for (const k of [0, 1, 3]) copyFileSync(join(items, `item-${k}.json`), join(partial, `item-${k}.json`));
  writeFileSync(join(partial, 'notes.json'), '{"unrelated": true}');
  const missing = cli(['series', manifest, '--merge', partial]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /partial lacks item 2 of the series' 4: run merge-lens series MANIFEST --item K --json .*item-K\.json for K = 2/);
  // The same files under a manifest asking for other choices are another series' items.
  const other = writeManifest(tempDir(), widthPairs(), { options: { ...SMALL.options, alphas: 7 } });
  const foreign = cli(['series', other, '--merge', items]);
  assert.equal(foreign.code, 1);
  assert.match(foreign.stderr, /item-0\.json: holds item 0 run with alphas 5, not 7: the manifest asks otherwise; rerun --item 0/);
});

test('on the width fixtures: the naive barrier and every W2 fall with width, weight matching\'s barrier is small from width 32 on, and LLFC is near 1 there', () => {
  const report = readJson<SeriesReport>(join(width().dir, 'full.json'));
  const { barriers, layers, why, widthScaling } = report.figures;
  const falling = (line: readonly (number | null)[]) => line.every((v, i) => i === 0 || v! < line[i - 1]!);
  // Measured (test/fixtures/series/make_fixtures.py records the same): naive 1.10, 1.07, 0.66, 0.58;
  // weight 0.32, 0.028, 0.019, 0.042. Weight matching's barrier does not fall monotonically: the README says so.
  assert.ok(falling(barriers.naive!.loss), `naive: ${barriers.naive!.loss}`);
  const weight = barriers.weight!.loss as number[];
  assert.ok(weight[0]! > 0.25 && weight.slice(1).every((v) => v < 0.05), `weight: ${weight}`);
  assert.ok(weight[3]! < weight[0]! && weight[2]! < weight[0]!);
  for (const layer of layers) {
    for (const method of ['naive', 'weight'] as const) {
      const w2 = layer.wasserstein[method]!;
      assert.ok(falling(w2.identity) && falling(w2.aligned) && falling(w2.optimal), `${layer.layer} ${method}: ${JSON.stringify(w2)}`);
    }
  }
  const llfc = why.find((w) => w.method === 'weight')!.llfcCosine as number[];
  weight.forEach((barrier, i) => {
    if (barrier < 0.05) assert.ok(llfc[i]! > 0.98, `LLFC cosine ${llfc[i]} at width ${WIDTHS[i]}`);
  });
  // W2 ∝ width^k with k < 0 for every group and method, steeper than the −1/Dim(S) rate on these small widths.
  assert.equal(widthScaling!.length, 4);
  for (const fit of widthScaling!) assert.ok(fit.exponent < fit.theory && fit.theory < 0, JSON.stringify(fit));
});

test('a manifest naming a missing file, or pairs of another architecture, is one clear error naming the entry', () => {
  const dir = tempDir();
  const missing = writeManifest(dir, [...widthPairs().slice(0, 1), { value: 32, a: widthFile(32, 1), b: 'w32_seed3.pt' }]);
  const gone = cli(['series', missing, '--cache', join(dir, 'cache')]);
  assert.equal(gone.code, 2);
  assert.equal(gone.stderr, `merge-lens: series.json: pairs[1].b: no such file: ${join(dir, 'w32_seed3.pt')}\n`);
  const mixed = writeManifest(tempDir(), [...widthPairs().slice(0, 2), { value: 64, a: fixture('conv', 'resnet_a.pt'), b: fixture('conv', 'resnet_b.pt') }]);
  const refused = cli(['series', mixed, '--cache', join(dir, 'cache')]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /^merge-lens: series\.json: pairs\[2\]\.a: .*resnet_a\.pt is not of the series' architecture \(that of pairs\[0\]\.a, .*w16_seed1\.pt\): its layer 1 is 'conv1' \(conv2d layer\) where the first has '0' \(linear layer\)/m);
  // Refused before any pair ran.
  assert.doesNotMatch(refused.stderr, /weight matching/);
});

test('series init guesses the width series from a pattern and writes the manifest for the user to check', () => {
  const dir = tempDir();
  const runs = join(dir, 'runs');
  for (const w of WIDTHS) {
    mkdirSync(join(runs, `w${w}`), { recursive: true });
    for (const s of [1, 2]) copyFileSync(widthFile(w, s), join(runs, `w${w}`, `seed${s}.pt`));
  }
  copyFileSync(fixture('compare', 'eval.npz'), join(dir, 'eval.npz'));
  const init = cli(['series', 'init', 'runs/w*/seed{1,2}.pt', '--data', 'eval.npz'], dir);
  assert.equal(init.code, 0, init.stderr);
  assert.match(init.stdout, /guessed variable: width, 4 pairs:\n {2}width 16: runs\/w16\/seed1\.pt × runs\/w16\/seed2\.pt\n/);
  const written = readFileSync(join(dir, 'series.json'), 'utf8');
  assert.deepEqual(JSON.parse(written), { variable: 'width', data: 'eval.npz', pairs: WIDTHS.map((w) => ({ value: w, a: `runs/w${w}/seed1.pt`, b: `runs/w${w}/seed2.pt` })) });
  // A pair per line, for reading.
  assert.match(written, /^ {4}\{ "value": 16, "a": "runs\/w16\/seed1\.pt", "b": "runs\/w16\/seed2\.pt" \},$/m);
  const again = cli(['series', 'init', 'runs/w*/seed{1,2}.pt'], dir);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /series\.json already exists; check it, or give --force to replace it/);
  assert.equal(readFileSync(join(dir, 'series.json'), 'utf8'), written);
  const forced = cli(['series', 'init', 'runs/w{16,32}/seed?.pt', '--force', '--variable', 'hidden width'], dir);
  assert.equal(forced.code, 0, forced.stderr);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'series.json'), 'utf8')).pairs.map((p: { value: number }) => p.value), [16, 32]);
  assert.equal(JSON.parse(readFileSync(join(dir, 'series.json'), 'utf8')).variable, 'hidden width');
  // The spawning fixtures, outside the manifest's folder: absolute paths, children paired by spawn epoch.
  const spawn = cli(['series', 'init', fixture('series', 'spawn', 'child*_seed1?.pt'), '--out', 'spawn.json'], dir);
  assert.equal(spawn.code, 0, spawn.stderr);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'spawn.json'), 'utf8')), {
    variable: 'spawn epoch',
    pairs: [0, 1, 3].map((k) => ({ value: k, a: fixture('series', 'spawn', `child${k}_seed10.pt`), b: fixture('series', 'spawn', `child${k}_seed11.pt`) })),
  });
  const none = cli(['series', 'init', 'runs/*.pt', '--out', 'other.json'], dir);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no file matches 'runs\/\*\.pt'/);
});

test('series: wrong usage is exit status 2 before any work', () => {
  const manifest = writeManifest(tempDir(), widthPairs());
  const usage = (args: string[], pattern: RegExp) => {
    const run = cli(['series', ...args]);
    assert.equal(run.code, 2, args.join(' '));
    assert.match(run.stderr, pattern);
  };
  usage([manifest, '--item', '1'], /--item needs --json OUT/);
  usage([manifest, '--item', 'one', '--json', 'x.json'], /--item takes a pair's index, a whole number from 0/);
  usage([manifest, '--item', '4', '--json', join(tempDir(), 'x.json'), '--cache', join(tempDir(), 'c')], /item 4 is not in the series: it has 4 pairs, items 0 to 3/);
  usage([manifest, '--item', '1', '--merge', 'dir'], /--item runs one pair and --merge combines finished ones/);
  usage([manifest, '--item', '1', '--json', 'x.json', '--html', 'x.html'], /--html does not apply to --item/);
  usage([manifest, '--merge', 'dir', '--cache', 'c'], /--cache does not apply to --merge/);
  usage([manifest, '--out', 'x.json'], /--out does not apply to a series run/);
  usage([manifest, '--backend', 'gpu'], /--backend takes one of auto, tensorflow, wasm, cpu, not 'gpu'/);
  usage([], /series takes one manifest/);
  usage(['init'], /series init takes a pattern/);
});
