import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, copyFileSync, ftruncateSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openCifar10 } from '../../../src/engine/datasets/openCifar10';
import { FormatError } from '../../../src/engine/io/formatError';
import { fixture, tempDir } from '../../helpers/paths';
import { assertMatchesExpected } from './expectedValues';

test('a CIFAR-10 batch: [3, 32, 32] channel planes, scaled pixels and labels match NumPy', async () => {
  const d = await openCifar10(fixture('datasets', 'cifar', 'test_batch.bin'));
  assertMatchesExpected(d, 'cifar/test_batch.bin');
  assert.equal(d.format, 'cifar10');
  assert.ok(d.notes.some((n) => /divided by 255/.test(n)));
});

async function rejects(file: string, pattern: RegExp): Promise<void> {
  await assert.rejects(openCifar10(file), (error: unknown) => {
    assert.ok(error instanceof FormatError, `expected a FormatError, got ${String(error)}`);
    assert.match(error.message, pattern);
    return true;
  });
}

test('hostile: a size that is no whole number of records says the remainder', async () => {
  const dir = tempDir();
  const file = join(dir, 'data_batch_1.bin');
  writeFileSync(file, Buffer.concat([readFileSync(fixture('datasets', 'cifar', 'test_batch.bin')), Buffer.alloc(100)]));
  await rejects(file, /^data_batch_1\.bin: is 36 976 bytes, not a whole number of 3 073-byte CIFAR-10 records .*: 100 bytes left over/);
});

test('hostile: empty, a label above 9, a file too large to hold', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'test_batch.bin'), new Uint8Array(0));
  await rejects(join(dir, 'test_batch.bin'), /hold no examples/);

  const bytes = readFileSync(fixture('datasets', 'cifar', 'test_batch.bin'));
  bytes[3 * 3073] = 12;
  writeFileSync(join(dir, 'data_batch_2.bin'), bytes);
  await rejects(join(dir, 'data_batch_2.bin'), /record 3 has label 12; CIFAR-10 labels are 0\.\.9/);

  // 400 000 records (1.2 GB, sparse: no disk used) would take 4.6 GiB as float32.
  const big = join(dir, 'data_batch_3.bin');
  copyFileSync(fixture('datasets', 'cifar', 'test_batch.bin'), big);
  const fd = openSync(big, 'r+');
  try {
    ftruncateSync(fd, 400_000 * 3073);
  } finally {
    closeSync(fd);
  }
  await rejects(big, /would take 4\.58 GiB as float32/);
});
