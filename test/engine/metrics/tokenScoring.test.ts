import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IGNORED_LABEL } from '../../../src/engine/datasets/dataset';
import { accuracy, crossEntropy, scoreSums } from '../../../src/engine/metrics/classification';

const I = IGNORED_LABEL;
const ln = Math.log;

// Two sequences of three positions over a vocabulary of 3, as the logits of [2, 3, 3] read as six rows.
// Scored: (0,1) → label 1 on equal logits: ln 3, argmax 0 (wrong); (1,0) → label 0 on (0, ln 3, 0):
// ln 5, argmax 1 (wrong); (1,1) → label 2 on (0, 0, ln 2): ln 2, argmax 2 (right). The ignored rows
// hold NaN and huge values, which would show in any sum that read them.
const logits = new Float32Array([
  NaN, NaN, NaN,
  0, 0, 0,
  1e30, -1e30, 0,
  0, ln(3), 0,
  0, 0, ln(2),
  NaN, 0, 0,
]);
const labels = Int32Array.from([I, 1, I, 0, 2, I]);

test('next-token loss is the mean over every scored position of every sequence, as Hugging Face averages it', () => {
  const expected = (ln(3) + ln(5) + ln(2)) / 3;
  assert.ok(Math.abs(crossEntropy(logits, labels, 3) - expected) < 1e-7, `${crossEntropy(logits, labels, 3)} vs ${expected}`);
  // Not the mean of the per-sequence means, (ln 3 + (ln 5 + ln 2) / 2) / 2 = 1.1249 against 1.1337.
  assert.ok(Math.abs(crossEntropy(logits, labels, 3) - (ln(3) + (ln(5) + ln(2)) / 2) / 2) > 0.008);
});

test('next-token accuracy counts scored positions only', () => {
  assert.equal(accuracy(logits, labels, 3), 1 / 3);
});

test('the sums a batch adds: loss, correct and scored positions', () => {
  const sums = scoreSums(logits, labels, 3);
  assert.equal(sums.scored, 3);
  assert.equal(sums.correct, 1);
  assert.ok(Math.abs(sums.loss - ln(30)) < 1e-6);
  // A batch with nothing scored adds nothing; its mean is refused.
  const none = Int32Array.from([I, I]);
  assert.deepEqual(scoreSums(new Float32Array(6), none, 3), { loss: 0, correct: 0, scored: 0 });
  assert.throws(() => crossEntropy(new Float32Array(6), none, 3), /no scored samples: every label is ignored/);
  assert.throws(() => accuracy(new Float32Array(6), none, 3), /no scored samples/);
});

test('negative labels other than IGNORED_LABEL are refused', () => {
  assert.throws(() => crossEntropy(new Float32Array(6), Int32Array.from([0, -2]), 3), /sample 1 has label -2, outside the 3 classes/);
});
