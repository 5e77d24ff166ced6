import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDataset } from '../../../src/engine/datasets/openDataset';
import { openShardedSafetensors } from '../../../src/engine/formats/safetensors/openShardedSafetensors';
import { openSafetensors } from '../../../src/engine/formats/safetensors/openSafetensors';
import { MAX_JSON_DEPTH, parseJsonObject } from '../../../src/engine/formats/strictJson';
import { openTfjs } from '../../../src/engine/formats/tfjs/openTfjs';
import { FormatError } from '../../../src/engine/io/formatError';
import { tempDir } from '../../helpers/paths';

const scratch = tempDir();

/** `levels` nested arrays, as the fuzzer found them: 10,000 levels fit in 20 KB. */
const nested = (levels: number): string => '['.repeat(levels) + ']'.repeat(levels);

/** A safetensors file whose header is `header`, with no tensor data. */
function safetensorsBytes(header: string): Buffer {
  const json = Buffer.from(header, 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.byteLength));
  return Buffer.concat([length, json]);
}

function fileWith(name: string, bytes: string | Uint8Array): string {
  const file = join(mkdtempSync(join(scratch, 'case-')), name);
  writeFileSync(file, bytes);
  return file;
}

/** One line of the project's own error, naming the file and the nesting rule. */
function refusesNesting(name: string, what: string): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof FormatError, String(error));
    assert.doesNotMatch(error.message, /\n/);
    assert.ok(error.message.startsWith(`${name}: the ${what} nests `), error.message);
    assert.match(error.message, new RegExp(`nests 100\\d\\d levels deep; at most ${MAX_JSON_DEPTH} are read$`));
    return true;
  };
}

test('a safetensors header nested 10,000 levels deep, in its metadata or a tensor entry, is refused in one line', async () => {
  const inMetadata = fileWith('deep.safetensors', safetensorsBytes(`{"__metadata__":{"a":${nested(10_000)}}}`));
  await assert.rejects(openSafetensors(inMetadata), refusesNesting('deep.safetensors', 'header'));
  const inShape = fileWith('shape.safetensors', safetensorsBytes(`{"w":{"dtype":"F32","shape":${nested(10_000)},"data_offsets":[0,0]}}`));
  await assert.rejects(openSafetensors(inShape), refusesNesting('shape.safetensors', 'header'));
});

test('a sharded index whose metadata nests 10,000 levels deep is refused in one line', async () => {
  const index = fileWith('model.safetensors.index.json', `{"metadata":{"total_size":${nested(10_000)}},"weight_map":{}}`);
  await assert.rejects(openShardedSafetensors(index), refusesNesting('model.safetensors.index.json', 'index'));
});

test('a tfjs model.json nesting 10,000 levels deep is refused in one line', async () => {
  const model = fileWith('model.json', `{"modelTopology":${nested(10_000)},"weightsManifest":[]}`);
  await assert.rejects(openTfjs(model), refusesNesting('model.json', 'model.json'));
});

test('a safetensors dataset whose header nests 10,000 levels deep is refused in one line', async () => {
  const data = fileWith('test.safetensors', safetensorsBytes(`{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"__metadata__":{"y":${nested(10_000)}}}`));
  await assert.rejects(openDataset(data), refusesNesting('test.safetensors', 'header'));
});

test('nesting is counted outside strings only, and the limit itself is read', () => {
  const atLimit = `{"a":${nested(MAX_JSON_DEPTH - 1)}}`;
  assert.deepEqual(Object.keys(parseJsonObject('f.json', Buffer.from(atLimit), 'index')), ['a']);
  assert.throws(() => parseJsonObject('f.json', Buffer.from(`{"a":${nested(MAX_JSON_DEPTH)}}`), 'index'), /nests 65 levels deep/);
  const inStrings = `{"a":"${nested(1000)}","b\\"[[[":"\\\\"}`;
  assert.equal(parseJsonObject('f.json', Buffer.from(inStrings), 'index').a, nested(1000));
});

test('messages quote a short prefix of an untrusted value, never the whole of it', async () => {
  const longName = 'n'.repeat(5000);
  const longDtype = 'D'.repeat(5000);
  const file = fileWith('long.safetensors', safetensorsBytes(JSON.stringify({ [longName]: { dtype: longDtype, shape: [1], data_offsets: [0, 4] } })));
  await assert.rejects(openSafetensors(file), (error: unknown) => {
    assert.ok(error instanceof FormatError, String(error));
    assert.ok(error.message.length < 300, error.message);
    assert.match(error.message, /^long\.safetensors: tensor 'n{60}…' has the unknown dtype 'D{60}…'$/);
    return true;
  });
  const wide = fileWith('wide.safetensors', safetensorsBytes(JSON.stringify({ w: { dtype: 'F32', shape: Array(5000).fill(-1), data_offsets: [0, 4] } })));
  await assert.rejects(openSafetensors(wide), { name: 'FormatError', message: /^wide\.safetensors: tensor 'w' has an invalid shape \[(-1,)+-1…$/ });
  const noShape = fileWith('noshape.safetensors', safetensorsBytes(JSON.stringify({ w: { dtype: 'F32', data_offsets: [0, 4] } })));
  await assert.rejects(openSafetensors(noShape), { name: 'FormatError', message: /^noshape\.safetensors: tensor 'w' has an invalid shape nothing$/ });
});
