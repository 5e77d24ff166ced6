import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openNpz } from '../../../../src/engine/formats/numpy/openNpz';
import { buildZip } from '../../../helpers/buildZip';
import { valuesAsWritten, type ExpectedFile } from './testValues';

const FIXTURES = join(__dirname, '..', '..', '..', '..', '..', 'test', 'fixtures', 'numpy');
const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as Record<string, ExpectedFile>;

for (const [file, want] of Object.entries(expected)) {
  if (!file.endsWith('.npz')) continue;
  test(`${file}: every tensor, in archive order, with every value NumPy wrote`, async () => {
    const checkpoint = await openNpz(join(FIXTURES, file));
    try {
      assert.equal(checkpoint.format, 'npz');
      assert.deepEqual(
        checkpoint.tensors.map((t) => [t.name, t.dtype, t.shape]),
        want.tensors.map((t) => [t.name, t.dtype, t.shape]),
      );
      for (const t of want.tensors) {
        const data = await checkpoint.read(t.name);
        assert.deepEqual(valuesAsWritten(data), t.values, t.name);
      }
    } finally {
      await checkpoint.close();
    }
  });
}

test('savez_compressed members are deflated; savez members are stored', async () => {
  const compressed = await openNpz(join(FIXTURES, 'savez_compressed.npz'));
  const plain = await openNpz(join(FIXTURES, 'savez.npz'));
  assert.equal(compressed.metadata['compressed'], compressed.metadata['members']);
  assert.equal(plain.metadata['compressed'], '0');
  await Promise.all([compressed.close(), plain.close()]);
});

test('a member that is not a .npy array is left out with a note', async () => {
  const checkpoint = await openNpz(join(FIXTURES, 'with-extra.npz'));
  assert.deepEqual(checkpoint.tensors.map((t) => t.name), ['a']);
  assert.deepEqual(checkpoint.notes, ["member 'README.txt' is not a .npy array and was left out"]);
  await checkpoint.close();
});

/** A .npy file for a test archive: version 1.0, float32 data. */
function npy(header: string, data: Uint8Array): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(10 + h.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length & 0xff, h.length >> 8]);
  out.set(h, 10);
  out.set(data, 10 + h.length);
  return out;
}

function writeTemp(name: string, bytes: Uint8Array): string {
  const file = join(mkdtempSync(join(tmpdir(), 'merge-lens-')), name);
  writeFileSync(file, bytes);
  return file;
}

test('an error inside a member names the archive and the member', async () => {
  const good = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", new Uint8Array(8));
  const truncated = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }\n", new Uint8Array(8));
  for (const method of ['stored', 'deflated'] as const) {
    const file = writeTemp('model.npz', buildZip([
      { name: 'ok.npy', data: good, method },
      { name: 'layer/w.npy', data: truncated, method },
    ]).bytes);
    await assert.rejects(openNpz(file), /^FormatError: model\.npz: member 'layer\/w\.npy': the data holds 8 bytes but shape \(3\) of <f4 needs 12; the file is truncated$/);
  }
});

test('a deflated member with a bad CRC is refused', async () => {
  const data = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }\n", new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer));
  const file = writeTemp('crc.npz', buildZip([{ name: 'w.npy', data, method: 'deflated', crc: 0x12345678 }]).bytes);
  await assert.rejects(openNpz(file), /crc\.npz: member 'w\.npy' fails its CRC-32 check/);
});

test('a file that is not a zip archive is refused', async () => {
  const file = writeTemp('fake.npz', new TextEncoder().encode('\x93NUMPY this is an npy, not an npz'));
  await assert.rejects(openNpz(file), /fake\.npz: is not a zip archive, which an \.npz file must be/);
  const empty = writeTemp('empty.npz', new Uint8Array(0));
  await assert.rejects(openNpz(empty), /empty\.npz: is not a zip archive/);
});
