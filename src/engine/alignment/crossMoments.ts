import { tf } from '../backend/tfBackend';

/** A unit whose population standard deviation is at or below this has correlation 0 with every unit. */
export const STD_FLOOR = 1e-12;

/**
 * Pearson correlations between two sets of units (A's columns and B's) over samples that arrive
 * in batches, without keeping them: the sums of the shifted values, of their squares and of their
 * cross products, float32 within a batch and double precision across batches. The shift (the
 * first batch's column means) keeps the uncentred sums from cancelling. For convolutional
 * features every spatial position is a sample.
 */
export class CrossMoments {
  private count = 0;
  private shiftA: Float32Array | null = null;
  private shiftB: Float32Array | null = null;
  private readonly sumA: Float64Array;
  private readonly sumB: Float64Array;
  private readonly squaresA: Float64Array;
  private readonly squaresB: Float64Array;
  private readonly cross: Float64Array;

  constructor(
    readonly widthA: number,
    readonly widthB: number,
  ) {
    this.sumA = new Float64Array(widthA);
    this.sumB = new Float64Array(widthB);
    this.squaresA = new Float64Array(widthA);
    this.squaresB = new Float64Array(widthB);
    this.cross = new Float64Array(widthA * widthB);
  }

  /** Adds the rows of a (rows × widthA) and b (rows × widthB), the same samples in the same order. */
  async add(a: tf.Tensor2D, b: tf.Tensor2D): Promise<void> {
    const rows = a.shape[0];
    if (a.shape[1] !== this.widthA || b.shape[1] !== this.widthB || b.shape[0] !== rows) {
      throw new Error(`features of [${a.shape.join(', ')}] and [${b.shape.join(', ')}] do not fit ${this.widthA} and ${this.widthB} units`);
    }
    if (rows === 0) return;
    if (!this.shiftA || !this.shiftB) {
      const [ma, mb] = tf.tidy(() => [tf.mean(a, 0), tf.mean(b, 0)]);
      this.shiftA = (await ma!.data()) as Float32Array;
      this.shiftB = (await mb!.data()) as Float32Array;
      tf.dispose([ma!, mb!]);
    }
    const sums = tf.tidy(() => {
      const xa = tf.sub(a, tf.tensor1d(this.shiftA!));
      const xb = tf.sub(b, tf.tensor1d(this.shiftB!));
      // Column sums as products with a row of ones, and xaᵀ formed explicitly: on wasm both run
      // many times faster than a reduction along the rows or a product with a transposed operand.
      const ones = tf.ones([1, rows]);
      return [tf.matMul(ones, xa), tf.matMul(ones, xb), tf.matMul(ones, tf.square(xa)), tf.matMul(ones, tf.square(xb)), tf.matMul(tf.transpose(xa), xb)];
    });
    try {
      const values = await Promise.all(sums.map((t) => t.data<'float32'>()));
      [this.sumA, this.sumB, this.squaresA, this.squaresB, this.cross].forEach((target, k) => {
        const v = values[k]!;
        for (let i = 0; i < v.length; i++) target[i]! += v[i]!;
      });
    } finally {
      tf.dispose(sums);
    }
    this.count += rows;
  }

  get samples(): number {
    return this.count;
  }

  /** widthA × widthB, row-major: corr(A's unit i, B's unit j); 0 where either unit is constant. */
  correlations(): Float64Array {
    if (this.count === 0) throw new Error('correlations need at least one sample');
    const n = this.count;
    const moments = (sum: Float64Array, squares: Float64Array) => {
      const mean = sum.map((s) => s / n);
      const inverse = mean.map((m, i) => {
        const std = Math.sqrt(Math.max(0, squares[i]! / n - m * m));
        return std > STD_FLOOR ? 1 / std : 0;
      });
      return { mean, inverse };
    };
    const a = moments(this.sumA, this.squaresA);
    const b = moments(this.sumB, this.squaresB);
    const out = new Float64Array(this.widthA * this.widthB);
    for (let i = 0; i < this.widthA; i++) {
      for (let j = 0; j < this.widthB; j++) {
        const k = i * this.widthB + j;
        out[k] = (this.cross[k]! / n - a.mean[i]! * b.mean[j]!) * a.inverse[i]! * b.inverse[j]!;
      }
    }
    return out;
  }
}
