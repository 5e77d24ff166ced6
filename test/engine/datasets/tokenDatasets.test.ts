import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { IGNORED_LABEL, scoredCount, type Dataset } from '../../../src/engine/datasets/dataset';
import { describeDataset, openDataset } from '../../../src/engine/datasets/openDataset';
import { FormatError } from '../../../src/engine/io/formatError';
import { fixture } from '../../helpers/paths';

/** What numpy made of each good file (make_token_fixtures.py). */
interface Expected {
  readonly count: number;
  readonly length: number;
  readonly inputs: number[];
  readonly targets: number[];
  readonly scored: number;
  readonly numClasses: number;
}

const tokens = (name: string): string => fixture('datasets', 'tokens', name);
const expected = JSON.parse(readFileSync(tokens('expected.json'), 'utf8')) as Record<string, Expected>;

function assertAsNumpy(d: Dataset, name: string): void {
  const e = expected[name]!;
  assert.equal(d.count, e.count);
  assert.deepEqual(d.inputShape, [e.length]);
  assert.deepEqual(d.sequence, { length: e.length });
  assert.deepEqual(Array.from(d.inputs), e.inputs);
  assert.deepEqual(Array.from(d.labels), e.targets);
  assert.equal(scoredCount(d.labels), e.scored);
  assert.equal(d.numClasses, e.numClasses);
}

test('int32 input_ids without mask or labels: every next token is scored', async () => {
  const d = await openDataset(tokens('plain_int32.npz'));
  assertAsNumpy(d, 'plain_int32.npz');
  assert.equal(d.format, 'npz');
  assert.equal(scoredCount(d.labels), 3 * 4);
  assert.ok(d.notes.some((n) => /no 'labels': every next token is scored/.test(n)), d.notes.join('\n'));
  assert.ok(d.notes.includes('12 of 15 positions scored; the vocabulary must cover ids up to ' + String(d.numClasses - 1)), d.notes.join('\n'));
});

test('uint16 ids with right- and left-padding: padding is −1, never a target, never scored from, and its pad id does not count', async () => {
  const d = await openDataset(tokens('padded_uint16.npz'));
  assertAsNumpy(d, 'padded_uint16.npz');
  assert.ok(d.numClasses < 100, 'the pad id 50256 must not set the vocabulary');
  assert.ok(d.notes.some((n) => /attention mask from 'attention_mask': 9 padded positions/.test(n)), d.notes.join('\n'));
});

test('safetensors with a bool mask and HF labels: logits at t against labels[t + 1], −100 skipped', async () => {
  const d = await openDataset(tokens('labelled.safetensors'));
  assertAsNumpy(d, 'labelled.safetensors');
  assert.equal(d.format, 'safetensors');
  assert.equal(d.numClasses, 251, 'a target beyond every input id sets the vocabulary');
  assert.ok(d.notes.some((n) => /targets from 'labels' in Hugging Face's convention/.test(n)));
  assert.equal(describeDataset(d), '3 sequences of 6 tokens, 6 positions scored, ids below 251 (safetensors)');
});

test('the modular-addition eval set: 256 sequences of 4 tokens, only the answer scored, at position 2', async () => {
  const d = await openDataset(fixture('transformers', 'modadd_eval.npz'));
  assert.equal(d.count, 256);
  assert.deepEqual(d.inputShape, [4]);
  assert.equal(scoredCount(d.labels), 256);
  assert.equal(d.numClasses, 32);
  for (let i = 0; i < d.count; i++) {
    assert.deepEqual(Array.from(d.labels.subarray(i * 4, i * 4 + 4)), [IGNORED_LABEL, IGNORED_LABEL, d.inputs[i * 4 + 3], IGNORED_LABEL]);
  }
  assert.equal(describeDataset(d), '256 sequences of 4 tokens, 256 positions scored, ids below 32 (npz)');
});

const refused: ReadonlyArray<readonly [file: string, message: RegExp]> = [
  ['negative_id.npz', /^negative_id\.npz: 'input_ids' holds -3 at sequence 0, position 2; token ids run from 0 to 16 777 215/],
  ['huge_id.npz', /^huge_id\.npz: 'input_ids' holds 16777216 at sequence 1, position 3; token ids run from 0 to 16 777 215 \(exact in float32\)/],
  ['float_ids.npz', /^float_ids\.npz: 'input_ids' is float32; token ids are integers/],
  ['flat_ids.npz', /^flat_ids\.npz: 'input_ids' has shape \[8\]; token ids are \[sequences, positions\]/],
  ['mask_two.npz', /^mask_two\.npz: 'attention_mask' holds 2 at sequence 1, position 2; an attention mask is 0 \(padding\) or 1 \(a token\)/],
  ['mask_shape.npz', /^mask_shape\.npz: 'attention_mask' has shape \[2, 3\] but 'input_ids' has \[2, 4\]/],
  ['labels_shape.npz', /^labels_shape\.npz: 'labels' has shape \[2, 3\] but 'input_ids' has \[2, 4\]/],
  ['labels_negative.npz', /^labels_negative\.npz: 'labels' holds -5 at sequence 1, position 1; labels are token ids \(0 to 16 777 215\) or -100 \(not scored\)/],
  ['labels_below.npz', /^labels_below\.npz: 'labels' holds -101 at sequence 1, position 0/],
  ['labels_fraction.npz', /^labels_fraction\.npz: 'labels' is float32; labels are integer token ids or -100/],
  ['nothing_scored.npz', /^nothing_scored\.npz: no position is scored: every label of 'labels' that a position predicts is -100 or padding/],
  ['one_position.npz', /^one_position\.npz: 'input_ids' holds sequences of one token: there is no next token to score/],
  ['ambiguous.npz', /^ambiguous\.npz: holds both token sequences \('input_ids'\) and an inputs\/labels pair \('x'\/'y'\); keep one kind of data per file/],
];

for (const [file, message] of refused) {
  test(`refused: ${file}`, async () => {
    await assert.rejects(openDataset(tokens(file)), (error: unknown) => {
      assert.ok(error instanceof FormatError, `expected a FormatError, got ${String(error)}`);
      assert.match(error.message, message);
      return true;
    });
  });
}
