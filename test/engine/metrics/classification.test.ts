import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accuracy, crossEntropy } from '../../../src/engine/metrics/classification';

test('cross-entropy is the mean of −log softmax at the label', () => {
  // Row 0: equal logits over 2 classes → ln 2. Row 1: logits (ln 1, ln 3), label 1 → −ln(3/4).
  const logits = new Float32Array([0, 0, 0, Math.log(3)]);
  const expected = (Math.log(2) - Math.log(3 / 4)) / 2;
  assert.ok(Math.abs(crossEntropy(logits, Int32Array.from([0, 1]), 2) - expected) < 1e-7);
});

test('cross-entropy stays finite for huge logits', () => {
  // softmax(1000, 0)[1] = e^−1000 / (1 + e^−1000): the loss is 1000 + log1p(e^−1000) = 1000.
  assert.equal(crossEntropy(new Float32Array([1000, 0]), Int32Array.from([1]), 2), 1000);
  assert.equal(crossEntropy(new Float32Array([-1000, 1000, 0]), Int32Array.from([1]), 3), 0);
});

test('accuracy is the fraction of rows whose argmax is the label, the first maximum winning ties', () => {
  const logits = new Float32Array([
    0.1, 0.9, 0.0, // argmax 1
    0.5, 0.5, 0.2, // tie: argmax 0
    -1, -2, -0.5, // argmax 2
    3, 1, 2, // argmax 0
  ]);
  assert.equal(accuracy(logits, Int32Array.from([1, 1, 2, 1]), 3), 0.5);
  assert.equal(accuracy(logits, Int32Array.from([1, 0, 2, 0]), 3), 1);
});

test('mismatched shapes and labels outside the classes are refused', () => {
  assert.throws(() => crossEntropy(new Float32Array(5), Int32Array.from([0, 1]), 3), /2 samples of 3 classes need 6 logits, got 5/);
  assert.throws(() => accuracy(new Float32Array(6), Int32Array.from([0, 3]), 3), /sample 1 has label 3, outside the 3 classes/);
  assert.throws(() => accuracy(new Float32Array(0), new Int32Array(0), 3), /no samples/);
});
