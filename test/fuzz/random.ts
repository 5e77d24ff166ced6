/**
 * The fuzzer's only source of randomness: a small seeded generator (mulberry32), so that a case is
 * the same bytes on every machine and every run, given the run's seed, its family and its number.
 */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A generator for one case, independent of every other case of the run. */
  static forCase(seed: number, family: string, index: number): Random {
    let h = 2166136261 ^ seed;
    for (const c of `${family}#${index}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
    return new Random(h ^ Math.imul(index, 0x9e3779b1));
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + this.below(hi - lo + 1);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.below(256);
    return out;
  }

  /** A fresh seed for a sub-step, so that dropping one step while shrinking leaves the others alone. */
  seed(): number {
    return this.below(2 ** 32);
  }
}
