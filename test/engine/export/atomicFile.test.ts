import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeLeftoverTemporaries, writeAtomically } from '../../../src/engine/export/atomicFile';
import { tempDir } from '../../helpers/paths';

test('removeLeftoverTemporaries clears what an interrupted write left, and nothing else', async () => {
  const dir = tempDir();
  const out = join(dir, 'b.aligned-weight.safetensors');
  const unrelated = ['b.safetensors', `.other.safetensors.${process.pid}-0123abcd.tmp`, `.b.aligned-weight.safetensors.${process.pid + 1}-0123abcd.tmp`];
  for (const name of unrelated) writeFileSync(join(dir, name), 'keep');
  // A write that never finishes: what a worker terminated mid-export leaves behind.
  let started!: () => void;
  const writing = new Promise<void>((resolve) => (started = resolve));
  void writeAtomically(out, {}, async (handle) => {
    await handle.writeFile('partial');
    started();
    await new Promise(() => {});
  });
  await writing;
  const left = readdirSync(dir).filter((name) => !unrelated.includes(name));
  assert.equal(left.length, 1);
  assert.match(left[0]!, new RegExp(`^\\.b\\.aligned-weight\\.safetensors\\.${process.pid}-[0-9a-f]{8}\\.tmp$`));
  await removeLeftoverTemporaries(out);
  assert.deepEqual(readdirSync(dir).sort(), [...unrelated].sort());
});

test('removeLeftoverTemporaries on a folder that does not exist does nothing', async () => {
  await removeLeftoverTemporaries(join(tempDir(), 'missing', 'x.safetensors'));
});
