import { initBackend, tf } from '../backend/tfBackend';
import type { Tensor32 } from '../model/params';
import { writeAxisMatrix } from './specLayout';

/**
 * A matrix read through strides and, optionally, index maps: element (i, j) is
 * data[row(i)·rowStride + column(j)·columnStride], row(i) = rowIndex[i] (or i), column likewise.
 * A permuted tensor is then a view too, not a copy.
 */
export interface StridedMatrix {
  readonly data: Float32Array;
  readonly rows: number;
  readonly columns: number;
  readonly rowStride: number;
  readonly columnStride: number;
  readonly rowIndex?: Int32Array;
  readonly columnIndex?: Int32Array;
}

/**
 * The most float32 values in one tile handed to the backend (16 MiB): a 7B model's MLP gain is
 * 11008 × 11008 and a weight 11008 × 4096, and uploading those whole would grow the wasm heap,
 * which never shrinks, by gigabytes.
 */
export const TILE_VALUES = 1 << 22;

/** The transpose, as a view: no values move. */
export function transposedView(m: StridedMatrix): StridedMatrix {
  return {
    data: m.data,
    rows: m.columns,
    columns: m.rows,
    rowStride: m.columnStride,
    columnStride: m.rowStride,
    ...(m.columnIndex ? { rowIndex: m.columnIndex } : {}),
    ...(m.rowIndex ? { columnIndex: m.rowIndex } : {}),
  };
}

/**
 * `tensor` matricised on `axis` (row u = the slice of unit u, the other axes flattened in order).
 * A vector or a matrix without repeated units is a view of the tensor's own values, with
 * `otherAxis` (the permutation of the matrix's other axis, if any) as an index map; anything else
 * is copied out by writeAxisMatrix (the layout every method shares), `permuted` giving the tensor
 * with its other axes already permuted.
 */
export function axisMatrix(
  tensor: Tensor32,
  axis: number,
  options: { readonly repeat?: number; readonly heads?: number; readonly otherAxis?: Int32Array | null; readonly permuted?: () => Tensor32 } = {},
): StridedMatrix {
  const { shape, data } = tensor;
  const repeat = options.repeat ?? 1;
  const units = shape[axis]! / repeat;
  const width = units === 0 ? 0 : data.length / units;
  if (repeat === 1 && shape.length === 1) return { data, rows: units, columns: 1, rowStride: 1, columnStride: 1 };
  if (repeat === 1 && shape.length === 2) {
    const columnIndex = options.otherAxis ? { columnIndex: options.otherAxis } : {};
    return axis === 0
      ? { data, rows: units, columns: width, rowStride: width, columnStride: 1, ...columnIndex }
      : { data, rows: units, columns: width, rowStride: 1, columnStride: units, ...columnIndex };
  }
  const source = options.permuted ? options.permuted() : tensor;
  const out = new Float32Array(data.length);
  writeAxisMatrix(source, axis, out, width, 1, 0, repeat, options.heads ?? 1);
  return { data: out, rows: units, columns: width, rowStride: width, columnStride: 1 };
}

/** Rows r0.. and columns c0.. of `m`, rows × columns, copied row-major into the start of `buffer`. */
function tile(m: StridedMatrix, r0: number, rows: number, c0: number, columns: number, buffer: Float32Array): Float32Array {
  const out = buffer.subarray(0, rows * columns);
  const { data, rowStride, columnStride, rowIndex, columnIndex } = m;
  if (rowIndex || columnIndex) {
    const rowAt = Int32Array.from({ length: rows }, (_, r) => (rowIndex ? rowIndex[r0 + r]! : r0 + r) * rowStride);
    const columnAt = Int32Array.from({ length: columns }, (_, c) => (columnIndex ? columnIndex[c0 + c]! : c0 + c) * columnStride);
    // Along whichever of the two runs through memory.
    if (columnStride === 1) {
      for (let r = 0; r < rows; r++) for (let c = 0, base = rowAt[r]!, to = r * columns; c < columns; c++) out[to + c] = data[base + columnAt[c]!]!;
    } else {
      for (let c = 0; c < columns; c++) for (let r = 0, base = columnAt[c]!; r < rows; r++) out[r * columns + c] = data[base + rowAt[r]!]!;
    }
  } else if (columnStride === 1) {
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
  // Filled again for every tile: the backend copies what it is given.
  const bandBuffer = new Float32Array(kc * n);
  const rowsBuffer = new Float32Array(mc * kc);
  for (let k0 = 0; k0 < k; k0 += kc) {
    const kb = Math.min(kc, k - k0);
    const band = tf.tensor2d(tile(right, k0, kb, 0, n, bandBuffer), [kb, n]);
    try {
      for (let m0 = 0; m0 < m; m0 += mc) {
        const mb = Math.min(mc, m - m0);
        const rows = tf.tensor2d(tile(left, m0, mb, k0, kb, rowsBuffer), [mb, kb]);
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
