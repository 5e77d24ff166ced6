import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isCheckpointName } from '../../../src/engine/formats/checkpointFiles';
import { fixture, repoRoot } from '../../helpers/paths';
import { join } from 'node:path';

const accepted = ['mlp.pt', 'w/MODEL.PTH', 'a.bin', 'last.ckpt', 'x.npz', 'x.npy', 'model.safetensors', 'Model.Safetensors',
  'model.safetensors.index.json', 'web/model.json', 'C:\\models\\model.json'];
const refused = ['README.md', 'expected.json', 'tfjs_model.json', 'mymodel.json', 'notes.txt', 'pt', 'model.json.bak'];

test('isCheckpointName accepts exactly the names the readers support, in any case', () => {
  for (const name of accepted) assert.ok(isCheckpointName(name), name);
  for (const name of refused) assert.ok(!isCheckpointName(name), name);
});

test("every explorer-menu item's when-clause states the same rule", () => {
  const manifest = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8'));
  const items: { command: string; when: string }[] = manifest.contributes.menus['explorer/context'];
  assert.ok(items.length >= 4);
  const base = (p: string) => p.slice(Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\')) + 1);
  for (const item of items) {
    const [, body, flags] = /resourceFilename =~ \/(.*)\/(\w*)$/.exec(item.when) ?? [];
    assert.ok(body !== undefined, `${item.command} shows on every file`);
    const regex = new RegExp(body, flags);
    for (const name of [...accepted, ...refused]) assert.equal(regex.test(base(name)), isCheckpointName(name), `${item.command}: ${name}`);
  }
  assert.ok(isCheckpointName(fixture('pytorch', 'mlp.pt')));
});
