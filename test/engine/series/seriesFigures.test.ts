import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leastSquaresSlope, seriesFigures, seriesReport, withoutSharedFolder } from '../../../src/engine/series/seriesFigures';
import { fakeItem, fakeReport } from './fakeItems';

const close = (actual: number | null | undefined, expected: number, what: string) => assert.ok(actual !== null && actual !== undefined && Math.abs(actual - expected) < 1e-12, `${what}: ${actual} ≠ ${expected}`);

/** Widths 16…128 with W2 (optimal) 1, 0.8, 0.5, 0.4 for weight matching. */
function widthSeries() {
  const w2 = [1, 0.8, 0.5, 0.4];
  return [16, 32, 64, 128].map((width, i) =>
    fakeItem(i, width, fakeReport({
      a: `/runs/w${width}_seed1.pt`, b: `/runs/w${width}_seed2.pt`, width, dimS: 10 + 5 * i,
      methods: {
        naive: { barrier: { loss: 1 - i / 10, accuracy: 0.3 }, w2: [2, 2, 1.5] },
        weight: { barrier: { loss: 0.4 - i / 10, accuracy: 0.1 }, w2: [2, 1.5 * w2[i]!, w2[i]!] },
      },
    })),
  );
}

test('the fitted exponent is the least-squares slope of log W2 against log width, beside −1/Dim(S) at the widest', () => {
  const figures = seriesFigures(widthSeries(), 'width', true);
  // By hand: x = ln w = 4L, 5L, 6L, 7L (L = ln 2), centred −1.5L, −0.5L, 0.5L, 1.5L, Σ(x − x̄)² = 5L²;
  // Σ(x − x̄)·ln W2 = L(−0.5 ln 0.8 + 0.5 ln 0.5 + 1.5 ln 0.4) = L·ln 0.2; slope = ln 0.2 / (5 ln 2) = −log₂5 / 5.
  const weight = figures.widthScaling!.find((s) => s.method === 'weight')!;
  close(weight.exponent, -Math.log2(5) / 5, 'exponent');
  assert.ok(Math.abs(weight.exponent - -0.464386) < 1e-6);
  // Dim(S) of A at width 128 is 10 + 5·3 = 25.
  close(weight.theory, -1 / 25, 'theory');
  assert.equal(weight.points, 4);
  assert.equal(weight.layer, '0');
  // A flat W2 has exponent 0.
  close(figures.widthScaling!.find((s) => s.method === 'naive')!.exponent, 0, 'naive exponent');
  close(leastSquaresSlope([0, 1, 2], [1, 3, 5]), 2, 'slope of a line');
});

test('the log-log fit leaves out a zero W2 and needs three distinct widths; other variables get none', () => {
  const items = widthSeries();
  const zeroAt = (k: number) => items.map((item, i) => (i === k ? fakeItem(i, item.value, fakeReport({ a: item.report.request.a, b: item.report.request.b, width: item.report.groups[0]!.size, methods: { weight: { w2: [1, 1, 0] } } })) : item));
  const withZero = seriesFigures(zeroAt(1), 'width', true).widthScaling!.find((s) => s.method === 'weight')!;
  assert.equal(withZero.points, 3);
  // Points 16, 64, 128 with W2 1, 0.5, 0.4: the slope by the usual formula on those three.
  close(withZero.exponent, leastSquaresSlope([16, 64, 128].map(Math.log), [1, 0.5, 0.4].map(Math.log)), 'exponent without the zero');
  assert.equal(seriesFigures(items, 'seed', true).widthScaling, null);
  assert.equal(seriesFigures(items.slice(0, 2), 'width', true).widthScaling, null);
  assert.equal(seriesFigures(items, 'width', false).widthScaling, null);
});

test('barriers, W2 and Dim(S) per item, null where an item has no measurement', () => {
  const items = widthSeries();
  items[2] = fakeItem(2, 64, fakeReport({ a: '/runs/w64_seed1.pt', b: '/runs/w64_seed2.pt', width: 64, dimS: 20, methods: { weight: { barrier: null, w2: [2, 0.75, 0.5] } } }));
  const figures = seriesFigures(items, 'width', true);
  assert.deepEqual(figures.barriers.naive!.loss, [1, 0.9, null, 0.7]);
  assert.deepEqual(figures.barriers.weight!.loss.map((v) => v === null ? null : Math.round(v * 1e12) / 1e12), [0.4, 0.3, null, 0.1]);
  assert.deepEqual(figures.barriers.weight!.accuracy, [0.1, 0.1, null, 0.1]);
  assert.equal(figures.layers.length, 1);
  const [layer] = figures.layers;
  assert.deepEqual(layer!.width, [16, 32, 64, 128]);
  assert.deepEqual(layer!.dimS.a, [10, 15, 20, 25]);
  assert.deepEqual(layer!.dimS.b, [11, 16, 21, 26]);
  assert.deepEqual(layer!.wasserstein.weight!.optimal, [1, 0.8, 0.5, 0.4]);
  assert.deepEqual(layer!.wasserstein.weight!.identity, [2, 2, 2, 2]);
  assert.deepEqual(layer!.wasserstein.naive!.aligned, [2, 2, null, 2]);
});

test('why: the LLFC cosine at α = 0.5 and the two conditions, each averaged; null without conditions', () => {
  const items = [
    fakeItem(0, 'seed0 × seed1', fakeReport({
      a: '/s/seed0.pt', b: '/s/seed1.pt',
      methods: { weight: { llfc: [0.9, 0.8], conditions: { additivity: [[0.1, 0.5], [0.3, 0.7]], commutativity: [[0.2, 0.9], [0.4, 1.1], [0.6, 1.3]] } } },
    })),
    fakeItem(1, 'seed0 × seed2', fakeReport({ a: '/s/seed0.pt', b: '/s/seed2.pt', methods: { weight: { llfc: [0.7], conditions: null } } })),
  ];
  const figures = seriesFigures(items, 'seed', false);
  assert.equal(figures.why.length, 1);
  const [why] = figures.why;
  assert.equal(why!.method, 'weight');
  close(why!.llfcCosine[0], 0.85, 'llfc 0');
  close(why!.llfcCosine[1], 0.7, 'llfc 1');
  close(why!.additivity[0], 0.2, 'additivity');
  close(why!.additivityShuffled[0], 0.6, 'additivity shuffled');
  close(why!.commutativity[0], 0.4, 'commutativity');
  close(why!.commutativityShuffled[0], 1.1, 'commutativity shuffled');
  assert.deepEqual([why!.additivity[1], why!.commutativity[1], why!.commutativityShuffled[1]], [null, null, null]);
  // Two seeds' one pair is no matrix.
  assert.equal(figures.barrierMatrix, null);
});

test('every pair among three seeds makes a symmetric barrier matrix, null on the diagonal', () => {
  const pair = (index: number, a: number, b: number, loss: number) =>
    fakeItem(index, `seed${a} × seed${b}`, fakeReport({ a: `/runs/seeds/seed${a}.pt`, b: `/runs/seeds/seed${b}.pt`, methods: { naive: { barrier: { loss: 10 * loss, accuracy: loss } }, weight: { barrier: { loss, accuracy: loss / 10 } } } }));
  const items = [pair(0, 0, 1, 0.3), pair(1, 0, 2, 0.5), pair(2, 1, 2, 0.1)];
  const matrix = seriesFigures(items, 'seed', false).barrierMatrix!;
  assert.deepEqual(matrix.files, ['seed0.pt', 'seed1.pt', 'seed2.pt']);
  assert.deepEqual(matrix.loss.weight, [[null, 0.3, 0.5], [0.3, null, 0.1], [0.5, 0.1, null]]);
  assert.deepEqual(matrix.loss.naive, [[null, 3, 5], [3, null, 1], [5, 1, null]]);
  assert.deepEqual(matrix.accuracy.weight, [[null, 0.03, 0.05], [0.03, null, 0.01], [0.05, 0.01, null]]);
  // A pair given the other way round is the same cell.
  const reversed = seriesFigures([pair(0, 1, 0, 0.3), items[1]!, items[2]!], 'seed', false).barrierMatrix!;
  assert.deepEqual(reversed.files, ['seed1.pt', 'seed0.pt', 'seed2.pt']);
  assert.deepEqual(reversed.loss.weight, [[null, 0.3, 0.1], [0.3, null, 0.5], [0.1, 0.5, null]]);
  // Not every pair, or one twice: no matrix.
  assert.equal(seriesFigures(items.slice(0, 2), 'seed', false).barrierMatrix, null);
  assert.equal(seriesFigures([items[0]!, items[1]!, pair(2, 1, 0, 0.3)], 'seed', false).barrierMatrix, null);
});

test('the series report orders items by index and says whether every value is a number', () => {
  const items = widthSeries();
  const report = seriesReport({ manifest: '/runs/series.json', variable: 'width' }, [items[2]!, items[0]!, items[3]!, items[1]!]);
  assert.deepEqual(report.items.map((i) => i.index), [0, 1, 2, 3]);
  assert.equal(report.numeric, true);
  assert.equal(report.version, 1);
  assert.equal(report.manifest, '/runs/series.json');
  assert.deepEqual(report.figures, seriesFigures(items, 'width', true));
  assert.equal(seriesReport({ manifest: null, variable: 'width' }, [items[0]!, fakeItem(1, 'wide', items[1]!.report)]).numeric, false);
});

test('shared folders are taken off the matrix labels, never the file name itself', () => {
  assert.deepEqual(withoutSharedFolder(['/r/a/x.pt', '/r/b/x.pt']), ['a/x.pt', 'b/x.pt']);
  assert.deepEqual(withoutSharedFolder(['/r/x.pt', '/r/y.pt']), ['x.pt', 'y.pt']);
  assert.deepEqual(withoutSharedFolder(['x.pt', 'x.pt']), ['x.pt', 'x.pt']);
});
