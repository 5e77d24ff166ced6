import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend, tf } from '../../../src/engine/backend/tfBackend';

test('auto picks wasm with SIMD here and says why tfjs-node is not used', async () => {
  const info = await initBackend();
  assert.equal(info.name, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  assert.match(info.detail, /^wasm \(SIMD, 1 thread\); @tensorflow\/tfjs-node is not installed$/);
  // Idempotent: a second call answers the same without switching.
  assert.deepEqual(await initBackend('auto'), info);
  assert.deepEqual(await initBackend('wasm'), info);
});

test('the wasm backend multiplies matrices correctly', async () => {
  await initBackend('wasm');
  const a = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
  const b = tf.tensor2d([7, 8, 9, 10, 11, 12], [2, 3]);
  const product = tf.matMul(a, b, false, true);
  // [1 2 3]·[7 8 9] = 50, ·[10 11 12] = 68; [4 5 6]·... = 122, 167.
  assert.deepEqual(Array.from(await product.data()), [50, 68, 122, 167]);
  tf.dispose([a, b, product]);
});

test('a named backend is forced, and switching back works', async () => {
  const cpu = await initBackend('cpu');
  assert.equal(cpu.name, 'cpu');
  assert.match(cpu.detail, /^cpu \(plain JavaScript, tfjs-backend-cpu 4\.\d+\.\d+, as requested\)$/);
  assert.equal(tf.getBackend(), 'cpu');
  const wasm = await initBackend('wasm');
  assert.equal(wasm.name, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
});

test('asking for tfjs-node where it is absent fails with the reason', async () => {
  await assert.rejects(initBackend('tensorflow'), /tensorflow backend is not available: @tensorflow\/tfjs-node is not installed/);
});
