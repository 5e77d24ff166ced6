import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveCompareRequest } from '../../src/engine/compare/resolveRequest';
import { resolveSeries } from '../../src/engine/series/readManifest';
import { manifestFromFiles } from '../../src/engine/series/manifestFromFiles';
import { seriesArguments } from '../../src/extension/commandArguments';
import { compareChoicesFromSettings, parseSettings } from '../../src/extension/mergeLensSettings';
import { commonFolder, manifestWithSettings, seriesSelection, variableChoices } from '../../src/extension/seriesChoices';
import { CHECKPOINT_WHEN_CLAUSE } from '../../src/shared/checkpointFormats';
import { isManifestName, MANIFEST_NAME_REGEX_SOURCE, MANIFEST_WHEN_CLAUSE } from '../../src/shared/seriesManifestName';
import { fixture, repoRoot } from '../helpers/paths';

const WIDTH = fixture('series', 'width');
const widthFiles = [16, 32, 64, 128].flatMap((w) => [1, 2].map((s) => join(WIDTH, `w${w}_seed${s}.pt`)));

test('a series of selected checkpoints runs each pair exactly as Compare Checkpoints would compare it with the same settings and data', () => {
  const data = fixture('compare', 'eval.npz');
  const cases = [
    { settings: {}, data },
    { settings: { methods: ['covariance', 'weight'], repair: true, alphas: 11, maxSamples: 500, seed: 3, restarts: 2, layerBarriers: false, bnReset: false, activation: 'gelu', inputNormalization: { mean: [0.1], std: [0.3] } }, data },
    // Weights only: the methods that need data drop out and REPAIR does not apply, as in Compare Checkpoints.
    { settings: { repair: true }, data: null },
  ];
  for (const c of cases) {
    const settings = parseSettings((key) => (c.settings as Record<string, unknown>)[key]);
    const guessed = manifestFromFiles(widthFiles, { folder: WIDTH });
    const series = resolveSeries(manifestWithSettings(settings, guessed, c.data), { file: null, folder: WIDTH });
    assert.equal(series.pairs.length, 4);
    for (const pair of series.pairs) {
      const request = resolveCompareRequest(pair.choices);
      const alone = resolveCompareRequest(compareChoicesFromSettings(settings, { a: request.a, b: request.b, data: c.data }));
      assert.deepEqual(request, alone, `${JSON.stringify(c.settings)}: pair ${pair.index}`);
    }
  }
});

test('the explorer selection: one manifest, or two or more checkpoints; anything else is refused with what is selected', () => {
  assert.deepEqual(seriesSelection(['/w/series.json']), { kind: 'manifest', file: '/w/series.json' });
  assert.deepEqual(seriesSelection(['/w/a.pt', '/w/b.safetensors', '/w/c.pt']), { kind: 'checkpoints', files: ['/w/a.pt', '/w/b.safetensors', '/w/c.pt'] });
  for (const files of [['/w/a.pt'], ['/w/model.json'], ['/w/series.json', '/w/a.pt'], ['/w/a.pt', '/w/notes.txt'], []]) {
    const selected = seriesSelection(files);
    assert.equal(selected.kind, 'invalid', files.join(' '));
    assert.match((selected as { message: string }).message, new RegExp(`; ${files.length} files? (is|are) selected\\.$`));
  }
});

test('manifest names: JSON files that are neither checkpoints nor architecture descriptions, alike in the picker and the explorer menu', () => {
  const regex = new RegExp(MANIFEST_NAME_REGEX_SOURCE, 'i');
  const manifests = ['series.json', 'Series.JSON', 'width-study.json', 'mymodel.json', 'model.json.json'];
  const others = ['model.json', 'MODEL.JSON', 'x.safetensors.index.json', 'net.arch.json', 'net.pt.arch.json', 'a.pt', 'notes.txt', 'series.json.bak'];
  for (const name of manifests) assert.ok(isManifestName(`/w/${name}`) && regex.test(name), name);
  for (const name of others) assert.ok(!isManifestName(`/w/${name}`) && !regex.test(name), name);
});

test('package.json: Compare Series… in the palette, on a manifest, and on several checkpoints selected together', () => {
  const manifest = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as {
    contributes: { commands: { command: string; title: string }[]; menus: Record<string, { command: string; when?: string }[]> };
  };
  assert.equal(manifest.contributes.commands.find((c) => c.command === 'mergeLens.compareSeries')?.title, 'Compare Series…');
  assert.ok(!manifest.contributes.menus.commandPalette!.some((m) => m.command === 'mergeLens.compareSeries'), 'never hidden from the palette');
  const whens = manifest.contributes.menus['explorer/context']!.filter((m) => m.command === 'mergeLens.compareSeries').map((m) => m.when);
  assert.deepEqual(whens, [`listMultiSelection && ${CHECKPOINT_WHEN_CLAUSE}`, `!listMultiSelection && ${MANIFEST_WHEN_CLAUSE}`]);
});

test('the variable question offers the guess first, then the papers\' variables, each once; a scripted call names its manifest', () => {
  assert.deepEqual(variableChoices('width'), ['width', 'seed', 'spawn epoch', 'epoch']);
  assert.deepEqual(variableChoices('learning rate'), ['learning rate', 'width', 'seed', 'spawn epoch', 'epoch']);
  assert.equal(commonFolder(['/w/runs/a/x.pt', '/w/runs/b/y.pt', '/w/runs/z.pt']), '/w/runs');
  assert.equal(commonFolder(['/w/a.pt', '/w/b.pt']), '/w');
  assert.deepEqual(seriesArguments({ manifest: '/w/series.json' }), { manifest: '/w/series.json' });
  assert.equal(seriesArguments(undefined), undefined);
  assert.throws(() => seriesArguments({ manifest: 3 }), /`manifest` must be the absolute path of a series manifest/);
});
