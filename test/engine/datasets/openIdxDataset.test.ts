import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { openIdxDataset, idxPartnerNames } from '../../../src/engine/datasets/openIdxDataset';
import { FormatError } from '../../../src/engine/io/formatError';
import { fixture, tempDir } from '../../helpers/paths';
import { assertMatchesExpected } from './expectedValues';

/** IDX bytes as the format is published: 0, 0, type, rank, big-endian u32 dims, big-endian data. */
function idx(type: number, dims: number[], data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = type;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, data]);
}

const scratch = tempDir();

function freshDir(): string {
  return mkdtempSync(join(scratch, 'case-'));
}

/** A fresh folder holding `files` (name → bytes). */
function folderWith(files: Record<string, Uint8Array>): string {
  const dir = freshDir();
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
  return dir;
}

const labels3 = idx(0x08, [3], Uint8Array.of(0, 2, 1));

test('plain MNIST t10k pair: shapes, scaling and labels match NumPy, from either file', async () => {
  const fromImages = await openIdxDataset(fixture('datasets', 'idx', 't10k-images-idx3-ubyte'));
  assertMatchesExpected(fromImages, 'idx/t10k');
  assert.equal(fromImages.format, 'mnist-idx');
  assert.ok(fromImages.notes.some((n) => /divided by 255/.test(n)));
  assert.ok(fromImages.notes.some((n) => /t10k-labels-idx1-ubyte/.test(n)));
  const fromLabels = await openIdxDataset(fixture('datasets', 'idx', 't10k-labels-idx1-ubyte'));
  assertMatchesExpected(fromLabels, 'idx/t10k');
  assert.match(fromLabels.file, /t10k-labels-idx1-ubyte$/);
});

test('gzipped MNIST train pair matches NumPy', async () => {
  assertMatchesExpected(await openIdxDataset(fixture('datasets', 'idx', 'train-images-idx3-ubyte.gz')), 'idx/train');
  assertMatchesExpected(await openIdxDataset(fixture('datasets', 'idx', 'train-labels-idx1-ubyte.gz')), 'idx/train');
});

test('the dot variant of the names pairs too, and a gzipped half pairs with a plain one', async () => {
  const dir = freshDir();
  copyFileSync(fixture('datasets', 'idx', 't10k-images-idx3-ubyte'), join(dir, 't10k-images.idx3-ubyte'));
  copyFileSync(fixture('datasets', 'idx', 't10k-labels-idx1-ubyte'), join(dir, 't10k-labels.idx1-ubyte'));
  assertMatchesExpected(await openIdxDataset(join(dir, 't10k-images.idx3-ubyte')), 'idx/t10k');

  const mixed = freshDir();
  writeFileSync(join(mixed, 't10k-images-idx3-ubyte.gz'), gzipSync(readFileSync(fixture('datasets', 'idx', 't10k-images-idx3-ubyte'))));
  copyFileSync(fixture('datasets', 'idx', 't10k-labels-idx1-ubyte'), join(mixed, 't10k-labels-idx1-ubyte'));
  assertMatchesExpected(await openIdxDataset(join(mixed, 't10k-images-idx3-ubyte.gz')), 'idx/t10k');
});

test('partner names: images ↔ labels, idx3 ↔ idx1, both separators, with and without .gz', () => {
  assert.deepEqual(idxPartnerNames('train-images-idx3-ubyte', 'images'), [
    'train-labels-idx1-ubyte', 'train-labels.idx1-ubyte', 'train-labels-idx1-ubyte.gz', 'train-labels.idx1-ubyte.gz',
  ]);
  assert.deepEqual(idxPartnerNames('t10k-labels.idx1-ubyte.gz', 'labels').slice(0, 2), ['t10k-images.idx3-ubyte.gz', 't10k-images-idx3-ubyte.gz']);
});

test('big-endian int16, int32, float32 and float64 elements decode to their values, unscaled', async () => {
  const cases: Array<[number, number, (view: DataView, i: number, v: number) => void]> = [
    [0x0b, 2, (view, i, v) => view.setInt16(2 * i, v, false)],
    [0x0c, 4, (view, i, v) => view.setInt32(4 * i, v, false)],
    [0x0d, 4, (view, i, v) => view.setFloat32(4 * i, v, false)],
    [0x0e, 8, (view, i, v) => view.setFloat64(8 * i, v, false)],
  ];
  const values = [-300, 7, 1000, -1, 0, 255];
  for (const [type, width, set] of cases) {
    const data = new Uint8Array(values.length * width);
    values.forEach((v, i) => set(new DataView(data.buffer), i, v));
    const dir = folderWith({ 'a-images-idx3-ubyte': idx(type, [3, 1, 2], data), 'a-labels-idx1-ubyte': labels3 });
    const d = await openIdxDataset(join(dir, 'a-images-idx3-ubyte'));
    assert.deepEqual(Array.from(d.inputs), values, `type 0x${type.toString(16)}`);
    assert.deepEqual(d.inputShape, [1, 1, 2]);
    assert.ok(d.notes.some((n) => /kept as they are|unscaled/.test(n)));
  }
});

test('int8 images and whole-number float64 labels are accepted', async () => {
  const labels = new Uint8Array(16);
  new DataView(labels.buffer).setFloat64(0, 4, false);
  new DataView(labels.buffer).setFloat64(8, 1, false);
  const dir = folderWith({
    'b-images-idx3-ubyte': idx(0x09, [2, 1, 1], Uint8Array.of(0xff, 0x05)),
    'b-labels-idx1-ubyte': idx(0x0e, [2], labels),
  });
  const d = await openIdxDataset(join(dir, 'b-images-idx3-ubyte'));
  assert.deepEqual(Array.from(d.inputs), [-1, 5]);
  assert.deepEqual(Array.from(d.labels), [4, 1]);
  assert.equal(d.numClasses, 5);
});

async function rejects(file: string, pattern: RegExp): Promise<void> {
  await assert.rejects(openIdxDataset(file), (error: unknown) => {
    assert.ok(error instanceof FormatError, `expected a FormatError, got ${String(error)}`);
    assert.match(error.message, pattern);
    return true;
  });
}

test('hostile: truncated images, extra bytes, wrong magic, rank 0', async () => {
  const images = idx(0x08, [3, 2, 2], new Uint8Array(12));
  let dir = folderWith({ 'c-images-idx3-ubyte': images.subarray(0, images.length - 5), 'c-labels-idx1-ubyte': labels3 });
  await rejects(join(dir, 'c-images-idx3-ubyte'), /^c-images-idx3-ubyte: .*declares \[3, 2, 2\] \(12 bytes of data\) but the file holds only 7; it is truncated/);
  dir = folderWith({ 'c-images-idx3-ubyte': images.subarray(0, 10), 'c-labels-idx1-ubyte': labels3 });
  await rejects(join(dir, 'c-images-idx3-ubyte'), /too short for the 16-byte IDX header/);
  dir = folderWith({ 'c-images-idx3-ubyte': Buffer.concat([images, Uint8Array.of(1)]), 'c-labels-idx1-ubyte': labels3 });
  await rejects(join(dir, 'c-images-idx3-ubyte'), /1 bytes after the 12 bytes of data/);
  dir = folderWith({ 'c-images-idx3-ubyte': Buffer.from('PK\x03\x04 not idx at all'), 'c-labels-idx1-ubyte': labels3 });
  await rejects(join(dir, 'c-images-idx3-ubyte'), /does not start with an IDX magic number.*found 0x50 0x4b 0x03 0x04/);
  dir = folderWith({ 'c-images-idx3-ubyte': Uint8Array.of(0, 0, 0x07, 3, 0, 0, 0, 1), 'c-labels-idx1-ubyte': labels3 });
  await rejects(join(dir, 'c-images-idx3-ubyte'), /IDX magic number/);
  dir = folderWith({ 'c-images-idx3-ubyte': Uint8Array.of(0, 0, 8, 0), 'c-labels-idx1-ubyte': labels3 });
  await rejects(join(dir, 'c-images-idx3-ubyte'), /rank 0/);
  dir = folderWith({ 'c-images-idx3-ubyte': Uint8Array.of(0, 0), 'c-labels-idx1-ubyte': labels3 });
  await rejects(join(dir, 'c-images-idx3-ubyte'), /2 bytes, too short for an IDX header/);
});

test('hostile: counts disagree, labels out of range, empty, missing partner, nameless file', async () => {
  const images = idx(0x08, [3, 2, 2], new Uint8Array(12));
  let dir = folderWith({ 'd-images-idx3-ubyte': images, 'd-labels-idx1-ubyte': idx(0x08, [2], Uint8Array.of(1, 1)) });
  await rejects(join(dir, 'd-images-idx3-ubyte'), /3 inputs but 2 labels/);
  const negative = new Uint8Array(12);
  new DataView(negative.buffer).setInt32(4, -1, false);
  dir = folderWith({ 'd-images-idx3-ubyte': images, 'd-labels-idx1-ubyte': idx(0x0c, [3], negative) });
  await rejects(join(dir, 'd-images-idx3-ubyte'), /^d-labels-idx1-ubyte: labels: the label of example 1 is -1, negative/);
  const half = new Uint8Array(12);
  new DataView(half.buffer).setFloat32(8, 2.5, false);
  dir = folderWith({ 'd-images-idx3-ubyte': images, 'd-labels-idx1-ubyte': idx(0x0d, [3], half) });
  await rejects(join(dir, 'd-images-idx3-ubyte'), /example 2 is 2.5, not a whole number/);
  const huge = new Uint8Array(12);
  new DataView(huge.buffer).setInt32(0, 2_000_000_000, false);
  dir = folderWith({ 'd-images-idx3-ubyte': images, 'd-labels-idx1-ubyte': idx(0x0c, [3], huge) });
  await rejects(join(dir, 'd-images-idx3-ubyte'), /2000000000, not a plausible class index/);
  dir = folderWith({ 'd-images-idx3-ubyte': idx(0x08, [0, 2, 2]), 'd-labels-idx1-ubyte': idx(0x08, [0]) });
  await rejects(join(dir, 'd-images-idx3-ubyte'), /hold no examples/);
  dir = folderWith({ 'd-images-idx3-ubyte': images });
  await rejects(join(dir, 'd-images-idx3-ubyte'), /no labels file lies beside it \(tried 'd-labels-idx1-ubyte', 'd-labels.idx1-ubyte'/);
  dir = folderWith({ 'digits.idx': images });
  await rejects(join(dir, 'digits.idx'), /cannot tell from its name whether it holds images or labels/);
});

test('hostile: a header declaring more than the memory bound is refused before reading', async () => {
  // 70 000 × 200 × 200 uint8 images would take 10.4 GiB as float32; the file holds only the header.
  const dir = folderWith({ 'e-images-idx3-ubyte': idx(0x08, [70_000, 200, 200]), 'e-labels-idx1-ubyte': idx(0x08, [70_000], new Uint8Array(70_000)) });
  await rejects(join(dir, 'e-images-idx3-ubyte'), /would take 10\.4 GiB as float32, more than the 4\.00 GiB .*subset/);
});

test('hostile: a gzip bomb is cut off at the size its header declares', async () => {
  // The header declares 2 images of 2×2 (16 bytes in all); the stream inflates to 64 MiB.
  const bomb = gzipSync(Buffer.concat([idx(0x08, [2, 2, 2]), Buffer.alloc(64 * 2 ** 20)]));
  assert.ok(bomb.length < 200_000);
  const dir = folderWith({ 'f-images-idx3-ubyte.gz': bomb, 'f-labels-idx1-ubyte': idx(0x08, [2], Uint8Array.of(0, 1)) });
  const before = process.memoryUsage().arrayBuffers;
  await rejects(join(dir, 'f-images-idx3-ubyte.gz'), /^f-images-idx3-ubyte\.gz: inflates past the 24 bytes its header declares; stopped there/);
  assert.ok(process.memoryUsage().arrayBuffers - before < 16 * 2 ** 20, 'the bomb was not inflated whole');
});

test('hostile: truncated and corrupt gzip streams', async () => {
  const whole = gzipSync(idx(0x08, [2, 2, 2], new Uint8Array(8).fill(7)));
  let dir = folderWith({ 'g-images-idx3-ubyte.gz': whole.subarray(0, whole.length - 12), 'g-labels-idx1-ubyte': idx(0x08, [2], Uint8Array.of(0, 1)) });
  await rejects(join(dir, 'g-images-idx3-ubyte.gz'), /is not valid gzip data|truncated/);
  const corrupt = Buffer.from(whole);
  corrupt[12] ^= 0xff;
  corrupt[13] ^= 0xff;
  dir = folderWith({ 'g-images-idx3-ubyte.gz': corrupt, 'g-labels-idx1-ubyte': idx(0x08, [2], Uint8Array.of(0, 1)) });
  await rejects(join(dir, 'g-images-idx3-ubyte.gz'), /is not valid gzip data|IDX/);
  // A whole gzip stream that holds fewer bytes than the header declares.
  dir = folderWith({ 'g-images-idx3-ubyte.gz': gzipSync(idx(0x08, [2, 2, 2], new Uint8Array(5))), 'g-labels-idx1-ubyte': idx(0x08, [2], Uint8Array.of(0, 1)) });
  await rejects(join(dir, 'g-images-idx3-ubyte.gz'), /inflates to 21 bytes but its header declares 24; the file is truncated/);
});
