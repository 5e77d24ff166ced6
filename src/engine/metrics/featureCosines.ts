import { tf } from '../backend/tfBackend';

/** Per row of two equally shaped feature matrices: ⟨f, g⟩, ‖f‖² and ‖g‖². */
export function rowProducts(f: tf.Tensor2D, g: tf.Tensor2D): [tf.Tensor1D, tf.Tensor1D, tf.Tensor1D] {
  return tf.tidy(() => [tf.sum(tf.mul(f, g), 1), tf.sum(tf.square(f), 1), tf.sum(tf.square(g), 1)]);
}

/**
 * Means over samples of cos(f, g) and of ⟨f, g⟩ / ‖g‖², accumulated in double precision from
 * `rowProducts`. A cosine with a zero vector is undefined, so a sample whose f or g is exactly
 * zero (ReLU features can be) is left out of the cosine mean, and one whose g is zero out of the
 * scale mean; with no sample left, the mean is NaN.
 */
export class CosineMeans {
  private cosineSum = 0;
  private cosineCount = 0;
  private scaleSum = 0;
  private scaleCount = 0;

  add(dot: Float32Array, normF: Float32Array, normG: Float32Array): void {
    for (let i = 0; i < dot.length; i++) {
      const ff = normF[i]!;
      const gg = normG[i]!;
      if (gg === 0) continue;
      this.scaleSum += dot[i]! / gg;
      this.scaleCount++;
      if (ff === 0) continue;
      this.cosineSum += dot[i]! / Math.sqrt(ff * gg);
      this.cosineCount++;
    }
  }

  get cosine(): number {
    return this.cosineCount === 0 ? NaN : this.cosineSum / this.cosineCount;
  }

  get scale(): number {
    return this.scaleCount === 0 ? NaN : this.scaleSum / this.scaleCount;
  }
}
