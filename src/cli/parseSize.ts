/** "256MB", "1.5GiB", "4096" (bytes) → bytes; undefined when it is not a size. */
export function parseSize(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)\s*$/i.exec(text);
  if (!match) return undefined;
  const unit = match[2]!.toLowerCase().replace(/i?b$/, '');
  const power = ['', 'k', 'm', 'g', 't'].indexOf(unit);
  if (power < 0) return undefined;
  // Binary and decimal prefixes both read as powers of 1024: a budget needs no finer distinction.
  return Math.round(Number(match[1]) * 1024 ** power);
}
