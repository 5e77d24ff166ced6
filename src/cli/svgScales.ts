/**
 * Pixel arithmetic for the report's charts: a linear map onto pixels. The tick values are
 * src/shared/presentation/ticks.ts's, shared with the panel's heatmaps and colour bars.
 */

/** The linear map taking [d0, d1] onto [r0, r1]. */
export function linearScale(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const span = d1 - d0 || 1;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

/** Smallest and largest finite values (NaN, NaN when there are none). */
export function finiteExtent(values: Iterable<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : [NaN, NaN];
}

/** A pixel coordinate with two decimals: enough for print, short in the file. */
export function px(v: number): string {
  return String(Math.round(v * 100) / 100);
}
