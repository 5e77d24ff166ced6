import { initBackend, tf } from '../backend/tfBackend';

/**
 * A·B for row-major float32 A (m×k) and B (k×n), on the TensorFlow.js backend (initialised here
 * if the caller has not). Neither operand is transposed by the backend: wasm multiplies plain
 * layouts several times faster than transposed ones, so callers lay B out as k×n themselves.
 */
export async function matrixProduct(a: Float32Array, m: number, k: number, b: Float32Array, n: number): Promise<Float32Array> {
  if (a.length !== m * k || b.length !== k * n) {
    throw new Error(`matrix product of ${a.length} and ${b.length} values cannot be ${m}×${k} times ${k}×${n}`);
  }
  if (m === 0 || n === 0 || k === 0) return new Float32Array(m * n);
  await initBackend();
  const left = tf.tensor2d(a, [m, k]);
  const right = tf.tensor2d(b, [k, n]);
  const product = tf.matMul(left, right);
  try {
    return (await product.data()) as Float32Array;
  } finally {
    tf.dispose([left, right, product]);
  }
}

/** The row-major transpose of a rows×cols matrix. */
export function transposed(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c]!;
  }
  return out;
}
