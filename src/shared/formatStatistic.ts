/** A tensor statistic in four significant digits, switching to exponent form for very small or large magnitudes; '–' when absent. */
export function formatStatistic(value: number | null): string {
  if (value === null) return '–';
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e5 || magnitude < 1e-3) return value.toExponential(3);
  return value.toPrecision(4);
}
