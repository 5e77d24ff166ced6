import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { memorySource, openFileSource, type ByteSource } from '../../../src/engine/io/byteSource';
import { crc32 } from '../../../src/engine/io/crc32';
import { looksLikeZip, openZip, type ZipArchive } from '../../../src/engine/io/zip';
import { buildZip, type BuildMember } from '../../helpers/buildZip';

const FIXTURES = join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'zip');

interface ExpectedMember {
  name: string;
  method: 'stored' | 'deflated';
  size: number;
  compressedSize: number;
  localHeaderOffset: number;
  sha256: string;
}
const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as Record<string, ExpectedMember[]>;

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const bytesOf = (text: string): Uint8Array => new TextEncoder().encode(text);

async function readMember(archive: ZipArchive, name: string): Promise<Uint8Array> {
  const entry = archive.find(name);
  assert.ok(entry, `no member ${name}`);
  const source = await archive.open(entry);
  return source.read(0, source.size);
}

function memoryZip(members: readonly BuildMember[], options?: { maxInflatedBytes?: number }): Promise<ZipArchive> {
  return openZip(memorySource('/tmp/hostile.zip', buildZip(members).bytes), options);
}

function patched(bytes: Uint8Array, at: number, set: (v: DataView) => void): ByteSource {
  const copy = new Uint8Array(bytes); // a copy (Buffer#slice would be a view)
  set(new DataView(copy.buffer, at));
  return memorySource('/tmp/patched.zip', copy);
}

test('crc32 matches the standard check values', () => {
  assert.equal(crc32(bytesOf('123456789')), 0xcbf43926);
  assert.equal(crc32(bytesOf('The quick brown fox jumps over the lazy dog')), 0x414fa339);
  assert.equal(crc32(new Uint8Array(0)), 0);
});

test('looksLikeZip recognises a local header and an empty archive only', () => {
  assert.equal(looksLikeZip(Uint8Array.of(0x50, 0x4b, 3, 4, 0)), true);
  assert.equal(looksLikeZip(Uint8Array.of(0x50, 0x4b, 5, 6)), true);
  assert.equal(looksLikeZip(Uint8Array.of(0x50, 0x4b, 1, 2)), false);
  assert.equal(looksLikeZip(Uint8Array.of(0x50, 0x4b)), false);
  assert.equal(looksLikeZip(bytesOf('\x93NUMPY')), false);
});

for (const [archiveName, members] of Object.entries(expected)) {
  test(`${archiveName}: entries and contents match what Python's zipfile reads`, async () => {
    const archive = await openZip(await openFileSource(join(FIXTURES, archiveName)));
    try {
      assert.deepEqual(
        archive.entries.map(({ name, method, size, compressedSize, localHeaderOffset }) => ({ name, method, size, compressedSize, localHeaderOffset })),
        members.map(({ name, method, size, compressedSize, localHeaderOffset }) => ({ name, method, size, compressedSize, localHeaderOffset })),
      );
      for (const member of members) {
        assert.equal(sha256(await readMember(archive, member.name)), member.sha256, member.name);
      }
      assert.equal(archive.find('no such member'), undefined);
    } finally {
      await archive.close();
    }
  });
}

test('a stored member is a window onto the file, read lazily at any offset', async () => {
  const archive = await openZip(await openFileSource(join(FIXTURES, 'stored.zip')));
  const whole = await readMember(archive, 'archive/data/0');
  const source = await archive.open(archive.find('archive/data/0')!);
  assert.deepEqual(await source.read(100, 7), whole.subarray(100, 107));
  await assert.rejects(source.read(250, 8), /past the end/);
  await archive.close();
});

test('an empty archive has no entries', async () => {
  const archive = await openZip(memorySource('empty.zip', buildZip([]).bytes));
  assert.deepEqual(archive.entries, []);
});

test('a fake end-record signature inside the archive comment is not taken for the real one', async () => {
  const comment = bytesOf('comment PK\x05\x06 with a fake signature and more bytes after it');
  const { bytes } = buildZip([{ name: 'a.txt', data: bytesOf('hello') }], comment);
  const archive = await openZip(memorySource('comment.zip', bytes));
  assert.deepEqual(archive.entries.map((e) => e.name), ['a.txt']);
  assert.equal(new TextDecoder().decode(await readMember(archive, 'a.txt')), 'hello');
});

test('a large deflated member: its head is read without inflating it all, then it reads whole', async () => {
  const data = new Uint8Array(50_000_000);
  for (let i = 0; i < data.length; i += 4099) data[i] = i % 251;
  const archive = await memoryZip([{ name: 'big.bin', data, method: 'deflated' }]);
  const source = await archive.open(archive.entries[0]!);
  assert.equal(source.size, data.length);
  assert.deepEqual(await source.read(4090, 20), data.subarray(4090, 4110));
  assert.deepEqual(await source.read(49_000_000, 8200), data.subarray(49_000_000, 49_008_200));
  assert.equal(sha256(await source.read(0, data.length)), sha256(data));
});

test('a zip bomb (50 MB of zeros) is refused before inflation when beyond the limit', async () => {
  const zeros = new Uint8Array(50_000_000);
  const payload = new Uint8Array(deflateRawSync(zeros));
  assert.ok(payload.length < 100_000);
  await assert.rejects(
    memoryZip([{ name: 'bomb.npy', data: zeros, payload, method: 'deflated' }], { maxInflatedBytes: 1 << 20 }),
    /'bomb\.npy' would inflate to 50000000 bytes, more than the 1048576-byte limit.*np\.savez rather than np\.savez_compressed/,
  );
});

test('a declared size beyond what deflate can reach is a lie', async () => {
  await assert.rejects(
    memoryZip([{ name: 'x', data: bytesOf('abc'), method: 'deflated', declaredSize: 1_000_000 }]),
    /claims to inflate \d+ bytes to 1000000, beyond what deflate can do/,
  );
});

test('a member inflating to more than its declared size is stopped at that size', async () => {
  const data = new Uint8Array(100_000).fill(7);
  const archive = await memoryZip([{ name: 'x', data, method: 'deflated', declaredSize: 1000 }]);
  const source = await archive.open(archive.entries[0]!);
  await assert.rejects(source.read(0, 1000), /hostile\.zip: member 'x' inflates to more than the 1000 bytes its header declares/);
});

test('a member inflating to fewer bytes than declared is refused', async () => {
  const data = bytesOf('short and sweet'.repeat(20));
  const archive = await memoryZip([{ name: 'x', data, method: 'deflated', declaredSize: data.length + 50 }]);
  const source = await archive.open(archive.entries[0]!);
  await assert.rejects(source.read(0, 10), new RegExp(`inflates to ${data.length} bytes, not the ${data.length + 50}`));
});

test('a member with a bad CRC is refused', async () => {
  const data = bytesOf('checksummed '.repeat(10));
  const archive = await memoryZip([{ name: 'x', data, method: 'deflated', crc: crc32(data) ^ 1 }]);
  const source = await archive.open(archive.entries[0]!);
  await assert.rejects(source.read(0, data.length), /'x' fails its CRC-32 check/);
});

test('truncated deflate data is refused', async () => {
  let seed = 12345;
  const data = new Uint8Array(5000).map(() => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
  const payload = new Uint8Array(deflateRawSync(data)).subarray(0, 1000);
  const archive = await memoryZip([{ name: 'x', data, payload, method: 'deflated' }]);
  const source = await archive.open(archive.entries[0]!);
  await assert.rejects(source.read(0, data.length), /'x' is not valid deflate data/);
});

test('encrypted members and unsupported methods are refused, naming the method', async () => {
  await assert.rejects(memoryZip([{ name: 'secret', data: bytesOf('x'), flags: 0x801 }]), /'secret' is encrypted/);
  await assert.rejects(memoryZip([{ name: 'aes', data: bytesOf('x'), methodCode: 99 }]), /'aes' is encrypted/);
  await assert.rejects(memoryZip([{ name: 'b', data: bytesOf('x'), methodCode: 12 }]), /'b' uses compression method 12 \(bzip2\)/);
  await assert.rejects(memoryZip([{ name: 'z', data: bytesOf('x'), methodCode: 93 }]), /method 93 \(Zstandard\)/);
});

test('a stored member whose two sizes differ is refused', async () => {
  await assert.rejects(
    memoryZip([{ name: 's', data: bytesOf('abcdef'), declaredSize: 5 }]),
    /stored member 's' declares 6 bytes stored but 5 uncompressed/,
  );
});

test('names flagged UTF-8 must be UTF-8; duplicate names are refused', async () => {
  await assert.rejects(
    memoryZip([{ name: '?', nameBytes: Uint8Array.of(0x61, 0xff, 0x62), data: bytesOf('x') }]),
    /name of member 0 is flagged UTF-8 but is not valid UTF-8/,
  );
  await assert.rejects(
    memoryZip([{ name: 'dup', data: bytesOf('x') }, { name: 'dup', data: bytesOf('y') }]),
    /member 'dup' appears twice/,
  );
});

test('a file too short, truncated or without an end record is refused', async () => {
  await assert.rejects(openZip(memorySource('tiny.zip', bytesOf('PK\x03\x04 short'))), /tiny\.zip: is too short to be a zip archive \(10 bytes\)/);
  const whole = readFileSync(join(FIXTURES, 'deflated.zip'));
  await assert.rejects(
    openZip(memorySource('cut.zip', whole.subarray(0, whole.length - 30))),
    /cut\.zip: has no zip end-of-central-directory record/,
  );
  await assert.rejects(openZip(memorySource('zeros.zip', new Uint8Array(1000))), /no zip end-of-central-directory record/);
});

test('central directory offsets, sizes and counts are checked against the file', async () => {
  const built = buildZip([{ name: 'a', data: bytesOf('hello') }, { name: 'b', data: bytesOf('world') }]);
  const e = built.eocdOffset;
  await assert.rejects(openZip(patched(built.bytes, e + 16, (v) => v.setUint32(0, 0x7fffffff, true))), /central directory \(\d+ bytes at offset 2147483647\) runs past/);
  await assert.rejects(openZip(patched(built.bytes, e + 12, (v) => v.setUint32(0, 0xfffffff0, true))), /runs past its end record/);
  await assert.rejects(openZip(patched(built.bytes, e + 8, (v) => (v.setUint16(0, 60000, true), v.setUint16(2, 60000, true)))), /claims 60000 members/);
  await assert.rejects(openZip(patched(built.bytes, e + 4, (v) => v.setUint16(0, 1, true))), /multi-part/);
  await assert.rejects(openZip(patched(built.bytes, e + 16, (v) => v.setUint32(0, 0xffffffff, true))), /no ZIP64 locator/);
  await assert.rejects(
    openZip(patched(built.bytes, built.centralOffsets[1]! + 42, (v) => v.setUint32(0, 0x10000000, true))),
    /member 'b' \(5 bytes, header at byte 268435456\) runs into the central directory/,
  );
  await assert.rejects(
    openZip(patched(built.bytes, built.centralOffsets[1]!, (v) => v.setUint32(0, 0x12345678, true))),
    /central directory entry 1 at byte \d+ is missing or corrupt/,
  );
});

test('members sharing bytes are refused as overlapping', async () => {
  const built = buildZip([{ name: 'a', data: bytesOf('hello') }, { name: 'b', data: bytesOf('world') }]);
  const source = patched(built.bytes, built.centralOffsets[1]! + 42, (v) => v.setUint32(0, built.localOffsets[0]! + 3, true));
  await assert.rejects(openZip(source), /members 'a' and 'b' overlap/);
});

test('a missing local header and a local extra field pushing data past the member are refused on open', async () => {
  const built = buildZip([{ name: 'a', data: bytesOf('hello') }, { name: 'b', data: bytesOf('world') }]);
  const noHeader = await openZip(patched(built.bytes, built.localOffsets[0]!, (v) => v.setUint32(0, 0, true)));
  await assert.rejects(noHeader.open(noHeader.entries[0]!), /member 'a' has no local header at byte 0/);
  const longExtra = await openZip(patched(built.bytes, built.localOffsets[0]! + 28, (v) => v.setUint16(0, 40, true)));
  await assert.rejects(longExtra.open(longExtra.entries[0]!), /member 'a' has data at bytes 71\.\.76, past the start of what follows it/);
  const other = await memoryZip([{ name: 'a', data: bytesOf('x') }]);
  await assert.rejects(noHeader.open(other.entries[0]!), /another archive/);
});

test('a ZIP64 locator pointing nowhere is refused', async () => {
  const bytes = readFileSync(join(FIXTURES, 'zip64-central.zip'));
  const locator = bytes.length - 22 - 20;
  const source = patched(bytes, locator + 8, (v) => v.setBigUint64(0, 5n, true));
  await assert.rejects(openZip(source), /no ZIP64 end record at byte 5/);
  const far = patched(bytes, locator + 8, (v) => v.setBigUint64(0, 1n << 40n, true));
  await assert.rejects(openZip(far), /ZIP64 end record offset 1099511627776 leaves no room/);
});
