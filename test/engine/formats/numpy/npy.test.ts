import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memorySource } from '../../../../src/engine/io/byteSource';
import { openNpy } from '../../../../src/engine/formats/numpy/openNpy';
import { npyTensor } from '../../../../src/engine/formats/numpy/npyTensor';
import { MAX_NPY_HEADER_BYTES } from '../../../../src/engine/formats/numpy/npyHeader';
import { valuesAsWritten, type ExpectedFile } from './testValues';

const FIXTURES = join(__dirname, '..', '..', '..', '..', '..', 'test', 'fixtures', 'numpy');
const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as Record<string, ExpectedFile>;

for (const [file, want] of Object.entries(expected)) {
  if (!file.endsWith('.npy')) continue;
  test(`${file}: dtype, shape and every value match what NumPy wrote`, async () => {
    const checkpoint = await openNpy(join(FIXTURES, file));
    try {
      const [t] = want.tensors;
      assert.equal(checkpoint.format, 'npy');
      assert.equal(checkpoint.metadata['npy version'], want.version);
      assert.equal(checkpoint.metadata['descr'], t!.descr);
      assert.equal(checkpoint.metadata['fortran_order'], t!.fortran ? 'True' : 'False');
      assert.deepEqual(checkpoint.tensors.map((x) => [x.name, x.dtype, x.shape]), [[t!.name, t!.dtype, t!.shape]]);
      const data = await checkpoint.read(t!.name);
      assert.equal(data.dtype, t!.dtype);
      assert.deepEqual(valuesAsWritten(data), t!.values);
      if (!['F16', 'C64', 'C128'].includes(t!.dtype)) {
        assert.deepEqual(Array.from(await checkpoint.readFloat32(t!.name)), t!.values.map((v) => Math.fround(Number(v))));
      }
    } finally {
      await checkpoint.close();
    }
  });
}

const encoder = new TextEncoder();

/** A .npy file: magic, version, header length, header, data; every part may be falsified. */
function npy(header: string | Uint8Array, data: Uint8Array, version = 1): Uint8Array {
  const headerBytes = typeof header === 'string' ? encoder.encode(header) : header;
  const lengthBytes = version === 1 ? 2 : 4;
  const out = new Uint8Array(8 + lengthBytes + headerBytes.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const v = new DataView(out.buffer);
  if (version === 1) v.setUint16(8, headerBytes.length, true);
  else v.setUint32(8, headerBytes.length, true);
  out.set(headerBytes, 8 + lengthBytes);
  out.set(data, 8 + lengthBytes + headerBytes.length);
  return out;
}

const dict = (descr: string, shape: string, fortran = 'False'): string =>
  `{'descr': ${descr}, 'fortran_order': ${fortran}, 'shape': ${shape}, }\n`;

async function refuse(bytes: Uint8Array, message: RegExp): Promise<void> {
  await assert.rejects(npyTensor(memorySource('/data/bad.npy', bytes), 'bad'), (error: Error) => {
    assert.equal(error.name, 'FormatError');
    assert.match(error.message, /^bad\.npy: /);
    assert.match(error.message, message);
    return true;
  });
}

test('a hand-made .npy reads back (so the hostile variants below differ from it in one rule only)', async () => {
  const values = Float32Array.of(1.5, -2, 3.25);
  const { tensor } = await npyTensor(memorySource('ok.npy', npy(dict("'<f4'", '(3,)'), new Uint8Array(values.buffer))), 'ok');
  assert.deepEqual(tensor.info, { name: 'ok', dtype: 'F32', shape: [3], byteSize: 12 });
});

test('truncated data and trailing bytes are both refused', async () => {
  await refuse(npy(dict("'<f4'", '(3,)'), new Uint8Array(11)), /the data holds 11 bytes but shape \(3\) of <f4 needs 12; the file is truncated/);
  await refuse(npy(dict("'<f4'", '(2, 2)'), new Uint8Array(20)), /4 trailing bytes follow the 16 that shape \(2, 2\) of <f4 needs/);
  await refuse(npy(dict("'<f8'", '()'), new Uint8Array(0)), /holds 0 bytes but shape \(\) of <f8 needs 8/);
});

test('a header length past the end of the file, or over the limit, is refused before reading it', async () => {
  const bytes = npy(dict("'<f4'", '(1,)'), new Uint8Array(4));
  new DataView(bytes.buffer).setUint16(8, 60000, true);
  await refuse(bytes, /header length 60000 is larger than the file \(\d+ bytes\)/);
  const v2 = npy(dict("'<f4'", '(1,)'), new Uint8Array(4), 2);
  new DataView(v2.buffer).setUint32(8, 0xfffffff0, true);
  await refuse(v2, /header length 4294967280 is larger than the file/);
  const huge = npy(dict("'<f4'", '(1,)') + ' '.repeat(MAX_NPY_HEADER_BYTES), new Uint8Array(4), 2);
  await refuse(huge, /header length \d+ exceeds the 1048576-byte limit/);
});

test('bad magic, unknown versions and files too short are refused', async () => {
  await refuse(encoder.encode('NUMPY!\x01\x00\x10\x00{}'), /does not start with the \.npy magic string/);
  const v4 = npy(dict("'<f4'", '(1,)'), new Uint8Array(4));
  v4[6] = 4;
  await refuse(v4, /has \.npy format version 4\.0; only 1\.0, 2\.0 and 3\.0 exist/);
  await refuse(Uint8Array.of(0x93, 0x4e, 0x55), /is too short to be a \.npy file \(3 bytes\)/);
  await refuse(npy('', new Uint8Array(0), 2).subarray(0, 10), /too short to hold a version 2\.0 \.npy header/);
});

test('headers that are not the expected dict are refused', async () => {
  await refuse(npy("['<f4', False, (1,)]\n", new Uint8Array(4)), /header is a list, not a dict/);
  await refuse(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)\n", new Uint8Array(4)), /header is not a valid Python literal \(expected ','/);
  await refuse(npy("{'descr': '<f4', 'shape': (1,)}", new Uint8Array(4)), /header lacks the key 'fortran_order'/);
  await refuse(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}", new Uint8Array(4)), /unexpected key 'extra'/);
  await refuse(npy(dict("'<f4'", '(1,)', '0'), new Uint8Array(4)), /'fortran_order' is an integer, not True or False/);
  await refuse(npy(dict("'<f4'", '[1]'), new Uint8Array(4)), /'shape' is a list, not a tuple/);
  await refuse(npy(dict("'<f4'", '(2, -1)'), new Uint8Array(4)), /'shape' \(2, -1\) is not a tuple of non-negative integers/);
  await refuse(npy(dict("'<f4'", "(2, 'x')"), new Uint8Array(4)), /'shape' \(2, a str\) is not a tuple/);
  await refuse(npy(dict("'<f4'", '(4294967296, 4294967296, 4294967296)'), new Uint8Array(4)), /representable product/);
  await refuse(npy(dict('4', '(1,)'), new Uint8Array(4)), /'descr' is an integer, not a string/);
});

test('descrs that are not plain numbers are refused, naming the descr', async () => {
  const cases: [string, RegExp][] = [
    ["'|O'", /descr '\|O' is an object array, which only pickle can load/],
    ["'<U5'", /descr '<U5' is a Unicode string array/],
    ["'|S3'", /descr '\|S3' is a byte string array/],
    ["'<M8[ns]'", /descr '<M8\[ns\]' is a datetime array/],
    ["'<m8[s]'", /descr '<m8\[s\]' is a timedelta array/],
    ["'|V2'", /descr '\|V2' is raw void bytes/],
    ["'<f16'", /descr '<f16' is an extended-precision \(long double\) type/],
    ["'<x4'", /descr '<x4' is not a NumPy numeric type Merge Lens knows/],
    ["'<i3'", /descr '<i3' is not a NumPy numeric type/],
    ["[('a', '<f4'), ('b', '<i4')]", /holds a structured array/],
  ];
  for (const [descr, message] of cases) await refuse(npy(dict(descr, '(1,)'), new Uint8Array(8)), message);
});

test('a version 3.0 header must be UTF-8; versions 1.0 and 2.0 are latin-1', async () => {
  const bad = Uint8Array.from([...encoder.encode("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), '"), 0xff, ...encoder.encode("': 1}\n")]);
  await refuse(npy(bad, new Uint8Array(4), 3), /has a version 3\.0 header that is not valid UTF-8/);
  // In latin-1 the same byte is 'ÿ', and the header then fails only for its extra key.
  await refuse(npy(bad, new Uint8Array(4), 1), /unexpected key 'ÿ'/);
});

test('byte order: native (=) is little-endian and | is accepted for one-byte types', async () => {
  const { tensor } = await npyTensor(memorySource('n.npy', npy(dict("'=i2'", '(2,)'), Uint8Array.of(1, 0, 0, 1))), 'n');
  assert.equal(tensor.info.dtype, 'I16');
  assert.equal(tensor.bigEndian, undefined);
  const big = await npyTensor(memorySource('b.npy', npy(dict("'>u1'", '(2,)'), Uint8Array.of(1, 2))), 'b');
  assert.equal(big.tensor.bigEndian, undefined);
});

test('openNpy names the file in its errors and the tensor after the file stem', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'merge-lens-'));
  const good = join(dir, 'weights.v1.npy');
  writeFileSync(good, npy(dict("'<i4'", '(2,)'), Uint8Array.of(7, 0, 0, 0, 0xff, 0xff, 0xff, 0xff)));
  const checkpoint = await openNpy(good);
  assert.deepEqual(checkpoint.tensors.map((t) => t.name), ['weights.v1']);
  assert.deepEqual(Array.from((await checkpoint.read('weights.v1')).data as Int32Array), [7, -1]);
  await checkpoint.close();
  const bad = join(dir, 'broken.npy');
  writeFileSync(bad, npy(dict("'|O'", '(2,)'), new Uint8Array(16)));
  await assert.rejects(openNpy(bad), /^FormatError: broken\.npy: descr '\|O' is an object array/);
  await assert.rejects(openNpy(join(dir, 'missing.npy')), /missing\.npy: does not exist \(ENOENT\)/);
});
