import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openShardedSafetensors } from '../../../../src/engine/formats/safetensors/openShardedSafetensors';
import { FIXTURES, checkAgainstExpected, expected } from './expectedValues';

const INDEX = 'model.safetensors.index.json';
const SHARD1 = 'model-00001-of-00002.safetensors';
const SHARD2 = 'model-00002-of-00002.safetensors';

test('a two-shard model: every tensor, in shard then offset order, equal to what torch wrote', async () => {
  const want = expected[INDEX]!;
  const checkpoint = await openShardedSafetensors(join(FIXTURES, INDEX));
  try {
    assert.equal(checkpoint.format, 'safetensors-sharded');
    assert.equal(checkpoint.file, join(FIXTURES, INDEX));
    assert.deepEqual(checkpoint.metadata, want.metadata);
    assert.deepEqual(checkpoint.tensors.map((t) => t.name), want.order);
    await checkAgainstExpected(checkpoint, want.tensors!);
  } finally {
    await checkpoint.close();
  }
});

/** A folder holding copies of the two fixture shards and an index written by the test. */
function folderWith(index: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'merge-lens-'));
  copyFileSync(join(FIXTURES, SHARD1), join(dir, SHARD1));
  copyFileSync(join(FIXTURES, SHARD2), join(dir, SHARD2));
  writeFileSync(join(dir, INDEX), typeof index === 'string' ? index : JSON.stringify(index));
  return join(dir, INDEX);
}

const goodMap = (): Record<string, string> =>
  (JSON.parse(readFileSync(join(FIXTURES, INDEX), 'utf8')) as { weight_map: Record<string, string> }).weight_map;

async function refuses(index: unknown, message: RegExp): Promise<void> {
  await assert.rejects(openShardedSafetensors(folderWith(index)), (error: Error) => {
    assert.equal(error.name, 'FormatError', String(error));
    assert.match(error.message, message);
    return true;
  });
}

test('refuses shard paths that leave the index folder', async () => {
  await refuses({ weight_map: { ...goodMap(), '2.bias': '../model-00002-of-00002.safetensors' } }, /^model\.safetensors\.index\.json: shard '\.\.\/model-00002-of-00002\.safetensors' climbs out of the folder/);
  await refuses({ weight_map: { ...goodMap(), '2.bias': 'sub/../../x.safetensors' } }, /climbs out of the folder/);
  await refuses({ weight_map: { ...goodMap(), '2.bias': '..\\x.safetensors' } }, /climbs out of the folder/);
  await refuses({ weight_map: { ...goodMap(), '2.bias': '/etc/passwd' } }, /shard '\/etc\/passwd' is an absolute path/);
  await refuses({ weight_map: { ...goodMap(), '2.bias': 'C:\\Windows\\x.safetensors' } }, /is an absolute path/);
});

test('names a missing shard, and a shard whose own header is broken', async () => {
  await refuses(
    { weight_map: { ...goodMap(), extra: 'model-00003-of-00003.safetensors' } },
    /shard 'model-00003-of-00003\.safetensors' listed in the weight_map cannot be read: does not exist \(ENOENT\)/,
  );
  const index = folderWith({ weight_map: goodMap() });
  writeFileSync(join(index, '..', SHARD2), readFileSync(join(FIXTURES, SHARD2)).subarray(0, 190));
  await assert.rejects(openShardedSafetensors(index), { name: 'FormatError', message: /^model-00002-of-00002\.safetensors: tensor .* truncated/ });
});

test('refuses a weight_map that disagrees with the shards', async () => {
  await refuses({ weight_map: { ...goodMap(), ghost: SHARD1 } }, /the weight_map puts tensor 'ghost' in shard 'model-00001-of-00002\.safetensors', which does not hold it/);
  const { ['2.bias']: _dropped, ...missing } = goodMap();
  await refuses({ weight_map: missing }, /shard 'model-00002-of-00002\.safetensors' holds tensor '2\.bias', which the weight_map does not list/);
  await refuses({ weight_map: { ...goodMap(), '0.bias': SHARD2 } }, /shard 'model-00001-of-00002\.safetensors' holds tensor '0\.bias', which the weight_map assigns to 'model-00002-of-00002\.safetensors'/);
});

test('refuses an index that is not one', async () => {
  await refuses('{"weight_map": ', /index is not valid JSON/);
  await refuses('[]', /index is an array, not a JSON object/);
  await refuses({ metadata: {} }, /has no weight_map object/);
  await refuses({ weight_map: { a: 3 } }, /weight_map entry for tensor 'a' is not a file name/);
  await refuses({ metadata: 'x', weight_map: goodMap() }, /metadata entry that is not an object/);
});

test('an empty weight_map opens as an empty checkpoint, with a note', async () => {
  const checkpoint = await openShardedSafetensors(folderWith({ metadata: { total_size: 0 }, weight_map: {} }));
  assert.deepEqual(checkpoint.tensors, []);
  assert.deepEqual(checkpoint.metadata, { total_size: '0', shards: '0' });
  assert.match(checkpoint.notes.join(), /lists no tensors/);
  await checkpoint.close();
});
