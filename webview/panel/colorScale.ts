/**
 * A heatmap's colour bar as page elements: the viridis strip on a canvas, the ticks and the label
 * as text, so that each tick prints its value exactly (the presentation module's ticks) and a
 * screen reader or a test reads what is shown.
 */
import { formatNumber } from '../../src/shared/presentation/formatNumbers';
import { tickLabel, ticksWithin } from '../../src/shared/presentation/ticks';
import { putViridis } from './canvasHeatmap';
import { element } from './dom';

const STRIP_HEIGHT = 12;

export interface ColorScaleSpec {
  /** The values at the strip's two ends, as the heatmap maps them onto viridis. */
  readonly domain: readonly [number, number];
  readonly label: string;
  /** CSS pixels of the strip. */
  readonly width: number;
}

export function colorScale(spec: ColorScaleSpec): HTMLElement {
  const [lo, hi] = spec.domain;
  // About five ticks, but at least four: [−0.5, 0.8] in halves would leave three.
  let ticks = ticksWithin(lo, hi, 5);
  for (let target = 6; ticks.values.length < 4 && target <= 10; target++) ticks = ticksWithin(lo, hi, target);
  const box = element('div', undefined, 'color-scale');
  box.style.width = `${spec.width}px`;
  const ratio = window.devicePixelRatio || 1;
  const strip = element('canvas', undefined, 'color-bar');
  strip.width = Math.round(spec.width * ratio);
  strip.height = Math.round(STRIP_HEIGHT * ratio);
  const image = new ImageData(strip.width, 1);
  for (let k = 0; k < strip.width; k++) putViridis(image.data, k * 4, k / Math.max(1, strip.width - 1));
  const context = strip.getContext('2d')!;
  for (let y = 0; y < strip.height; y++) context.putImageData(image, 0, y);
  strip.setAttribute('aria-hidden', 'true');
  const marks = element('div', undefined, 'color-ticks');
  for (const value of ticks.values) {
    const tick = element('span', tickLabel(value, ticks), 'color-tick');
    tick.dataset.value = String(value);
    tick.style.left = `${((value - lo) / (hi - lo || 1)) * 100}%`;
    marks.append(tick);
  }
  box.setAttribute('role', 'img');
  // The domain's ends are rounded to hundredths at most, which two decimals print exactly.
  const end = (v: number) => formatNumber(v, Math.max(2, ticks.decimals));
  box.setAttribute('aria-label', `colour scale of the ${spec.label}: ${end(lo)} (dark purple) to ${end(hi)} (yellow)`);
  box.append(strip, marks, element('p', spec.label, 'color-label'));
  return box;
}
