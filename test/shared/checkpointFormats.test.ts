import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CHECKPOINT_FORMATS,
  CHECKPOINT_FORMATS_PROSE,
  CHECKPOINT_GLOB,
  CHECKPOINT_NAME_REGEX_SOURCE,
  CHECKPOINT_WHEN_CLAUSE,
  checkpointEditorSelectors,
  checkpointFormatOfName,
  checkpointStem,
  isCheckpointName,
} from '../../src/shared/checkpointFormats';
import { MANIFEST_WHEN_CLAUSE } from '../../src/shared/seriesManifestName';
import { fixture, repoRoot } from '../helpers/paths';

const accepted = ['mlp.pt', 'w/MODEL.PTH', 'a.bin', 'last.ckpt', 'x.npz', 'x.npy', 'model.safetensors', 'Model.Safetensors',
  'model.safetensors.index.json', 'web/model.json', 'C:\\models\\model.json'];
const refused = ['README.md', 'expected.json', 'tfjs_model.json', 'mymodel.json', 'notes.txt', 'pt', 'model.json.bak'];
const base = (p: string) => p.slice(Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\')) + 1);

interface Manifest {
  contributes: {
    menus: Record<string, { command: string; when?: string }[]>;
    customEditors: { viewType: string; priority: string; selector: { filenamePattern: string }[] }[];
  };
}
const manifest = (): Manifest => JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8'));

test('isCheckpointName accepts exactly the names the readers support, in any case', () => {
  for (const name of accepted) assert.ok(isCheckpointName(name), name);
  for (const name of refused) assert.ok(!isCheckpointName(name), name);
  assert.ok(isCheckpointName(fixture('pytorch', 'mlp.pt')));
});

test('a name says its format; the longest ending wins', () => {
  const cases: [string, string | undefined][] = [
    ['a/model.safetensors', 'safetensors'], ['model.safetensors.index.json', 'safetensors-sharded'], ['X.PTH', 'pytorch'],
    ['a.bin', 'pytorch'], ['last.ckpt', 'pytorch'], ['x.npz', 'npz'], ['x.npy', 'npy'], ['web/Model.json', 'tfjs'],
    ['mymodel.json', undefined], ['notes.txt', undefined],
  ];
  for (const [name, format] of cases) assert.equal(checkpointFormatOfName(name), format, name);
});

test('the registry is well formed: unique ids, lower-case patterns each listed once, exports write safetensors only', () => {
  const ids = CHECKPOINT_FORMATS.map((f) => f.id);
  assert.equal(new Set(ids).size, ids.length);
  const patterns = CHECKPOINT_FORMATS.flatMap((f) => f.names.map((p) => p.match));
  assert.equal(new Set(patterns).size, patterns.length);
  for (const p of patterns) assert.equal(p, p.toLowerCase());
  assert.deepEqual(CHECKPOINT_FORMATS.filter((f) => f.writes).map((f) => f.id), ['safetensors']);
  for (const f of CHECKPOINT_FORMATS) assert.ok(CHECKPOINT_FORMATS_PROSE.includes(f.label), f.label);
});

test('the glob matches the names isCheckpointName accepts, case aside', () => {
  const [, list] = /^\*\*\/\{(.*)\}$/.exec(CHECKPOINT_GLOB) ?? [];
  assert.ok(list, CHECKPOINT_GLOB);
  const alternatives = list.split(',').map((g) => `^${g.replace(/\./g, '\\.').replace(/\*/g, '[^/\\\\]*')}$`);
  const glob = new RegExp(alternatives.join('|'), 'i');
  for (const name of [...accepted, ...refused]) assert.equal(glob.test(base(name)), isCheckpointName(name), name);
  assert.equal(CHECKPOINT_GLOB, '**/{*.safetensors,*.pt,*.pth,*.bin,*.ckpt,*.npz,*.npy,model.json,*.safetensors.index.json}');
});

test("the explorer menus' regex accepts exactly the names isCheckpointName accepts", () => {
  const regex = new RegExp(CHECKPOINT_NAME_REGEX_SOURCE, 'i');
  for (const name of [...accepted, ...refused]) assert.equal(regex.test(base(name)), isCheckpointName(name), name);
});

test("package.json: every explorer-menu item's when-clause tests the file name with the registry's regex", () => {
  // The one item on series manifests (JSON files) tests the name with their own rule, built from this regex (test/extension/seriesChoices.test.ts).
  const items = manifest().contributes.menus['explorer/context']!.filter((item) => !item.when?.endsWith(MANIFEST_WHEN_CLAUSE));
  assert.ok(items.length >= 4);
  for (const item of items) {
    const stated = /resourceFilename =~ \/(.*)\/(\w*)$/.exec(item.when ?? '');
    const expected = `its "when" should end with ${JSON.stringify(CHECKPOINT_WHEN_CLAUSE)} (as written in package.json)`;
    assert.ok(stated, `${item.command} shows on every file: ${expected}`);
    assert.equal(`resourceFilename =~ /${stated[1]}/${stated[2]}`, CHECKPOINT_WHEN_CLAUSE, `${item.command}: ${expected}`);
  }
});

test("package.json: the custom editors' selectors and priorities are the registry's", () => {
  const expected = checkpointEditorSelectors().map(({ viewType, priority, filenamePatterns }) => ({
    viewType,
    priority,
    selector: filenamePatterns.map((filenamePattern) => ({ filenamePattern })),
  }));
  const stated = manifest().contributes.customEditors.map(({ viewType, priority, selector }) => ({ viewType, priority, selector }));
  assert.deepEqual(stated, expected, `package.json's customEditors should be (display names aside):\n${JSON.stringify(expected, null, 2)}`);
  for (const editor of manifest().contributes.customEditors) assert.ok(editor.selector.every((s) => isCheckpointName(s.filenamePattern.replace('*', 'x'))));
});

test('the stem of a checkpoint name drops its ending; a bare model.json has none', () => {
  const cases: [string, string | undefined][] = [
    ['dir/model.safetensors', 'model'], ['dir/model.safetensors.index.json', 'model'], ['run.PT', 'run'], ['a.b.pth', 'a.b'],
    ['x.bin', 'x'], ['last.ckpt', 'last'], ['x.npz', 'x'], ['x.pt.npy', 'x.pt'], ['web/model.json', undefined], ['C:\\w\\MODEL.JSON', undefined],
    // Not checkpoint names, but readable by their bytes: a TensorFlow.js model saved under another name, a file without an ending.
    ['web.json', 'web'], ['weights', 'weights'],
  ];
  for (const [name, stem] of cases) assert.equal(checkpointStem(name), stem, name);
});
