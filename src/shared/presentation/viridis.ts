/**
 * The colour scale of every heatmap (LLFC, unit similarities), in the HTML report's SVG and the
 * panel's canvas alike: viridis, perceptually uniform, legible with colour-vision deficiencies
 * and in greyscale.
 */

/** viridis at nine stops. */
const VIRIDIS = ['#440154', '#482878', '#3e4989', '#31688e', '#26828e', '#1f9e89', '#35b779', '#6ece58', '#fde725'];

const STOPS = VIRIDIS.map((hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number]);

/** The viridis colour of t in [0, 1] (clamped; not a number as 0), interpolated between its stops: red, green, blue in 0–255. */
export function viridisRgb(t: number): [number, number, number] {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  const position = clamped * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(position));
  const f = position - i;
  const a = STOPS[i]!;
  const b = STOPS[i + 1]!;
  return a.map((c, k) => Math.round(c + (b[k]! - c) * f)) as [number, number, number];
}

/** The same colour as '#rrggbb'. */
export function viridis(t: number): string {
  return `#${viridisRgb(t).map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}
