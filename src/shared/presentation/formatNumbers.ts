/**
 * Numbers as every view shows them (the CLI's table, the HTML report, the results panel, the
 * tensor grid, inspect's text): one convention each, so that two views of one report agree.
 */

/** Fixed decimals, a typeset minus, 'n/a' when not a number, ±∞, and no "−0.000". */
export function formatNumber(value: number, decimals: number): string {
  if (Number.isNaN(value)) return 'n/a';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
  const text = value.toFixed(decimals);
  // toFixed keeps the sign of values that round to zero ("-0.000"): a reader sees a plain 0.
  return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text.replace('-', '−');
}

/** A value that may be missing (correlations without data, an α past the path's end): 'n/a' then. */
export function formatOptional(value: number | null | undefined, decimals: number): string {
  return value === null || value === undefined ? 'n/a' : formatNumber(value, decimals);
}

/** A fraction as a percentage, e.g. 0.0142 → "1.42%"; 'n/a' when missing. */
export function formatPercent(value: number | null | undefined, decimals = 2): string {
  if (value === null || value === undefined) return 'n/a';
  return Number.isFinite(value) ? `${formatNumber(value * 100, decimals)}%` : formatNumber(value, 0);
}

/** A small or large magnitude in scientific notation, e.g. 2.1×10⁻⁷. */
export function formatScientific(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return formatNumber(value, 0);
  if (value === 0) return '0';
  const [mantissa, exponent] = value.toExponential(digits - 1).split('e') as [string, string];
  const superscript = exponent.replace(/^\+/, '').replace(/[-0-9]/g, (c) => '⁻⁰¹²³⁴⁵⁶⁷⁸⁹'['-0123456789'.indexOf(c)]!);
  return `${mantissa.replace('-', '−')}×10${superscript}`;
}

/**
 * A tensor statistic in four significant digits, in the panel's scientific form (formatScientific)
 * for very small or large magnitudes, with the typeset minus; '–' when absent. From 10⁴ up,
 * toPrecision(4) would itself switch to "1.235e+4", so the scientific form starts there.
 */
export function formatStatistic(value: number | null): string {
  if (value === null) return '–';
  if (value === 0) return '0';
  if (!Number.isFinite(value)) return formatNumber(value, 0);
  const magnitude = Math.abs(value);
  if (magnitude >= 1e4 || magnitude < 1e-3) return formatScientific(value, 4);
  return value.toPrecision(4).replace('-', '−');
}

/** 1536 → "1.50 KiB", 20 GiB → "20.0 GiB": sizes as people read them, in messages and tables. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}
