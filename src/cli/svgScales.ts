/** Axis arithmetic for the report's charts: round tick values and a linear map onto pixels. */

export interface Ticks {
  /** The axis runs from the first tick to the last, so the data sits inside round numbers. */
  readonly values: readonly number[];
  readonly step: number;
  /** Decimals that print every tick exactly (0.25 → 2). */
  readonly decimals: number;
}

/** Decimals needed to print multiples of `step`: 2.5e-2 → 3, 0.5 → 1, 20 → 0. */
function decimalsOf(step: number): number {
  const [mantissa, exponent] = Number(step.toPrecision(6)).toExponential().split('e') as [string, string];
  const mantissaDecimals = mantissa.split('.')[1]?.length ?? 0;
  return Math.max(0, mantissaDecimals - Number(exponent));
}

/**
 * About `target` ticks covering [low, high], spaced by 1, 2, 2.5 or 5 times a power of ten. A
 * degenerate range is widened around its value; non-finite bounds give the unit interval.
 */
export function niceTicks(low: number, high: number, target = 5): Ticks {
  let lo = Number.isFinite(low) ? low : 0;
  let hi = Number.isFinite(high) ? high : 1;
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi - lo < 1e-12 * Math.max(1, Math.abs(lo))) {
    const pad = Math.abs(lo) * 0.1 || 1;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / Math.max(1, target);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const normalised = raw / magnitude;
  const step = (normalised <= 1 ? 1 : normalised <= 2 ? 2 : normalised <= 2.5 ? 2.5 : normalised <= 5 ? 5 : 10) * magnitude;
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const values: number[] = [];
  for (let k = first; k <= last; k++) values.push(Number((k * step).toPrecision(12)));
  return { values, step, decimals: decimalsOf(step) };
}

/**
 * Ticks for a logarithmic axis covering [low, high] (both positive): powers of 2 when the range
 * spans at most 2¹² (widths 16…1024 read as the widths they are), else powers of 10; every k-th
 * power when more than about `target` would crowd the axis. `step` is the ratio between ticks.
 * Non-positive or non-finite bounds give 1 to 10.
 */
export function logTicks(low: number, high: number, target = 5): Ticks {
  let lo = low > 0 && Number.isFinite(low) ? low : 1;
  let hi = high > 0 && Number.isFinite(high) ? high : 10;
  if (hi < lo) [lo, hi] = [hi, lo];
  const base = hi / lo <= 2 ** 12 ? 2 : 10;
  const log = (v: number) => Math.log(v) / Math.log(base);
  let first = Math.floor(log(lo) + 1e-9);
  let last = Math.ceil(log(hi) - 1e-9);
  if (first === last) [first, last] = [first - 1, last + 1];
  const every = Math.max(1, Math.ceil((last - first) / Math.max(1, target)));
  first = Math.floor(first / every) * every;
  last = Math.ceil(last / every) * every;
  const values: number[] = [];
  for (let k = first; k <= last; k += every) values.push(Number((base ** k).toPrecision(12)));
  return { values, step: base ** every, decimals: Math.max(0, ...values.map(decimalsOf)) };
}

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
