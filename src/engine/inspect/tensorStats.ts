import type { TensorStats } from '../../shared/inspectReport';

/**
 * Running statistics over chunks of values: each chunk is summarised exactly in two passes, and
 * chunks are merged with Chan et al.'s pairwise update, so the variance stays accurate over
 * billions of values where a plain sum of squares would cancel catastrophically.
 */
export class StatsAccumulator {
  private count = 0;
  private finite = 0;
  private mean = 0;
  private m2 = 0;
  private min = Infinity;
  private max = -Infinity;
  private zeros = 0;

  add(values: Float32Array): void {
    let n = 0;
    let sum = 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v === 0) this.zeros++;
      if (v - v !== 0) continue; // NaN and ±Infinity
      n++;
      sum += v;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    this.count += values.length;
    if (n === 0) return;
    const chunkMean = sum / n;
    let chunkM2 = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v - v !== 0) continue;
      const d = v - chunkMean;
      chunkM2 += d * d;
    }
    const total = this.finite + n;
    const delta = chunkMean - this.mean;
    this.mean += (delta * n) / total;
    this.m2 += chunkM2 + (delta * delta * this.finite * n) / total;
    this.finite = total;
    if (lo < this.min) this.min = lo;
    if (hi > this.max) this.max = hi;
  }

  result(): TensorStats {
    const any = this.finite > 0;
    return {
      mean: any ? this.mean : null,
      std: any ? Math.sqrt(this.m2 / this.finite) : null,
      min: any ? this.min : null,
      max: any ? this.max : null,
      zeroFraction: this.count > 0 ? this.zeros / this.count : null,
      nonFinite: this.count - this.finite,
    };
  }
}
