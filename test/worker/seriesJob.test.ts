import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ResultCache } from '../../src/cache/resultCache';
import { resolveCompareRequest } from '../../src/engine/compare/resolveRequest';
import { fileSha256 } from '../../src/engine/io/fileSha256';
import { resolveSeries } from '../../src/engine/series/readManifest';
import { JobCancelled, JobError, runJob } from '../../src/extension/runJob';
import type { CompareReport } from '../../src/shared/compareReport';
import type { SeriesManifest } from '../../src/shared/seriesReport';
import { fixture, repoRoot, tempDir } from '../helpers/paths';

/** The series job in the real worker bundle, on three pairs of the width fixtures, with the result cache the extension uses. */
const workerScript = join(repoRoot(), 'dist', 'worker.js');
const WIDTH = fixture('series', 'width');
const manifest: SeriesManifest = {
  variable: 'width',
  pairs: [16, 32, 64].map((w) => ({ value: w, a: `w${w}_seed1.pt`, b: `w${w}_seed2.pt` })),
  data: fixture('compare', 'eval.npz'),
  methods: ['naive', 'weight'],
  options: { alphas: 5, llfcSamples: 64, fitSamples: 64, layerBarriers: false },
};
const source = { manifest, folder: WIDTH };

/** Per item label ("width 32 (2/3)"): whether the run compared it (a stage past the cache look-up) or read it from the cache. */
function computed(stages: readonly string[]): Record<string, boolean> {
  const items: Record<string, boolean> = {};
  for (const stage of stages) {
    const match = /^(width \d+ \(\d\/\d\)): (.*)$/.exec(stage);
    // 'checking the cache', 'from the cache': anything else is a stage of the comparison itself.
    if (match) items[match[1]!] = (items[match[1]!] ?? false) || !/ the cache$/.test(match[2]!);
  }
  return items;
}

test('series in the worker: a pair compared alone is read from the cache; a series cancelled half-way resumes without redoing finished pairs', async () => {
  const cacheDirectory = join(tempDir(), 'results');
  const cache = new ResultCache({ directory: cacheDirectory, hashFiles: (files) => Promise.all(files.map(fileSha256)) });

  // Compare Checkpoints on the first pair, as the extension caches it.
  const first = resolveCompareRequest(resolveSeries(manifest, { file: null, folder: WIDTH }).pairs[0]!.choices);
  const alone: CompareReport = await runJob(workerScript, 'compare', { request: first, threads: 1 });
  await cache.put(await cache.keyFor(first), alone);

  // Cancelled as the third pair starts: the second is done and stored by then.
  const abort = new AbortController();
  const stopped: string[] = [];
  await assert.rejects(
    runJob(workerScript, 'series', { source, threads: 1, cacheDirectory }, {
      signal: abort.signal,
      onProgress: (stage) => {
        stopped.push(stage);
        if (stage.startsWith('width 64 (3/3)')) abort.abort();
      },
    }),
    JobCancelled,
  );
  assert.deepEqual(computed(stopped), { 'width 16 (1/3)': false, 'width 32 (2/3)': true, 'width 64 (3/3)': false });
  assert.equal(readdirSync(join(cacheDirectory, 'reports')).length, 2, 'the pair compared alone and the one the series finished');

  const resumed: string[] = [];
  const report = await runJob(workerScript, 'series', { source, threads: 1, cacheDirectory }, { onProgress: (stage) => resumed.push(stage) });
  assert.deepEqual(computed(resumed), { 'width 16 (1/3)': false, 'width 32 (2/3)': false, 'width 64 (3/3)': true });
  assert.equal(resumed.at(-1), 'done');
  assert.deepEqual(report.items.map((i) => [i.index, i.value]), [[0, 16], [1, 32], [2, 64]]);
  assert.equal(report.items[0]!.report.createdAt, alone.createdAt, 'the report compared alone, not a new run');
  assert.deepEqual(report.items[0]!.report.methods, alone.methods);
  assert.equal(report.manifest, null);
  assert.deepEqual(report.figures.barriers.weight!.loss, report.items.map((i) => i.report.methods.weight!.barrier!.loss));

  // Everything is cached now: a third run computes nothing.
  const again: string[] = [];
  const cached = await runJob(workerScript, 'series', { source, threads: 1, cacheDirectory }, { onProgress: (stage) => again.push(stage) });
  assert.deepEqual(Object.values(computed(again)), [false, false, false]);
  assert.deepEqual(cached.items.map((i) => i.report.createdAt), report.items.map((i) => i.report.createdAt));
});

test('a manifest file naming a missing checkpoint fails as an input error naming the manifest and the entry', async () => {
  const dir = tempDir();
  const file = join(dir, 'series.json');
  writeFileSync(file, JSON.stringify({ ...manifest, pairs: [{ value: 16, a: join(WIDTH, 'w16_seed1.pt'), b: join(WIDTH, 'w16_seed2.pt') }, { value: 32, a: join(WIDTH, 'w32_seed1.pt'), b: join(dir, 'gone.pt') }] }));
  await assert.rejects(runJob(workerScript, 'series', { source: { file }, threads: 1, cacheDirectory: join(dir, 'results') }), (error: unknown) => {
    assert.ok(error instanceof JobError, String(error));
    assert.equal(error.kind, 'input', `${error.message}\n${error.detail ?? ''}`);
    assert.equal(error.message, `series.json: pairs[1].b: no such file: ${join(dir, 'gone.pt')}`);
    return true;
  });
});
