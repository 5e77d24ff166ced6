/** Numbers as the panel shows them: the same conventions as the CLI's table and HTML report. */

/** Fixed decimals, a typeset minus, 'n/a' when not a number, and no "−0.000". */
export function formatNumber(value: number, decimals: number): string {
  if (Number.isNaN(value)) return 'n/a';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
  const text = value.toFixed(decimals);
  return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text.replace('-', '−');
}

/** A fraction as a percentage. */
export function formatPercent(value: number, decimals = 2): string {
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

/** A value that may be missing (correlations without data). */
export function formatOptional(value: number | null | undefined, decimals: number): string {
  return value === null || value === undefined ? 'n/a' : formatNumber(value, decimals);
}

/** Layers named by a bare index ("0", "2": nn.Sequential) read better as "layer 0". */
export function layerLabel(name: string): string {
  return /^\d+$/.test(name) ? `layer ${name}` : name;
}

/** The index of the α closest to `target`. */
export function nearestIndex(values: readonly number[], target: number): number {
  let best = 0;
  values.forEach((v, i) => {
    if (Math.abs(v - target) < Math.abs(values[best]! - target)) best = i;
  });
  return best;
}
