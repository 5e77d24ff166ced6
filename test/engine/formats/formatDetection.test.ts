import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openCheckpoint } from '../../../src/engine/formats/openCheckpoint';
import type { Checkpoint } from '../../../src/engine/formats/checkpoint';
import { fixture, tempDir } from '../../helpers/paths';

async function withCheckpoint(file: string, use: (checkpoint: Checkpoint) => Promise<void>): Promise<void> {
  const checkpoint = await openCheckpoint(file);
  try {
    await use(checkpoint);
  } finally {
    await checkpoint.close();
  }
}

/** Rejects with a one-line message matching `pattern`. */
async function rejectsWith(opening: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(opening, (error: Error) => {
    assert.match(error.message, pattern);
    assert.ok(!error.message.includes('\n'), error.message);
    return true;
  });
}

/** F32 [1, -2.5] then F16 [0.5, -1] (0x3800, 0xbc00): values exact in their types. */
const DATA = Buffer.concat([Buffer.from(new Float32Array([1, -2.5]).buffer), Buffer.from([0x00, 0x38, 0x00, 0xbc])]);
const JSON_HEADER = JSON.stringify({
  'w.f32': { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
  'w.f16': { dtype: 'F16', shape: [2, 1], data_offsets: [8, 12] },
});

/** A safetensors file whose header is padded with spaces, as the format allows, to exactly `headerBytes`. */
function safetensorsBytes(headerBytes: number): Buffer {
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(headerBytes));
  return Buffer.concat([length, Buffer.from(JSON_HEADER.padEnd(headerBytes, ' ')), DATA]);
}

test('the BF16/F16 file whose header is 128 bytes long (first byte 0x80, as a pickle starts) reads as safetensors', async () => {
  await withCheckpoint(fixture('safetensors', 'header_128.safetensors'), async (checkpoint) => {
    assert.equal(checkpoint.format, 'safetensors');
    assert.deepEqual(checkpoint.tensors.map((t) => [t.name, t.dtype, t.shape]), [['half.bf16', 'BF16', [2, 2]], ['half.f16', 'F16', [3]]]);
    assert.deepEqual(Array.from(await checkpoint.readFloat32('half.bf16')), [1.5, -2, 0.25, 3]);
    assert.deepEqual(Array.from(await checkpoint.readFloat32('half.f16')), [-0.5, 65504, 0.125]);
  });
});

test('a safetensors header of every length mod 256 opens as safetensors, whatever the file is named', async () => {
  assert.ok(JSON_HEADER.length < 256);
  const dir = tempDir();
  for (let headerBytes = 256; headerBytes < 512; headerBytes++) {
    for (const name of [`h${headerBytes}.safetensors`, `h${headerBytes}.pt`]) {
      const file = join(dir, name);
      writeFileSync(file, safetensorsBytes(headerBytes));
      await withCheckpoint(file, async (checkpoint) => {
        assert.equal(checkpoint.format, 'safetensors', name);
        assert.deepEqual(checkpoint.tensors.map((t) => [t.name, t.dtype, t.shape]), [['w.f32', 'F32', [2]], ['w.f16', 'F16', [2, 1]]], name);
        assert.deepEqual(Array.from(await checkpoint.readFloat32('w.f32')), [1, -2.5], name);
        assert.deepEqual(Array.from(await checkpoint.readFloat32('w.f16')), [0.5, -1], name);
      });
    }
  }
});

test('a pickle named .safetensors goes to the PyTorch reader, which says what it is', async () => {
  const file = join(tempDir(), 'model.safetensors');
  writeFileSync(file, Buffer.from([0x80, 0x02, 0x7d, 0x71, 0x00, 0x2e])); // pickle.dumps({}, 2)
  await rejectsWith(openCheckpoint(file), /^model\.safetensors: is a bare pickle, not the zip archive torch\.save writes/);
});

test('when neither the name nor uncertain bytes settle the format, one line names both', async () => {
  const dir = tempDir();
  const cases: [string, Buffer, RegExp][] = [
    // 0x80 then protocol 1: not torch.save's pickle, and no safetensors '{' at byte 8.
    ['model.safetensors', Buffer.from([0x80, 0x01, 0x7d, 0x71, 0x00, 0x2e, 0, 0, 0x41, 0x42]), /^model\.safetensors: the file name says safetensors but the bytes say the start of a pickle \(0x80\), but its protocol byte 1 is none of 2–5; neither is certain/],
    // A safetensors file cut short: its 384-byte header does not fit.
    ['model.pt', safetensorsBytes(384).subarray(0, 100), /^model\.pt: the file name says PyTorch but the bytes say the start of a safetensors file, but its declared header length 384 does not fit the file \(100 bytes\); neither is certain/],
  ];
  for (const [name, bytes, message] of cases) {
    const file = join(dir, name);
    writeFileSync(file, bytes);
    await rejectsWith(openCheckpoint(file), message);
  }
});

test('a safetensors file cut short and named .safetensors gets its own reader\'s message', async () => {
  const file = join(tempDir(), 'cut.safetensors');
  writeFileSync(file, safetensorsBytes(384).subarray(0, 100));
  await rejectsWith(openCheckpoint(file), /^cut\.safetensors: header length 384 is larger than the file \(100 bytes\)$/);
});
