/**
 * Seeded test data shared by the solver's tests and benchmark and the model tests. mulberry32 is
 * also what test/fixtures/assignment/make_fixtures.py implements, so both sides build the same
 * matrices from a seed.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** W_A · W_Bᵀ with Gaussian weights (`depth` inputs per unit): the kind of matrix weight matching solves. */
export function gaussianProductMatrix(n: number, depth: number, next: () => number): Float64Array {
  const gauss = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  const a = Float64Array.from({ length: n * depth }, gauss);
  const b = Float64Array.from({ length: n * depth }, gauss);
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < depth; k++) s += a[i * depth + k]! * b[j * depth + k]!;
      m[i * n + j] = s;
    }
  }
  return m;
}
