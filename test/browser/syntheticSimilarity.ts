import type { UnitSimilarity } from '../../src/shared/unitSimilarity';

/**
 * A synthetic n-unit group with a known column permutation i ↦ (stride·i + shift) mod n: matched
 * pairs bright (0.9 − (i mod 100)/1000), every other cosine a fixed pattern, scale·f + low with f
 * in [0, 1). It names nothing outside itself, so a test can also build it inside the page from its
 * source text (a matrix too large to send).
 */
export function syntheticSimilarity(n: number, stride: number, shift: number, scale: number, low: number): UnitSimilarity {
  const permutation = Array.from({ length: n }, (_, i) => (stride * i + shift) % n);
  const cosine = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) cosine[i * n + j] = (((i * 31 + j * 17) % 1000) / 1000) * scale + low;
    cosine[i * n + permutation[i]!] = 0.9 - (i % 100) / 1000;
  }
  const normsA = Float32Array.from({ length: n }, (_, i) => 1 + (i % 7) * 0.1);
  const normsB = Float32Array.from({ length: n }, (_, j) => 1 + (j % 5) * 0.1);
  return { method: 'weight', layer: '0', size: n, cosine, normsA, normsB, permutation };
}
