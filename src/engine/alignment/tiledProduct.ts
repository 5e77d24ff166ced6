import { initBackend, tf } from '../backend/tfBackend';
import type { Tensor32 } from '../model/params';
import { writeAxisMatrix } from './specLayout';

/** A matrix read through strides: element (i, j) is data[i·rowStride + j·columnStride]. */
export interface StridedMatrix {
  readonly data: Float32Array;
  readonly rows: number;
  readonly columns: number;
  readonly rowStride: number;
  readonly columnStride: number;
}

/**
 * The most float32 values in one tile handed to the backend (64 MiB): a 7B model's MLP gain is
 * 11008 × 11008 and a weight 11008 × 4096, and uploading those whole would grow the wasm heap,
 * which never shrinks, by gigabytes.
 */
const TILE_VALUES = 1 << 24;

/** The transpose, as a view: no values move. */
export function transposedView(m: StridedMatrix): StridedMatrix {
  return { data: m.data, rows: m.columns, columns: m.rows, rowStride: m.columnStride, columnStride: m.rowStride };
}

/**
 * `tensor` matricised on `axis` (row u = the slice of unit u, the other axes flattened in order),
 * as a view of the tensor's own values where it is one (a vector, a matrix without repeated
 * units), else copied out by writeAxisMatrix (the layout every method shares).
 */
export function axisMatrix(tensor: Tensor32, axis: number, repeat = 1, heads = 1): StridedMatrix {
  const { shape, data } = tensor;
  const units = shape[axis]! / repeat;
  const width = units === 0 ? 0 : data.length / units;
  if (repeat === 1 && shape.length === 1) return { data, rows: units, columns: 1, rowStride: 1, columnStride: 1 };
  if (repeat === 1 && shape.length === 2) {
    return axis === 0 ? { data, rows: units, columns: width, rowStride: width, columnStride: 1 } : { data, rows: units, columns: width, rowStride: 1, columnStride: units };
  }
  const out = new Float32Array(data.length);
  writeAxisMatrix(tensor, axis, out, width, 1, 0, repeat, heads);
  return { data: out, rows: units, columns: width, rowStride: width, columnStride: 1 };
}

/** Rows r0.. and columns c0.. of `m`, rows × columns, copied row-major. */
function tile(m: StridedMatrix, r0: number, rows: number, c0: number, columns: number): Float32Array {
  const out = new Float32Array(rows * columns);
  const { data, rowStride, columnStride } = m;
  if (columnStride === 1) {
    for (let r = 0; r < rows; r++) {
      const from = (r0 + r) * rowStride + c0;
      out.set(data.subarray(from, from + columns), r * columns);
    }
  } else {
    // Column by column, so the reads run along memory when the rows are the contiguous axis.
    for (let c = 0; c < columns; c++) {
      const from = (c0 + c) * columnStride + r0 * rowStride;
      for (let r = 0, at = from, to = c; r < rows; r++, at += rowStride, to += columns) out[to] = data[at]!;
    }
  }
  return out;
}

/**
 * target (left.rows × right.columns, row-major, float64) += left · right, multiplied in float32
 * on the TensorFlow.js backend in tiles of at most TILE_VALUES values each (a band of the inner
 * dimension of `right`, uploaded once, against bands of `left`'s rows): what the backend holds
 * stays small whatever the matrices' size, and each value of either operand is copied once.
 * `tileValues` is for tests, which need several tiles of small matrices.
 */
export async function accumulateProduct(target: Float64Array, left: StridedMatrix, right: StridedMatrix, tileValues = TILE_VALUES): Promise<void> {
  const [m, k, n] = [left.rows, left.columns, right.columns];
  if (right.rows !== k || target.length !== m * n) {
    throw new Error(`a ${m}×${k} by ${right.rows}×${n} product cannot add into ${target.length} values`);
  }
  if (m === 0 || n === 0 || k === 0) return;
  await initBackend();
  const kc = Math.max(1, Math.min(k, Math.floor(tileValues / n)));
  const mc = Math.max(1, Math.min(m, Math.floor(tileValues / Math.max(n, kc))));
  for (let k0 = 0; k0 < k; k0 += kc) {
    const kb = Math.min(kc, k - k0);
    const band = tf.tensor2d(tile(right, k0, kb, 0, n), [kb, n]);
    try {
      for (let m0 = 0; m0 < m; m0 += mc) {
        const mb = Math.min(mc, m - m0);
        const rows = tf.tensor2d(tile(left, m0, mb, k0, kb), [mb, kb]);
        const product = tf.matMul(rows, band);
        let values: Float32Array;
        try {
          values = (await product.data()) as Float32Array;
        } finally {
          tf.dispose([rows, product]);
        }
        const base = m0 * n;
        for (let t = 0; t < values.length; t++) target[base + t]! += values[t]!;
      }
    } finally {
      band.dispose();
    }
  }
}
