import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend, tf } from '../../../src/engine/backend/tfBackend';
import type { BackendName } from '../../../src/shared/compareRequest';
import { forwardNetwork } from '../../../src/engine/model/forward';
import { ACTIVATIONS } from '../../../src/shared/compareRequest';
import { mlpNetwork } from '../../../src/engine/model/mlpNetwork';
import { erf, maxRelativeError, mlpArchitecture, mlpForward, randomInputs, randomParams, referenceForward } from './mlpTestModels';

test('the reference erf matches known values', () => {
  // erf(0.5), erf(1), erf(2) to 16 digits (Abramowitz & Stegun table 7.1).
  assert.ok(Math.abs(erf(0.5) - 0.5204998778130465) < 1e-15);
  assert.ok(Math.abs(erf(1) - 0.8427007929497149) < 1e-15);
  assert.ok(Math.abs(erf(2) - 0.9953222650189527) < 1e-15);
  assert.ok(Math.abs(erf(-1) + 0.8427007929497149) < 1e-15);
});

for (const backend of ['wasm', 'cpu'] as BackendName[]) {
  for (const activation of ACTIVATIONS) {
    test(`${backend}: ${activation} MLP matches a double-precision forward pass`, async () => {
      await initBackend(backend);
      const architecture = mlpArchitecture([6, 9, 7, 4], activation);
      // Scale 3 drives pre-activations to ±3, through the curved part of every activation.
      const params = randomParams(architecture, 11, 3);
      const count = 13;
      const inputs = randomInputs(count, 6, 12);
      const expected = referenceForward(architecture, params, inputs, count);
      const out = await mlpForward(architecture, params, inputs, count);
      assert.equal(out.logits.length, count * 4);
      assert.ok(maxRelativeError(out.logits, expected.logits) < 2e-6, 'logits');
      assert.equal(out.features.length, 2);
      assert.equal(out.preactivations.length, 2);
      for (let l = 0; l < 2; l++) {
        assert.ok(maxRelativeError(out.preactivations[l]!, expected.preactivations[l]!) < 2e-6, `preactivations ${l}`);
        assert.ok(maxRelativeError(out.features[l]!, expected.features[l]!) < 2e-6, `features ${l}`);
      }
      // Pre-activations reach the curved region, else the activation is barely tested.
      const spread = Math.max(...expected.preactivations.flat(2).map(Math.abs));
      assert.ok(spread > 2, `pre-activations span ±${spread}`);
    });
  }
}

test('the batch size does not change the results', async () => {
  await initBackend('wasm');
  const architecture = mlpArchitecture([20, 16, 16, 5], 'gelu');
  const params = randomParams(architecture, 3);
  const count = 50;
  const inputs = randomInputs(count, 20, 4);
  const whole = await mlpForward(architecture, params, inputs, count);
  for (const batchSize of [1, 7, 49]) {
    const batched = await mlpForward(architecture, params, inputs, count, { batchSize });
    const expected = referenceForward(architecture, params, inputs, count);
    assert.ok(maxRelativeError(batched.logits, expected.logits) < 2e-6);
    for (let i = 0; i < whole.logits.length; i++) assert.ok(Math.abs(batched.logits[i]! - whole.logits[i]!) < 1e-6);
    whole.features.forEach((f, l) => {
      for (let i = 0; i < f.length; i++) assert.ok(Math.abs(batched.features[l]![i]! - f[i]!) < 1e-6);
    });
  }
});

test('only the logits come back unless other nodes are asked for', async () => {
  await initBackend('wasm');
  const architecture = mlpArchitecture([3, 4, 2], 'relu');
  const out = await forwardNetwork(mlpNetwork(architecture), randomParams(architecture, 1), randomInputs(2, 3, 2), 2);
  assert.equal(out.logits.length, 4);
  assert.deepEqual(out.captured, []);
});

test('no tensor outlives a call, even a failing one', async () => {
  await initBackend('wasm');
  const architecture = mlpArchitecture([8, 6, 6, 3], 'tanh');
  const params = randomParams(architecture, 5);
  const inputs = randomInputs(30, 8, 6);
  const before = tf.memory().numTensors;
  await mlpForward(architecture, params, inputs, 30, { batchSize: 8 });
  assert.equal(tf.memory().numTensors, before);
  const broken = new Map(params);
  broken.set('fc3.bias', { shape: [4], data: new Float32Array(4) });
  await assert.rejects(forwardNetwork(mlpNetwork(architecture), broken, inputs, 30), /'fc3\.bias' has shape \[4\], the layer needs \[3\]/);
  assert.equal(tf.memory().numTensors, before);
});

test('bad arguments are refused with a message', async () => {
  await initBackend('wasm');
  const architecture = mlpArchitecture([4, 3, 2], 'relu');
  const params = randomParams(architecture, 1);
  await assert.rejects(forwardNetwork(mlpNetwork(architecture), params, new Float32Array(7), 2), /2 samples of 4 values need 8 inputs, got 7/);
  await assert.rejects(forwardNetwork(mlpNetwork(architecture), params, new Float32Array(8), 2, { batchSize: 0 }), /batch size must be a positive integer/);
  const missing = new Map(params);
  missing.delete('fc1.weight');
  await assert.rejects(forwardNetwork(mlpNetwork(architecture), missing, new Float32Array(8), 2), /the parameters lack 'fc1\.weight'/);
});
