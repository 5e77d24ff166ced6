/**
 * A small deterministic random source for the demo: the same seed gives the same numbers on
 * every machine, which Math.random cannot. A Weyl sequence (golden-ratio step) scrambled by
 * MurmurHash3's 32-bit finaliser: plenty for shuffles and weight initialisation.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    // Seeds 1 and 2 must not start neighbouring sequences: scramble the seed itself first.
    this.state = SeededRandom.mix((seed >>> 0) ^ 0x5bd1e995);
  }

  private static mix(value: number): number {
    let z = value >>> 0;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    return SeededRandom.mix(this.state);
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 2 ** 32;
  }

  /** Uniform in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** An integer uniform in [0, n), without modulo bias. */
  below(n: number): number {
    const limit = 2 ** 32 - (2 ** 32 % n);
    let value = this.nextUint32();
    while (value >= limit) value = this.nextUint32();
    return value % n;
  }

  /** 0..n-1 in a random order (Fisher–Yates). */
  permutation(n: number): Int32Array {
    const order = Int32Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.below(i + 1);
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
    }
    return order;
  }
}
