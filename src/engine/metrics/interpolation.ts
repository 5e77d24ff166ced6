import type { Params, Tensor32 } from '../model/params';

/** n evenly spaced α from 0 to 1, both included: i / (n − 1). */
export function alphaGrid(n = 25): number[] {
  if (!Number.isSafeInteger(n) || n < 2) throw new Error(`an α grid needs at least 2 points, got ${n}`);
  return Array.from({ length: n }, (_, i) => (i === n - 1 ? 1 : i / (n - 1)));
}

/**
 * θ(α) = θA + α·(θB − θA) for every tensor, computed in double precision and rounded once:
 * (1−α)·θA + α·θB up to rounding, exactly θA at α = 0 and θB at α = 1, and exactly θA wherever
 * the two agree. The caller passes π(θB) as `b`; both must hold the same names and shapes.
 */
export function interpolateParams(a: Params, b: Params, alpha: number): Params {
  if (!Number.isFinite(alpha)) throw new Error(`α must be finite, got ${alpha}`);
  const out = new Map<string, Tensor32>();
  for (const [name, ta] of a) {
    const tb = b.get(name);
    if (!tb) throw new Error(`'${name}' is in A's parameters but not in B's`);
    if (ta.shape.length !== tb.shape.length || ta.shape.some((d, i) => d !== tb.shape[i]) || ta.data.length !== tb.data.length) {
      throw new Error(`'${name}' has shape [${ta.shape.join(', ')}] in A and [${tb.shape.join(', ')}] in B`);
    }
    out.set(name, { shape: ta.shape, data: lerpArray(ta.data, tb.data, alpha) });
  }
  for (const name of b.keys()) if (!a.has(name)) throw new Error(`'${name}' is in B's parameters but not in A's`);
  return out;
}

function lerpArray(a: Float32Array, b: Float32Array, alpha: number): Float32Array {
  if (alpha === 0) return a.slice();
  if (alpha === 1) return b.slice();
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! + alpha * (b[i]! - a[i]!);
  return out;
}
