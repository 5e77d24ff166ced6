import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expandBraces, globFiles } from '../../../src/engine/series/globFiles';
import { manifestFromFiles } from '../../../src/engine/series/manifestFromFiles';
import { InputError } from '../../../src/engine/io/inputError';
import { tempDir } from '../../helpers/paths';

test('a width per folder, two seeds in each: one pair per width, the lower seed as A, widths in order', () => {
  const files = ['runs/w32/seed0.pt', 'runs/w16/seed1.pt', 'runs/w16/seed0.pt', 'runs/w32/seed1.pt', 'runs/w128/seed1.pt', 'runs/w128/seed0.pt'];
  assert.deepEqual(manifestFromFiles(files), {
    variable: 'width',
    pairs: [
      { value: 16, a: 'runs/w16/seed0.pt', b: 'runs/w16/seed1.pt' },
      { value: 32, a: 'runs/w32/seed0.pt', b: 'runs/w32/seed1.pt' },
      { value: 128, a: 'runs/w128/seed0.pt', b: 'runs/w128/seed1.pt' },
    ],
  });
  // width64 and width=64 are read as w64; paths relative to the manifest's folder.
  const named = ['/x/runs/width=64_seed2.safetensors', '/x/runs/width64-seed1.safetensors', '/x/runs/width=8_seed1.safetensors', '/x/runs/width8-seed2.safetensors'];
  assert.deepEqual(manifestFromFiles(named, { folder: '/x' }).pairs, [
    { value: 8, a: 'runs/width=8_seed1.safetensors', b: 'runs/width8-seed2.safetensors' },
    { value: 64, a: 'runs/width64-seed1.safetensors', b: 'runs/width=64_seed2.safetensors' },
  ]);
  // One width alone is a pair of seeds.
  assert.equal(manifestFromFiles(named.slice(0, 2)).variable, 'seed');
});

test('the committed width fixtures: w<H>_seed<S>.pt', () => {
  const files = [16, 32, 64, 128].flatMap((w) => [1, 2].map((s) => `width/w${w}_seed${s}.pt`));
  const manifest = manifestFromFiles(files);
  assert.equal(manifest.variable, 'width');
  assert.deepEqual(manifest.pairs.map((p) => [p.value, p.a, p.b]), [16, 32, 64, 128].map((w) => [w, `width/w${w}_seed1.pt`, `width/w${w}_seed2.pt`]));
});

test('files differing only in their seed: every pair among them, named by the seeds', () => {
  const manifest = manifestFromFiles(['ckpt/seed2.pt', 'ckpt/seed0.pt', 'ckpt/seed1.pt']);
  assert.equal(manifest.variable, 'seed');
  assert.deepEqual(manifest.pairs, [
    { value: 'seed0 × seed1', a: 'ckpt/seed0.pt', b: 'ckpt/seed1.pt' },
    { value: 'seed0 × seed2', a: 'ckpt/seed0.pt', b: 'ckpt/seed2.pt' },
    { value: 'seed1 × seed2', a: 'ckpt/seed1.pt', b: 'ckpt/seed2.pt' },
  ]);
});

test('epochs and spawn points', () => {
  assert.deepEqual(manifestFromFiles(['r/epoch3/seed1.pt', 'r/epoch3/seed2.pt', 'r/ep1/seed1.pt', 'r/ep1/seed2.pt']), {
    variable: 'epoch',
    pairs: [{ value: 1, a: 'r/ep1/seed1.pt', b: 'r/ep1/seed2.pt' }, { value: 3, a: 'r/epoch3/seed1.pt', b: 'r/epoch3/seed2.pt' }],
  });
  const spawn = ['child0_seed10.pt', 'child0_seed11.pt', 'child1_seed10.pt', 'child1_seed11.pt', 'child3_seed10.pt', 'child3_seed11.pt'].map((f) => `spawn/${f}`);
  assert.deepEqual(manifestFromFiles(spawn), {
    variable: 'spawn epoch',
    pairs: [0, 1, 3].map((k) => ({ value: k, a: `spawn/child${k}_seed10.pt`, b: `spawn/child${k}_seed11.pt` })),
  });
});

test('--variable picks among words that all change, or names the guessed one otherwise', () => {
  const files = ['e1/w16/seed0.pt', 'e1/w16/seed1.pt', 'e2/w32/seed0.pt', 'e2/w32/seed1.pt'];
  // e1 is no epoch word (ep1 or epoch1 would be): only width changes.
  assert.equal(manifestFromFiles(files).variable, 'width');
  const both = ['epoch1/w16/seed0.pt', 'epoch1/w16/seed1.pt', 'epoch2/w32/seed0.pt', 'epoch2/w32/seed1.pt'];
  assert.throws(() => manifestFromFiles(both), /could not tell which files pair up: width and epoch both change across the files; say which is the variable \(--variable\); write the manifest by hand/);
  assert.deepEqual(manifestFromFiles(both, { variable: 'epoch' }).pairs.map((p) => p.value), [1, 2]);
  assert.equal(manifestFromFiles(files, { variable: 'hidden size' }).variable, 'hidden size');
  assert.deepEqual(manifestFromFiles(files, { variable: 'hidden size' }).pairs.map((p) => p.value), [16, 32]);
});

test('no pairing to guess: one clear error that says what to do', () => {
  const refuse = (files: string[], pattern: RegExp) =>
    assert.throws(() => manifestFromFiles(files), (error: unknown) => error instanceof InputError && pattern.test(error.message) && /write the manifest by hand, see the README's Series section$/.test(error.message));
  refuse(['a.pt', 'b.pt'], /nothing in the paths changes from file to file that names a width, spawn, epoch or seed \(a\.pt, b\.pt\)/);
  refuse(['w16/seed0.pt', 'w16/seed1.pt', 'w32/seed0.pt'], /width 32 has one file \(w32\/seed0\.pt\) and a pair needs two/);
  refuse(['only.pt'], /only one file was given \(only\.pt\)/);
  refuse(['spawn/child0_seed1.pt', 'spawn/child0_seed2.pt', 'spawn/child1_seed1.pt', 'spawn/child1_seed2.pt', 'spawn/parent_epoch1.pt'], /parent_epoch1\.pt has no spawn epoch in its path while others do/);
  refuse(['a/seed0.pt', 'b/seed0.pt'], /a\/seed0\.pt and b\/seed0\.pt have the same seed/);
});

test('braces expand, nested and in order; a wildcard matches within one name and never a leading dot', () => {
  assert.deepEqual(expandBraces('runs/w{16,32}/seed{0,1}.pt'), ['runs/w16/seed0.pt', 'runs/w16/seed1.pt', 'runs/w32/seed0.pt', 'runs/w32/seed1.pt']);
  assert.deepEqual(expandBraces('a{b,c{d,e}}f'), ['abf', 'acdf', 'acef']);
  assert.throws(() => expandBraces('a{b'), /opens a \{ it does not close/);
  const dir = tempDir();
  for (const w of ['w16', 'w32', '.w64']) {
    mkdirSync(join(dir, 'runs', w), { recursive: true });
    for (const s of [0, 1, 2]) writeFileSync(join(dir, 'runs', w, `seed${s}.pt`), '');
  }
  mkdirSync(join(dir, 'runs', 'w99', 'seed0.pt'), { recursive: true }); // a folder named like a file: not matched
  assert.deepEqual(globFiles(['runs/w*/seed{0,1}.pt'], dir), ['runs/w16/seed0.pt', 'runs/w32/seed0.pt', 'runs/w16/seed1.pt', 'runs/w32/seed1.pt']);
  assert.deepEqual(globFiles(['runs/w?6/seed2.pt', 'runs/w16/seed2.pt'], dir), ['runs/w16/seed2.pt']);
  assert.deepEqual(globFiles([join(dir, 'runs', '.w64', 'seed?.pt')]), [0, 1, 2].map((s) => join(dir, 'runs', '.w64', `seed${s}.pt`)));
  assert.throws(() => globFiles(['runs/w*/seed9.pt'], dir), /no file matches 'runs\/w\*\/seed9\.pt'/);
  assert.throws(() => globFiles(['runs/**/seed0.pt'], dir), /'\*\*' is not supported/);
});
