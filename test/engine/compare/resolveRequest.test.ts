import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INTEGER_LIMITS, resolveCompareRequest } from '../../../src/engine/compare/resolveRequest';
import { InputError } from '../../../src/engine/io/inputError';

test('every choice left out takes its default, written out in the request', () => {
  assert.deepEqual(resolveCompareRequest({ a: 'a.pt', b: 'b.pt', data: 'eval.npz' }), {
    a: 'a.pt', b: 'b.pt', data: 'eval.npz', fitData: 'eval.npz',
    methods: ['naive', 'weight', 'activation', 'covariance'],
    alphas: 25, activation: 'relu', backend: 'auto', seed: 0, restarts: 8,
    description: null, heads: null, inputShape: null, normalization: null,
    bnReset: true, layerBarriers: true, fitSamples: 2000, llfcSamples: 2000,
  });
  const weightsOnly = resolveCompareRequest({ a: 'a.pt', b: 'b.pt' });
  assert.deepEqual([weightsOnly.data, weightsOnly.fitData, weightsOnly.methods], [null, null, ['naive', 'weight']]);
});

test('a resolved request resolves to itself, also after a trip through JSON (the worker message)', () => {
  const request = resolveCompareRequest({
    a: 'a.pt', b: 'b.pt', data: 'eval.npz', fitData: 'fit.npz', methods: ['covariance', 'weight'], repair: true, alphas: 11, seed: 7,
    inputShape: [3, 32, 32], normalization: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] }, llfcSamples: 0,
  });
  assert.deepEqual(request.methods, ['weight', 'covariance', 'weight+repair', 'covariance+repair']);
  assert.deepEqual(resolveCompareRequest(request), request);
  assert.deepEqual(resolveCompareRequest(JSON.parse(JSON.stringify(request))), request);
});

test('methods form a set in the canonical order, REPAIR variants after the plain ones', () => {
  const methods = (m: Parameters<typeof resolveCompareRequest>[0]['methods'], repair = false) =>
    resolveCompareRequest({ a: 'a', b: 'b', data: 'd', methods: m, repair }).methods;
  assert.deepEqual(methods(['weight', 'naive', 'weight']), ['naive', 'weight']);
  assert.deepEqual(methods(['weight+repair', 'naive']), ['naive', 'weight+repair']);
  assert.deepEqual(methods(['activation'], true), ['activation', 'activation+repair']);
  assert.throws(() => methods([]), /no method was chosen/);
  assert.throws(() => methods(['magic' as never]), /a method must be one of naive, weight, .* not 'magic'/);
});

test('every whole-number choice is refused outside its bounds, naming what it is; the bounds themselves are accepted', () => {
  for (const [name, limit] of Object.entries(INTEGER_LIMITS)) {
    for (const ok of [limit.min, limit.max]) assert.equal(resolveCompareRequest({ a: 'a', b: 'b', data: 'd', [name]: ok })[name as keyof typeof INTEGER_LIMITS], ok);
    for (const bad of [limit.min - 1, limit.max + 1, limit.min + 0.5, Number.NaN]) {
      assert.throws(
        () => resolveCompareRequest({ a: 'a', b: 'b', data: 'd', [name]: bad }),
        (error: unknown) => error instanceof InputError && error.message === `${limit.meaning} must be a whole number from ${limit.min} to ${limit.max}, not ${bad}`,
        `${name} = ${bad}`,
      );
    }
  }
});

test('words outside the vocabulary, bad shapes and bad normalisations are input errors', () => {
  const refuses = (choices: object, message: RegExp) => assert.throws(() => resolveCompareRequest({ a: 'a', b: 'b', data: 'd', ...choices }), (e: unknown) => e instanceof InputError && message.test(e.message));
  refuses({ activation: 'swish' }, /the activation must be one of relu, gelu, gelu_tanh, silu, tanh, sigmoid, leaky_relu, not 'swish'/);
  refuses({ backend: 'webgpu' }, /the backend must be one of auto, tensorflow, wasm, cpu, not 'webgpu'/);
  refuses({ inputShape: [3, 0, 32] }, /input shape must be C×H×W/);
  refuses({ inputShape: [1, 2, 3, 4] }, /input shape must be C×H×W/);
  refuses({ normalization: { mean: [0.5], std: [0.2, 0.2] } }, /1 means and 2 standard deviations/);
  refuses({ normalization: { mean: [0.5], std: [0] } }, /positive standard deviations/);
  assert.throws(() => resolveCompareRequest({ a: '', b: 'b' }), /two checkpoint files/);
});

test('without data, methods that fit on data and a fit file alone are refused, naming what they need', () => {
  assert.throws(() => resolveCompareRequest({ a: 'a', b: 'b', methods: ['naive', 'activation'] }), { name: 'InputError', message: /^activation matching fits on data, and none was given/ });
  assert.throws(() => resolveCompareRequest({ a: 'a', b: 'b', methods: ['weight'], repair: true }), { name: 'InputError', message: /^weight\+repair fits on data, and none was given/ });
  assert.throws(() => resolveCompareRequest({ a: 'a', b: 'b', fitData: '/x/fit.npz' }), /fit data \(fit\.npz\) was given without evaluation data/);
});

test('a head count is a whole number from 1 to 4096, or absent', () => {
  const resolve = (heads: number | null) => resolveCompareRequest({ a: 'a', b: 'b', data: 'd', heads });
  assert.equal(resolve(12).heads, 12);
  assert.equal(resolve(null).heads, null);
  for (const bad of [0, -4, 2.5, 5000, Number.NaN]) {
    assert.throws(() => resolve(bad), (e: unknown) => e instanceof InputError && /attention heads must be a whole number from 1 to 4096/.test(e.message));
  }
});
