import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, copyFileSync, mkdirSync, mkdtempSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { openDataset } from '../../../src/engine/datasets/openDataset';
import { openIdxDataset } from '../../../src/engine/datasets/openIdxDataset';
import { openNpyDataset } from '../../../src/engine/datasets/tensorDatasets';
import { openShardedSafetensors } from '../../../src/engine/formats/safetensors/openShardedSafetensors';
import { openSafetensors } from '../../../src/engine/formats/safetensors/openSafetensors';
import { fileSha256 } from '../../../src/engine/io/fileSha256';
import { FormatError } from '../../../src/engine/io/formatError';
import { fixture, tempDir } from '../../helpers/paths';

// Opening a named pipe blocks until a writer comes, so a regression would hang rather than fail:
// the timeout turns that into a failure, and `after` opens every pipe for writing so a reader
// stuck on one is let go and the process can end.
const options = { skip: process.platform === 'win32' ? 'no named pipes on Windows' : false, timeout: 10_000 };

const scratch = tempDir();
const pipes: string[] = [];

after(() => {
  for (const pipe of pipes) {
    try {
      closeSync(openSync(pipe, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // ENXIO: nobody is reading it, as it should be.
    }
  }
});

/** A fresh folder holding copies of `copies` (name → source path) and a named pipe called `pipe`. */
function folderWithPipe(pipe: string, copies: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(scratch, 'case-'));
  for (const [name, from] of Object.entries(copies)) copyFileSync(from, join(dir, name));
  execFileSync('mkfifo', [join(dir, pipe)]);
  pipes.push(join(dir, pipe));
  return dir;
}

function refusesPipe(name: string): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof FormatError, String(error));
    assert.ok(error.message.includes(`${name}`), error.message);
    assert.match(error.message, /is a named pipe, not a regular file/);
    assert.doesNotMatch(error.message, /\n/);
    return true;
  };
}

test('a checkpoint, a dataset or a file to hash that is a named pipe is refused, not waited on', options, async () => {
  const dir = folderWithPipe('model.safetensors');
  await assert.rejects(openSafetensors(join(dir, 'model.safetensors')), refusesPipe('model.safetensors'));
  await assert.rejects(fileSha256(join(dir, 'model.safetensors')), refusesPipe('model.safetensors'));
  const unnamed = folderWithPipe('data.bin');
  await assert.rejects(openDataset(join(unnamed, 'data.bin')), refusesPipe('data.bin'));
});

test('a shard named by a sharded index that is a named pipe is refused', options, async () => {
  const sharded = fixture('safetensors');
  const index = 'model.safetensors.index.json';
  const dir = folderWithPipe('model-00002-of-00002.safetensors', {
    [index]: join(sharded, index),
    'model-00001-of-00002.safetensors': join(sharded, 'model-00001-of-00002.safetensors'),
  });
  await assert.rejects(openShardedSafetensors(join(dir, index)), refusesPipe('model-00002-of-00002.safetensors'));
});

test('the partner of an IDX pair (plain or gzipped) or of a .npy pair that is a named pipe is refused', options, async () => {
  const idx = fixture('datasets', 'idx');
  const plain = folderWithPipe('t10k-labels-idx1-ubyte', { 't10k-images-idx3-ubyte': join(idx, 't10k-images-idx3-ubyte') });
  await assert.rejects(openIdxDataset(join(plain, 't10k-images-idx3-ubyte')), refusesPipe('t10k-labels-idx1-ubyte'));
  const gzipped = folderWithPipe('train-labels-idx1-ubyte.gz', { 'train-images-idx3-ubyte.gz': join(idx, 'train-images-idx3-ubyte.gz') });
  await assert.rejects(openIdxDataset(join(gzipped, 'train-images-idx3-ubyte.gz')), refusesPipe('train-labels-idx1-ubyte.gz'));
  const npy = folderWithPipe('y_test.npy', { 'x_test.npy': fixture('datasets', 'pair', 'x_test.npy') });
  await assert.rejects(openNpyDataset(join(npy, 'x_test.npy')), refusesPipe('y_test.npy'));
});

test('a directory in a file\'s place is named as one', async () => {
  const dir = mkdtempSync(join(scratch, 'case-'));
  mkdirSync(join(dir, 'model.safetensors'));
  await assert.rejects(openSafetensors(join(dir, 'model.safetensors')), (error: unknown) => {
    assert.ok(error instanceof FormatError, String(error));
    assert.match(error.message, /^model\.safetensors: is a directory, not a regular file$/);
    return true;
  });
});
