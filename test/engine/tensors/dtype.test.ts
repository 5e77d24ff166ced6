import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bfloat16ToFloat, float8e4m3ToFloat, float8e5m2ToFloat, halfToFloat, toFloat32 } from '../../../src/engine/tensors/dtype';

test('half precision: hand-computed bit patterns', () => {
  assert.equal(halfToFloat(0x3c00), 1);
  assert.equal(halfToFloat(0xc000), -2);
  assert.equal(halfToFloat(0x3555), 0.333251953125);
  assert.equal(halfToFloat(0x0001), 2 ** -24); // smallest subnormal
  assert.equal(halfToFloat(0x7bff), 65504); // largest finite
  assert.equal(halfToFloat(0x7c00), Infinity);
  assert.ok(Number.isNaN(halfToFloat(0x7e00)));
});

test('bfloat16 is the top half of a float32', () => {
  assert.equal(bfloat16ToFloat(0x3f80), 1);
  assert.equal(bfloat16ToFloat(0xc040), -3);
  assert.equal(bfloat16ToFloat(0x4049), 3.140625);
});

test('float8: e4m3fn has no infinity; e5m2 is a truncated half', () => {
  assert.equal(float8e4m3ToFloat(0x38), 1);
  assert.equal(float8e4m3ToFloat(0x7e), 448); // largest finite e4m3fn
  assert.ok(Number.isNaN(float8e4m3ToFloat(0x7f)));
  assert.equal(float8e4m3ToFloat(0x01), 2 ** -9);
  assert.equal(float8e5m2ToFloat(0x3c), 1);
  assert.equal(float8e5m2ToFloat(0x7c), Infinity);
});

test('toFloat32 reads unaligned little-endian bytes of every real kind', () => {
  const raw = new Uint8Array(1 + 16);
  const view = new DataView(raw.buffer, 1);
  view.setBigInt64(0, -5n, true);
  view.setBigInt64(8, 1n << 40n, true);
  assert.deepEqual(Array.from(toFloat32('I64', raw.subarray(1))), [-5, 2 ** 40]);
  view.setUint16(0, 0x3c00, true);
  view.setUint16(2, 0xc000, true);
  assert.deepEqual(Array.from(toFloat32('F16', raw.subarray(1, 5))), [1, -2]);
  assert.deepEqual(Array.from(toFloat32('BOOL', Uint8Array.of(0, 1, 1))), [0, 1, 1]);
  assert.throws(() => toFloat32('C64', new Uint8Array(8)), /complex/);
});
