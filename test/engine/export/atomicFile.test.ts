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
  // A write stopped mid-way: what a worker terminated mid-export leaves behind. It is held until
  // the leftovers are cleared, then failed, so that its file handle is closed (and not by the GC).
  let started!: () => void;
  const writing = new Promise<void>((resolve) => (started = resolve));
  let stop!: (error: Error) => void;
  const stopped = new Promise<never>((_, reject) => (stop = reject));
  const write = writeAtomically(out, {}, async (handle) => {
    await handle.writeFile('partial');
    started();
    await stopped;
  });
  await writing;
  const left = readdirSync(dir).filter((name) => !unrelated.includes(name));
  assert.equal(left.length, 1);
  assert.match(left[0]!, new RegExp(`^\\.b\\.aligned-weight\\.safetensors\\.${process.pid}-[0-9a-f]{8}\\.tmp$`));
  await removeLeftoverTemporaries(out);
  assert.deepEqual(readdirSync(dir).sort(), [...unrelated].sort());
  stop(new Error('terminated'));
  await assert.rejects(write, /terminated/);
  assert.deepEqual(readdirSync(dir).sort(), [...unrelated].sort());
});

test('removeLeftoverTemporaries on a folder that does not exist does nothing', async () => {
  await removeLeftoverTemporaries(join(tempDir(), 'missing', 'x.safetensors'));
});
