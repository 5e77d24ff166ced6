import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, ftruncateSync, mkdtempSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memorySource } from '../../../../src/engine/io/byteSource';
import { FormatError } from '../../../../src/engine/io/formatError';
import { openSafetensors, readSafetensorsHeader } from '../../../../src/engine/formats/safetensors/openSafetensors';
import { FIXTURES, checkAgainstExpected, expected } from './expectedValues';

test('all_dtypes.safetensors: every dtype, in offset order, equal to what torch and numpy wrote', async () => {
  const want = expected['all_dtypes.safetensors']!;
  const checkpoint = await openSafetensors(join(FIXTURES, 'all_dtypes.safetensors'));
  try {
    assert.equal(checkpoint.format, 'safetensors');
    assert.deepEqual(checkpoint.metadata, want.metadata);
    assert.deepEqual(checkpoint.tensors.map((t) => t.name), want.order);
    assert.equal(checkpoint.tensors.length, 18);
    await checkAgainstExpected(checkpoint, want.tensors!);

    const chunks: number[][] = [];
    await checkpoint.streamFloat32('float32.cube', 5, (chunk) => chunks.push(Array.from(chunk)));
    assert.deepEqual(chunks.map((c) => c.length), [5, 5, 2]);
    assert.deepEqual(chunks.flat(), Array.from(await checkpoint.readFloat32('float32.cube')));
    assert.throws(() => checkpoint.info('nope'), /has no tensor named 'nope'/);
  } finally {
    await checkpoint.close();
  }
});

test('shuffled header keys: tensors are listed by offset, not by JSON key order', async () => {
  const shuffled = await openSafetensors(join(FIXTURES, 'shuffled_keys.safetensors'));
  const reference = await openSafetensors(join(FIXTURES, 'all_dtypes.safetensors'));
  try {
    assert.deepEqual(shuffled.tensors.map((t) => t.name), expected['shuffled_keys.safetensors']!.order);
    assert.deepEqual(shuffled.metadata, {});
    await checkAgainstExpected(shuffled, expected['all_dtypes.safetensors']!.tensors!);
    assert.deepEqual(await shuffled.read('int16.matrix'), await reference.read('int16.matrix'));
  } finally {
    await shuffled.close();
    await reference.close();
  }
});

test('a multi-gigabyte (sparse) file opens by reading its header alone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'merge-lens-'));
  const file = join(dir, 'big.safetensors');
  const size = 3 * 2 ** 30;
  const header = Buffer.from(JSON.stringify({ big: { dtype: 'U8', shape: [3, 2 ** 30], data_offsets: [0, size] } }));
  const fd = openSync(file, 'w');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));
  writeSync(fd, length);
  writeSync(fd, header);
  ftruncateSync(fd, 8 + header.length + size);
  closeSync(fd);
  const checkpoint = await openSafetensors(file);
  assert.deepEqual(checkpoint.info('big'), { name: 'big', dtype: 'U8', shape: [3, 2 ** 30], byteSize: size });
  await checkpoint.close();
});

// ---- hostile files, built here ----

function fileBytes(header: string | Uint8Array, data: Uint8Array = new Uint8Array(0), declared?: bigint): Uint8Array {
  const text = typeof header === 'string' ? new TextEncoder().encode(header) : header;
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, declared ?? BigInt(text.length), true);
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return out;
}

async function refuses(bytes: Uint8Array, message: RegExp): Promise<void> {
  await assert.rejects(readSafetensorsHeader(memorySource('evil.safetensors', bytes), 'evil.safetensors'), (error: unknown) => {
    assert.ok(error instanceof FormatError, `a FormatError, not ${String(error)}`);
    assert.match(error.message, /^evil\.safetensors: /);
    assert.match(error.message, message);
    return true;
  });
}

const f32 = (name: string, shape: number[], offsets: unknown) => `"${name}":{"dtype":"F32","shape":${JSON.stringify(shape)},"data_offsets":${JSON.stringify(offsets)}}`;

test('refuses files too short, header lengths beyond the file or the 100 MB bound', async () => {
  await refuses(new Uint8Array(5), /5 bytes long, too short/);
  await refuses(fileBytes('{}', new Uint8Array(0), 9_999_999n), /header length 9999999 is larger than the file \(10 bytes\)/);
  await refuses(fileBytes('{}', new Uint8Array(0), 100_000_001n), /header length 100000001 is above the 100000000-byte limit/);
  await refuses(fileBytes('{}', new Uint8Array(0), 2n ** 64n - 1n), /header length 18446744073709551615 is above/);
});

test('refuses headers that are not UTF-8 JSON objects', async () => {
  await refuses(fileBytes(Uint8Array.of(0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d)), /header is not valid UTF-8/);
  await refuses(fileBytes(Uint8Array.of(0xef, 0xbb, 0xbf, 0x7b, 0x7d)), /not valid JSON/);
  await refuses(fileBytes('{"a": '), /header is not valid JSON/);
  await refuses(fileBytes('{}\0\0\0\0\0\0'), /not valid JSON/);
  await refuses(fileBytes('[1, 2]'), /header is an array, not a JSON object/);
  await refuses(fileBytes('null'), /header is null, not a JSON object/);
  await refuses(fileBytes('"x"'), /header is a string, not a JSON object/);
});

test('refuses bad __metadata__ and bad tensor descriptions', async () => {
  await refuses(fileBytes('{"__metadata__":{"a":1}}'), /__metadata__ entry 'a' is not a string/);
  await refuses(fileBytes('{"__metadata__":["a"]}'), /__metadata__ is not an object/);
  await refuses(fileBytes('{"w":[1]}'), /tensor 'w' is not described by an object/);
  await refuses(fileBytes('{"w":{"shape":[1],"data_offsets":[0,4]}}', new Uint8Array(4)), /tensor 'w' has no dtype/);
  for (const dtype of ['F4', 'C128', 'float32', 'f32']) {
    await refuses(fileBytes(`{"w":{"dtype":"${dtype}","shape":[1],"data_offsets":[0,4]}}`, new Uint8Array(4)), new RegExp(`tensor 'w' has the unknown dtype '${dtype}'`));
  }
  for (const shape of [[-1], [1.5], ['3'], [2 ** 40, 2 ** 40], 'x']) {
    await refuses(fileBytes(`{${f32('w', shape as number[], [0, 4])}}`, new Uint8Array(4)), /tensor 'w' has an invalid shape/);
  }
});

test('refuses data_offsets that are malformed, lie, overlap, leave gaps or run past the end', async () => {
  const data = new Uint8Array(16);
  for (const offsets of [[-4, 0], [0.5, 4.5], [0], [0, 4, 8], ['0', '4'], [0, 1e300], null]) {
    await refuses(fileBytes(`{${f32('w', [1], offsets)}}`, data), /tensor 'w' has invalid data_offsets/);
  }
  await refuses(fileBytes(`{${f32('w', [0], [8, 4])}}`, data), /data_offsets \[8, 4\] that end before they begin/);
  await refuses(fileBytes(`{${f32('w', [2, 3], [0, 20])}}`, new Uint8Array(20)), /tensor 'w' \(F32, shape \[2, 3\]\) needs 24 bytes but its data_offsets \[0, 20\] span 20/);
  await refuses(fileBytes(`{${f32('w', [2], [0, 8])},${f32('v', [2], [4, 12])}}`, new Uint8Array(12)), /tensor 'v' at bytes 4\.\.12 overlaps tensor 'w' at 0\.\.8/);
  await refuses(fileBytes(`{${f32('w', [1], [0, 4])},${f32('v', [1], [8, 12])}}`, new Uint8Array(12)), /4 bytes after tensor 'w' belong to no tensor \(tensor 'v' begins at 8\)/);
  await refuses(fileBytes(`{${f32('w', [1], [4, 8])}}`, new Uint8Array(8)), /4 bytes at the start of the data belong to no tensor/);
  await refuses(fileBytes(`{${f32('w', [1], [0, 4])}}`, new Uint8Array(6)), /the data holds 6 bytes but its tensors cover only 4/);
  // A truncated file: the header promises more than is there.
  await refuses(fileBytes(`{${f32('w', [4], [0, 16])}}`, new Uint8Array(10)), /tensor 'w' has data_offsets \[0, 16\] past the end of the data \(10 bytes\); the file is truncated/);
  await refuses(fileBytes(`{${f32('w', [1], [2 ** 52, 2 ** 52 + 4])}}`, data), /past the end of the data/);
});

test('accepts what the reference accepts: padding, null metadata, empty files, zero-size tensors', async () => {
  const data = new Uint8Array(8);
  new DataView(data.buffer).setFloat32(0, 1.5, true);
  new DataView(data.buffer).setFloat32(4, -2, true);
  const text = `{"__metadata__":null,${f32('z', [0, 4], [0, 0])},${f32('w', [2], [0, 8])}}    \n\t`;
  const header = await readSafetensorsHeader(memorySource('ok.safetensors', fileBytes(text, data)), 'ok.safetensors');
  assert.deepEqual(header.metadata, {});
  assert.deepEqual(header.tensors.map((t) => [t.info.name, t.byteOffset]), [['z', 8 + text.length], ['w', 8 + text.length]]);
  // JSON.parse keeps the last of duplicate keys; the earlier description is simply gone.
  const duplicate = await readSafetensorsHeader(
    memorySource('dup.safetensors', fileBytes(`{${f32('w', [9], [0, 36])},${f32('w', [2], [0, 8])}}`, data)),
    'dup.safetensors',
  );
  assert.deepEqual(duplicate.tensors.map((t) => t.info.shape), [[2]]);
  const empty = await readSafetensorsHeader(memorySource('e.safetensors', fileBytes('{}      ')), 'e.safetensors');
  assert.deepEqual(empty.tensors, []);
});

test('openSafetensors names a missing file and a hostile one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'merge-lens-'));
  await assert.rejects(openSafetensors(join(dir, 'missing.safetensors')), { name: 'FormatError', message: /^missing\.safetensors: does not exist \(ENOENT\)/ });
  writeFileSync(join(dir, 'bad.safetensors'), fileBytes(`{${f32('w', [4], [0, 16])}}`, new Uint8Array(3)));
  await assert.rejects(openSafetensors(join(dir, 'bad.safetensors')), { name: 'FormatError', message: /^bad\.safetensors: tensor 'w' .* truncated/ });
});
