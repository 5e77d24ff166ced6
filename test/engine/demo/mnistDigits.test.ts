import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadMnistDigits, mnistDigitsFolder, type DigitSet } from '../../../src/engine/demo/mnistDigits';

/** Images per class in the mnist package's files, counted with `jq '.data | length / 784'`. */
const CLASS_COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];

function classCounts(set: DigitSet): number[] {
  const counts = new Array<number>(10).fill(0);
  for (const label of set.labels) counts[label]! += 1;
  return counts;
}

test('10,000 digits split 8,000 / 2,000, every class accounted for, pixels in [0, 1]', async () => {
  const { train, test: held } = await loadMnistDigits();
  assert.equal(train.count, 8000);
  assert.equal(held.count, 2000);
  for (const set of [train, held]) {
    assert.deepEqual(set.inputShape, [784]);
    assert.equal(set.numClasses, 10);
    assert.equal(set.inputs.length, set.count * 784);
    assert.ok(set.inputs.every((v) => v >= 0 && v <= 1));
  }
  const all = classCounts(train).map((n, digit) => n + classCounts(held)[digit]!);
  assert.deepEqual(all, CLASS_COUNTS);
  // A shuffled split holds every class in both halves, in roughly its share.
  for (const [digit, n] of classCounts(held).entries()) assert.ok(Math.abs(n - CLASS_COUNTS[digit]! / 5) < 60, `digit ${digit}: ${n}`);
});

test('the images are the package\'s own, with their labels: the first "3" of the file is in the data, labelled 3', async () => {
  const threes = (JSON.parse(readFileSync(join(mnistDigitsFolder(), '3.json'), 'utf8')) as { data: number[] }).data;
  const first = Float32Array.from(threes.slice(0, 784));
  const { train, test: held } = await loadMnistDigits();
  const matches: number[] = [];
  for (const set of [train, held]) {
    for (let i = 0; i < set.count; i++) {
      const image = set.inputs.subarray(i * 784, (i + 1) * 784);
      if (image.every((v, k) => v === first[k])) matches.push(set.labels[i]!);
    }
  }
  assert.deepEqual(matches, [3]);
});

test('the split is the same for the same seed, different for another, and the halves never share an image', async () => {
  const [one, again, other] = await Promise.all([loadMnistDigits({ seed: 0 }), loadMnistDigits({ seed: 0 }), loadMnistDigits({ seed: 5, testCount: 1000 })]);
  assert.deepEqual(one.test.labels, again.test.labels);
  assert.deepEqual(one.train.inputs.subarray(0, 7840), again.train.inputs.subarray(0, 7840));
  assert.equal(other.test.count, 1000);
  assert.notDeepEqual(one.test.labels.subarray(0, 1000), other.test.labels);
  const key = (set: DigitSet, i: number) => Buffer.from(set.inputs.buffer, i * 784 * 4, 784 * 4).toString('base64');
  const trainImages = new Set(Array.from({ length: one.train.count }, (_, i) => key(one.train, i)));
  const shared = Array.from({ length: one.test.count }, (_, i) => key(one.test, i)).filter((k) => trainImages.has(k));
  assert.equal(shared.length, 0);
});

test('a test split as large as the data is refused', async () => {
  await assert.rejects(loadMnistDigits({ testCount: 10_000 }), /testCount must be an integer between 1 and 9999, not 10000/);
});
