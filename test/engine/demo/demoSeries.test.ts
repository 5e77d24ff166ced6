import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDemoSeries } from '../../../src/engine/demo/demoSeries';
import { openSafetensors } from '../../../src/engine/formats/safetensors/openSafetensors';
import { manifestFromFiles } from '../../../src/engine/series/manifestFromFiles';
import { readSeriesManifest } from '../../../src/engine/series/readManifest';
import { tempDir } from '../../helpers/paths';

// Two small widths and one epoch keep the test quick; `npm run demo` trains the default series.
const SMALL = { widths: [8, 12], epochs: 1, pair: { hidden: [16], epochs: 1 } };

test('the demo series: a model per width and seed, recipe in each file, a manifest that resolves against the demo\'s digits; then reused', async () => {
  const dir = join(tempDir(), 'demo');
  const messages: string[] = [];
  const manifest = await ensureDemoSeries(dir, { ...SMALL, onProgress: (m) => messages.push(m) });
  assert.equal(manifest, join(dir, 'series', 'series.json'));
  assert.ok(messages.includes('training the width series: 4 small MLPs'));
  assert.ok(messages.some((m) => /^width 12 seed 2: \d+\.\d% test accuracy after \d+\.\d s$/.test(m)));

  const series = await readSeriesManifest(manifest);
  assert.equal(series.variable, 'width');
  assert.deepEqual(series.pairs.map((p) => [p.value, p.choices.a, p.choices.b]), [
    [8, join(dir, 'series', 'w8-seed1.safetensors'), join(dir, 'series', 'w8-seed2.safetensors')],
    [12, join(dir, 'series', 'w12-seed1.safetensors'), join(dir, 'series', 'w12-seed2.safetensors')],
  ]);
  assert.equal(series.pairs[0]!.choices.data, join(dir, 'demo-test.safetensors'));
  for (const [width, seed] of [[8, 1], [12, 2]] as const) {
    const checkpoint = await openSafetensors(join(dir, 'series', `w${width}-seed${seed}.safetensors`));
    await checkpoint.close();
    assert.match(checkpoint.metadata.recipe!, new RegExp(`relu mlp 784-${width}-${width}-10; adam 0\\.001, batch 32, 1 epochs$`));
    assert.equal(checkpoint.metadata.seed, String(seed));
    assert.deepEqual(checkpoint.tensors.map((t) => [t.name, t.shape]).filter(([name]) => String(name).endsWith('weight')), [
      ['layers.0.weight', [width, 784]], ['layers.1.weight', [width, width]], ['layers.2.weight', [10, width]],
    ]);
  }
  // Named so that selecting the files in the explorer guesses the same series.
  const files = series.pairs.flatMap((p) => [p.choices.a, p.choices.b]);
  assert.deepEqual(manifestFromFiles(files, { folder: join(dir, 'series') }).pairs, JSON.parse(readFileSync(manifest, 'utf8')).pairs);

  const stamps = [manifest, ...files].map((f) => statSync(f).mtimeMs);
  const again: string[] = [];
  assert.equal(await ensureDemoSeries(dir, { ...SMALL, onProgress: (m) => again.push(m) }), manifest);
  assert.deepEqual(again, []);
  assert.deepEqual([manifest, ...files].map((f) => statSync(f).mtimeMs), stamps);

  // Another recipe (more epochs) makes the models again; the manifest follows the widths asked for.
  const retrained: string[] = [];
  await ensureDemoSeries(dir, { ...SMALL, widths: [8], epochs: 2, onProgress: (m) => retrained.push(m) });
  assert.ok(retrained.includes('training the width series: 2 small MLPs'));
  assert.deepEqual((await readSeriesManifest(manifest)).pairs.map((p) => p.value), [8]);
});
