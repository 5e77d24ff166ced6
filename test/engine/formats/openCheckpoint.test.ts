import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openCheckpoint } from '../../../src/engine/formats/openCheckpoint';
import { CHECKPOINT_FORMATS, checkpointFormatOfName, type CheckpointFormatId } from '../../../src/shared/checkpointFormats';
import { fixture, tempDir } from '../../helpers/paths';

/** One fixture per format of the registry (a Record: a format added there needs one here). */
const FIXTURES: Record<CheckpointFormatId, string[]> = {
  safetensors: [fixture('safetensors', 'all_dtypes.safetensors')],
  'safetensors-sharded': [fixture('safetensors', 'model.safetensors.index.json')],
  pytorch: [fixture('pytorch', 'mlp.pt'), fixture('pytorch', 'lightning.ckpt')],
  npz: [fixture('numpy', 'savez.npz')],
  npy: [fixture('numpy', 'scalar.npy')],
  tfjs: [fixture('tfjs', 'model.json')],
};

test("every reader reports its registry id as the checkpoint's format, the one its file name says", async () => {
  const ids: readonly string[] = CHECKPOINT_FORMATS.map((f) => f.id);
  for (const [id, files] of Object.entries(FIXTURES)) {
    for (const file of files) {
      const checkpoint = await openCheckpoint(file);
      try {
        assert.ok(ids.includes(checkpoint.format), `${file}: ${checkpoint.format}`);
        assert.equal(checkpoint.format, id, file);
        assert.equal(checkpointFormatOfName(file), id, file);
      } finally {
        await checkpoint.close();
      }
    }
  }
});

test('the TensorFlow.js fixture reads back its weights', async () => {
  const checkpoint = await openCheckpoint(fixture('tfjs', 'model.json'));
  try {
    assert.deepEqual(checkpoint.tensors.map((t) => [t.name, t.dtype, t.shape]), [['dense/kernel', 'F32', [2, 3]], ['dense/bias', 'F32', [3]]]);
    assert.deepEqual(Array.from(await checkpoint.readFloat32('dense/kernel')), [0.5, -1, 2, 0.25, 3, -0.75]);
    assert.deepEqual(Array.from(await checkpoint.readFloat32('dense/bias')), [1, -2, 0.5]);
  } finally {
    await checkpoint.close();
  }
});

test('bytes decide before names: a safetensors file named .pt, a NumPy array named .bin', async () => {
  const dir = tempDir();
  const cases: [string, string, CheckpointFormatId][] = [
    [fixture('safetensors', 'all_dtypes.safetensors'), 'renamed.pt', 'safetensors'],
    [fixture('numpy', 'scalar.npy'), 'renamed.bin', 'npy'],
  ];
  for (const [from, name, format] of cases) {
    const file = join(dir, name);
    writeFileSync(file, readFileSync(from));
    const checkpoint = await openCheckpoint(file);
    try {
      assert.equal(checkpoint.format, format, name);
    } finally {
      await checkpoint.close();
    }
  }
});

test('a file no reader recognizes by name or bytes is refused with the list of formats', async () => {
  const file = join(tempDir(), 'notes.txt');
  writeFileSync(file, 'these are my notes, not a checkpoint');
  await assert.rejects(openCheckpoint(file), (error: Error) => {
    assert.match(error.message, /^notes\.txt: is not a checkpoint format Merge Lens reads: safetensors \(\.safetensors\), /);
    for (const format of CHECKPOINT_FORMATS) assert.ok(error.message.includes(format.label), format.label);
    return true;
  });
  const empty = join(tempDir(), 'empty.txt');
  writeFileSync(empty, '');
  await assert.rejects(openCheckpoint(empty), { name: 'FormatError', message: 'empty.txt: is empty (0 bytes)' });
});

test("a file whose name says a format and whose bytes say nothing is explained by that format's reader", async () => {
  const dir = tempDir();
  const cases: [string, RegExp][] = [
    ['notes.pt', /^notes\.pt: is neither a zip archive .* nor a pickle, so it is not a PyTorch checkpoint$/],
    ['notes.npy', /^notes\.npy: does not start with the \.npy magic string/],
    ['notes.npz', /^notes\.npz: is not a zip archive, which an \.npz file must be$/],
  ];
  for (const [name, expected] of cases) {
    writeFileSync(join(dir, name), 'these are my notes, not a checkpoint');
    await assert.rejects(openCheckpoint(join(dir, name)), { name: 'FormatError', message: expected });
  }
  writeFileSync(join(dir, 'empty.pt'), '');
  await assert.rejects(openCheckpoint(join(dir, 'empty.pt')), { name: 'FormatError', message: 'empty.pt: is empty' });
});
