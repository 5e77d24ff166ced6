import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../../../src/engine/alignment/seededRandom';
import { accumulateProduct, axisMatrix, transposedView, type StridedMatrix } from '../../../src/engine/alignment/tiledProduct';
import { initBackend } from '../../../src/engine/backend/tfBackend';

const at = (m: StridedMatrix, i: number, j: number) => m.data[(m.rowIndex ? m.rowIndex[i]! : i) * m.rowStride + (m.columnIndex ? m.columnIndex[j]! : j) * m.columnStride]!;

/** The product by its definition, in float64. */
function plainProduct(left: StridedMatrix, right: StridedMatrix): Float64Array {
  const out = new Float64Array(left.rows * right.columns);
  for (let i = 0; i < left.rows; i++) {
    for (let j = 0; j < right.columns; j++) {
      for (let k = 0; k < left.columns; k++) out[i * right.columns + j]! += at(left, i, k) * at(right, k, j);
    }
  }
  return out;
}

test('a tiled product through strided and permuted views adds the plain product, whatever the tiles', async () => {
  await initBackend();
  const random = seededRandom(4);
  const a = { shape: [7, 11], data: Float32Array.from({ length: 77 }, () => random() - 0.5) };
  const b = { shape: [13, 11], data: Float32Array.from({ length: 143 }, () => random() - 0.5) };
  const reversed = Int32Array.from({ length: 11 }, (_, i) => 10 - i);
  // A · Bᵀ on axis 0 (rows as units), with B's columns permuted or not, and Aᵀ · B' on axis 1 (columns as units), as weight matching forms them.
  for (const [left, right] of [
    [axisMatrix(a, 0), transposedView(axisMatrix(b, 0))],
    [axisMatrix(a, 0), transposedView(axisMatrix(b, 0, { otherAxis: reversed }))],
    [axisMatrix(a, 1), axisMatrix({ shape: [7, 5], data: b.data.subarray(0, 35) }, 0)],
  ] as const) {
    const want = plainProduct(left, right);
    for (const tile of [1, 7, 30, 1 << 24]) {
      const got = Float64Array.from({ length: want.length }, () => 1);
      await accumulateProduct(got, left, right, tile);
      got.forEach((x, t) => assert.ok(Math.abs(x - 1 - want[t]!) < 1e-5, `tile ${tile}, entry ${t}: ${x - 1} vs ${want[t]}`));
    }
  }
});

test('a grouped-query axis matricises with each unit\'s repeated copies side by side', () => {
  // Axis 0 holds [2 heads, 2 copies, 1 unit]: unit 0 is rows 0 and 1, unit 1 rows 2 and 3.
  const q = { shape: [4, 2], data: Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]) };
  const m = axisMatrix(q, 0, { repeat: 2, heads: 2 });
  assert.deepEqual([m.rows, m.columns], [2, 4]);
  assert.deepEqual(Array.from({ length: 8 }, (_, t) => at(m, Math.floor(t / 4), t % 4)), [0, 1, 2, 3, 4, 5, 6, 7]);
  const o = { shape: [2, 4], data: Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]) };
  const c = axisMatrix(o, 1, { repeat: 2, heads: 2 });
  assert.deepEqual(Array.from({ length: 8 }, (_, t) => at(c, Math.floor(t / 4), t % 4)), [0, 1, 4, 5, 2, 3, 6, 7]);
});
