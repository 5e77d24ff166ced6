import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSeriesManifest, resolveSeries } from '../../../src/engine/series/readManifest';
import { runSeries } from '../../../src/engine/series/runSeries';
import { FormatError } from '../../../src/engine/io/formatError';
import { InputError } from '../../../src/engine/io/inputError';
import { fixture, tempDir } from '../../helpers/paths';

const width = (w: number, s: number) => `w${w}_seed${s}.pt`;
const folder = fixture('series', 'width');

function manifestFile(content: unknown): string {
  const file = join(tempDir(), 'series.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

test('a manifest resolves its paths against its own folder and its choices as compare would', async () => {
  const file = manifestFile({
    variable: 'width',
    pairs: [{ value: 16, a: join(folder, width(16, 1)), b: join(folder, width(16, 2)) }],
    data: fixture('compare', 'eval.npz'),
    methods: ['naive', 'weight'],
    options: { alphas: 5, llfcSamples: 64, layerBarriers: false },
  });
  const series = await readSeriesManifest(file);
  assert.equal(series.manifest, file);
  assert.equal(series.variable, 'width');
  assert.deepEqual(series.pairs, [{
    index: 0,
    value: 16,
    choices: { alphas: 5, llfcSamples: 64, layerBarriers: false, data: fixture('compare', 'eval.npz'), fitData: null, methods: ['naive', 'weight'], description: null, a: join(folder, width(16, 1)), b: join(folder, width(16, 2)) },
  }]);
  // An in-memory manifest resolves relative paths against the folder it is given.
  const made = resolveSeries({ variable: 'width', pairs: [{ value: 32, a: width(32, 1), b: width(32, 2) }] }, { file: null, folder });
  assert.equal(made.manifest, null);
  assert.equal(made.pairs[0]!.choices.a, join(folder, width(32, 1)));
});

test('every problem names the manifest and the entry', async () => {
  const base = { variable: 'width', pairs: [{ value: 16, a: join(folder, width(16, 1)), b: join(folder, width(16, 2)) }] };
  const refuse = async (content: unknown, kind: typeof FormatError | typeof InputError, pattern: RegExp) =>
    assert.rejects(readSeriesManifest(manifestFile(content)), (error: unknown) => error instanceof kind && pattern.test((error as Error).message));
  await refuse('{"variable": "width", "pairs": [}', FormatError, /^series\.json: the series manifest is not valid JSON/);
  await refuse('[]', FormatError, /^series\.json: the series manifest is an array, not a JSON object/);
  await refuse({ ...base, pairs: [...base.pairs, { value: 32, a: width(32, 1), b: 7 }] }, FormatError, /^series\.json: pairs\[1\]\.b: must be a checkpoint path \(a non-empty string\), not 7$/);
  await refuse({ ...base, pairs: [{ ...base.pairs[0], value: null }] }, FormatError, /^series\.json: pairs\[0\]\.value: must be a number or a non-empty string/);
  await refuse({ ...base, pairs: [{ ...base.pairs[0], c: 'x' }] }, FormatError, /^series\.json: pairs\[0\]\.c: is not a pair field/);
  await refuse({ ...base, pairs: [] }, FormatError, /^series\.json: pairs: must be a non-empty list/);
  await refuse({ pairs: base.pairs }, FormatError, /^series\.json: variable: must name what changes along the series/);
  await refuse({ ...base, method: ['weight'] }, FormatError, /^series\.json: method: is not a manifest field; a manifest has variable, pairs, data, fitData, methods, options$/);
  await refuse({ ...base, options: { alpha: 5 } }, FormatError, /^series\.json: options\.alpha: is not a compare choice/);
  await refuse({ ...base, options: { alphas: '5' } }, FormatError, /^series\.json: options\.alphas: must be a number, not "5"$/);
  // Bounds and names are the comparison's own rules, in its words.
  await refuse({ ...base, options: { alphas: 2 } }, InputError, /^series\.json: points on the α grid must be a whole number from 3 to 201, not 2$/);
  await refuse({ ...base, methods: ['telepathy'] }, InputError, /^series\.json: a method must be one of naive, weight/);
  await refuse({ ...base, methods: ['activation'] }, InputError, /^series\.json: activation matching fits on data, and none was given/);
  // A missing file: the entry and the path it resolved to.
  await refuse({ ...base, pairs: [...base.pairs, { value: 32, a: 'w32_seed1.pt', b: 'w32_seed2.pt' }] }, InputError, /^series\.json: pairs\[1\]\.a: no such file: \/.*\/w32_seed1\.pt$/);
  await refuse({ ...base, data: 'nowhere.npz' }, InputError, /^series\.json: data: no such file: .*nowhere\.npz$/);
  assert.throws(
    () => resolveSeries({ variable: 'width', pairs: [{ value: 1, a: 'x.pt', b: width(16, 1) }] }, { file: null, folder }),
    (error: unknown) => error instanceof InputError && /^the series: pairs\[0\]\.a: no such file: .*x\.pt$/.test(error.message),
  );
});

test('a series mixing architectures is refused before any comparison, naming the entry', async () => {
  const data = fixture('compare', 'eval.npz');
  const file = manifestFile({
    variable: 'width',
    data,
    methods: ['naive'],
    pairs: [
      { value: 16, a: join(folder, width(16, 1)), b: join(folder, width(16, 2)) },
      { value: 32, a: join(folder, width(32, 1)), b: fixture('conv', 'resnet_a.pt') },
    ],
  });
  const series = await readSeriesManifest(file);
  const stages: string[] = [];
  await assert.rejects(
    runSeries(series, { onProgress: (stage) => stages.push(stage) }),
    (error: unknown) =>
      error instanceof InputError &&
      /^series\.json: pairs\[1\]\.b: .*resnet_a\.pt is not of the series' architecture \(that of pairs\[0\]\.a, .*w16_seed1\.pt\): its layer 1 is 'conv1' \(conv2d layer\) where the first has '0' \(linear layer\)/.test(error.message),
  );
  // Nothing was compared.
  assert.deepEqual(stages, ['checking the architectures']);
  await assert.rejects(runSeries(series, { items: [2] }), /item 2 is not in the series: it has 2 pairs, items 0 to 1/);
});
