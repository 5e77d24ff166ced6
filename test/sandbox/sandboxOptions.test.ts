import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sandboxOptions } from '../e2e/sandboxOptions';
import { tempDir } from '../helpers/paths';

test('npm run sandbox: no folder opens the demo workspace on port 8737; MERGE_LENS_SANDBOX_PORT changes the port', () => {
  assert.deepEqual(sandboxOptions([], {}, '/'), { port: 8737, folder: null });
  assert.deepEqual(sandboxOptions([], { MERGE_LENS_SANDBOX_PORT: '0' }, '/'), { port: 0, folder: null });
  for (const bad of ['', 'x', '70000', '-1', '1.5']) assert.throws(() => sandboxOptions([], { MERGE_LENS_SANDBOX_PORT: bad }, '/'), /is not a port number/, bad);
});

test('npm run sandbox -- FOLDER opens that folder, a relative one read from where npm was run (INIT_CWD), not the package folder', () => {
  const home = tempDir();
  mkdirSync(join(home, 'models'));
  assert.deepEqual(sandboxOptions([join(home, 'models')], {}, '/'), { port: 8737, folder: join(home, 'models') });
  assert.deepEqual(sandboxOptions(['models'], { INIT_CWD: home }, '/somewhere/else'), { port: 8737, folder: join(home, 'models') });
  assert.deepEqual(sandboxOptions(['models'], {}, home), { port: 8737, folder: join(home, 'models') });
});

test('a missing folder, a file, two folders or an option are refused with what to type', () => {
  const home = tempDir();
  writeFileSync(join(home, 'a.safetensors'), '');
  assert.throws(() => sandboxOptions(['nope'], { INIT_CWD: home }, '/'), new RegExp(`^Error: ${join(home, 'nope')} does not exist; usage: npm run sandbox \\[-- FOLDER\\]`));
  assert.throws(() => sandboxOptions(['a.safetensors'], { INIT_CWD: home }, '/'), /a\.safetensors is not a folder \(open the folder that holds your checkpoints\)/);
  assert.throws(() => sandboxOptions([home, home], {}, '/'), /one folder at most, got 2/);
  assert.throws(() => sandboxOptions(['--port', '1'], {}, '/'), /unknown option --port; usage/);
});
