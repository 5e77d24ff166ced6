import type { TensorStats } from '../../shared/inspectReport';

/**
 * Running statistics over chunks of values. Each chunk is summarised in one pass as sums of
 * (v − K) and (v − K)² about a shift K taken from the chunk itself, which keeps the variance
 * accurate where a plain sum of squares would cancel (values far from zero); chunks are merged
 * with Chan et al.'s pairwise update, so billions of values lose nothing either.
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
    let shift = NaN;
    for (let i = 0; i < values.length && shift !== shift; i++) if (values[i]! - values[i]! === 0) shift = values[i]!;
    this.count += values.length;
    if (shift !== shift) {
      for (let i = 0; i < values.length; i++) if (values[i] === 0) this.zeros++;
      return;
    }
    let n = 0;
    let sum = 0;
    let sumSquares = 0;
    let zeros = 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v === 0) zeros++;
      if (v - v !== 0) continue; // NaN and ±Infinity
      n++;
      const d = v - shift;
      sum += d;
      sumSquares += d * d;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    this.zeros += zeros;
    const chunkMean = shift + sum / n;
    const chunkM2 = Math.max(0, sumSquares - (sum * sum) / n);
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
