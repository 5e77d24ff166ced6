import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Checkpoint } from '../../../../src/engine/formats/checkpoint';

/** The fixtures and the values make_fixtures.py recorded with them (test files run from dist/test/...). */
export const FIXTURES = resolve(__dirname, '../../../../../test/fixtures/safetensors');

export interface ExpectedTensor {
  dtype: string;
  shape: number[];
  values: (number | string)[];
  bits?: number[];
}
export interface ExpectedFile {
  metadata: Record<string, string>;
  order: string[];
  tensors?: Record<string, ExpectedTensor>;
}
export const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as Record<string, ExpectedFile>;

/** A value from expected.json as a number (JSON has no NaN or infinities; 64-bit integers come as text). */
function num(value: number | string): number {
  return typeof value === 'number' ? value : Number(value);
}

const WIDTH: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, F8_E4M3: 1, F8_E5M2: 1, I64: 8, I32: 4, I16: 2, I8: 1,
  U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1, C64: 8,
};

/** Checks every tensor of `checkpoint` against values the Python script wrote (torch/numpy's view). */
export async function checkAgainstExpected(checkpoint: Checkpoint, want: Record<string, ExpectedTensor>): Promise<void> {
  for (const [name, t] of Object.entries(want)) {
    const info = checkpoint.info(name);
    assert.equal(info.dtype, t.dtype, name);
    assert.deepEqual(info.shape, t.shape, name);
    const count = t.shape.reduce((a, b) => a * b, 1);
    assert.equal(info.byteSize, count * WIDTH[t.dtype]!, name);

    const { data, dtype, shape } = await checkpoint.read(name);
    assert.equal(dtype, t.dtype);
    assert.deepEqual(shape, t.shape);
    const raw = Array.from(data as ArrayLike<number | bigint>);
    if (t.bits) {
      assert.deepEqual(raw, t.bits, `${name}: raw bit patterns`);
    } else if (t.dtype === 'I64' || t.dtype === 'U64') {
      assert.deepEqual(raw, t.values.map((v) => BigInt(v)), name);
    } else {
      assert.deepEqual(raw, t.values.map(num), name);
    }
    if (t.dtype === 'C64') {
      await assert.rejects(checkpoint.readFloat32(name), { name: 'FormatError', message: /complex/ });
      continue;
    }
    const floats = await checkpoint.readFloat32(name);
    assert.deepEqual(Array.from(floats), t.values.map((v) => Math.fround(num(v))), `${name}: as float32`);
  }
}

