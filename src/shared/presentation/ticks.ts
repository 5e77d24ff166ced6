/**
 * Tick values for every axis and colour bar (the CLI's SVG charts, the panel's heatmaps and colour
 * bars): round steps of 1, 2, 2.5 or 5 times a power of ten, each with the decimals that print it
 * exactly, so that a tick at −0.25 never reads "−0.3".
 */
import { formatNumber } from './formatNumbers';

export interface Ticks {
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
 * About `target` ticks covering [low, high] (the axis runs from the first tick to the last, so the
 * data sits inside round numbers). A degenerate range is widened around its value; non-finite
 * bounds give the unit interval.
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
 * The same ticks, only those inside [low, high]: for a scale whose ends are fixed (a colour bar's
 * domain, the α of a heatmap's columns). `integers` keeps whole numbers only (unit indices).
 */
export function ticksWithin(low: number, high: number, target = 5, integers = false): Ticks {
  const ticks = niceTicks(low, high, target);
  const slack = ticks.step * 1e-9;
  const inside = ticks.values.filter((v) => v >= Math.min(low, high) - slack && v <= Math.max(low, high) + slack);
  return integers ? { values: inside.filter(Number.isInteger), step: Math.max(1, ticks.step), decimals: 0 } : { ...ticks, values: inside };
}

/** A tick value as printed: exactly, with the decimals its step needs, and a typeset minus. */
export function tickLabel(value: number, ticks: Ticks): string {
  return formatNumber(value, ticks.decimals);
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
