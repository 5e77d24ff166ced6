const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Text made safe for HTML and SVG, in element content and in quoted attributes alike: every
 * string that comes from a report (file names, layer names, warnings) goes through here.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** A number for a figure or table: fixed decimals, '−' for minus (typeset), 'n/a' when not finite. */
export function formatNumber(value: number, decimals: number): string {
  if (Number.isNaN(value)) return 'n/a';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
  const text = value.toFixed(decimals);
  // toFixed keeps the sign of values that round to zero ("-0.000"): a reader sees a plain 0.
  return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text.replace('-', '−');
}

/** A small or large magnitude in scientific notation, e.g. 2.1×10⁻⁷. */
export function formatScientific(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return formatNumber(value, 0);
  if (value === 0) return '0';
  const [mantissa, exponent] = value.toExponential(digits - 1).split('e') as [string, string];
  const superscript = exponent.replace(/^\+/, '').replace(/[-0-9]/g, (c) => '⁻⁰¹²³⁴⁵⁶⁷⁸⁹'['-0123456789'.indexOf(c)]!);
  return `${mantissa.replace('-', '−')}×10${superscript}`;
}
