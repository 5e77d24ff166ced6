/**
 * A figure's legend as buttons, one per method: pressing one (click, or Enter and Space from the
 * keyboard) hides that method's curves or shows them again, so the aligned methods' curves, which
 * the naive peak squeezes into one band, can be read on their own scale. Each swatch is the line
 * the chart draws: its colour, dash and marker.
 */
import type { MethodName } from '../../src/shared/compareReport';
import { METHOD_STYLE, type Marker } from '../../src/shared/presentation/methodStyles';
import type { ChartTheme } from './chartTheme';
import { element } from './dom';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 30;
const HEIGHT = 12;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
}

function markerShape(marker: Marker, color: string): SVGElement {
  const [x, y, r] = [WIDTH / 2, HEIGHT / 2, 3.5];
  const fill = { fill: color };
  switch (marker) {
    case 'circle':
      return svg('circle', { cx: x, cy: y, r, ...fill });
    case 'square':
      return svg('rect', { x: x - r, y: y - r, width: 2 * r, height: 2 * r, ...fill });
    case 'triangle':
      return svg('polygon', { points: `${x},${y - r - 0.5} ${x + r + 0.5},${y + r} ${x - r - 0.5},${y + r}`, ...fill });
    case 'diamond':
      return svg('polygon', { points: `${x},${y - r - 1} ${x + r + 1},${y} ${x},${y + r + 1} ${x - r - 1},${y}`, ...fill });
  }
}

/** A short stretch of a line as the chart draws it: colour, dash (empty for solid) and an optional marker. */
function swatch(color: string, dash: readonly number[], width: number, marker?: Marker): SVGSVGElement {
  const node = svg('svg', { width: WIDTH, height: HEIGHT, viewBox: `0 0 ${WIDTH} ${HEIGHT}`, 'aria-hidden': 'true', class: 'legend-swatch' });
  node.append(svg('line', { x1: 1, y1: HEIGHT / 2, x2: WIDTH - 1, y2: HEIGHT / 2, stroke: color, 'stroke-width': width, 'stroke-dasharray': dash.length ? dash.join(' ') : 'none' }));
  if (marker) node.append(markerShape(marker, color));
  return node;
}

export interface MethodLegendSpec {
  readonly methods: readonly MethodName[];
  readonly hidden: ReadonlySet<MethodName>;
  /** A line every chart draws that is no method's (the straight line between the endpoints): listed, not a button. */
  readonly reference?: { readonly label: string; readonly dash: readonly number[] };
  readonly onToggle: (method: MethodName, shown: boolean) => void;
}

export function methodLegend(spec: MethodLegendSpec, theme: ChartTheme): HTMLElement {
  const legend = element('div', undefined, 'legend');
  legend.setAttribute('role', 'group');
  legend.setAttribute('aria-label', 'Methods drawn: press one to hide or show its curves; the y-axis fits the curves shown');
  for (const method of spec.methods) {
    const style = METHOD_STYLE[method];
    const button = element('button', undefined, 'legend-entry');
    button.type = 'button';
    button.dataset.method = method;
    button.title = 'Hide or show this method\'s curves; the y-axis fits the curves shown';
    const setShown = (shown: boolean) => button.setAttribute('aria-pressed', String(shown));
    setShown(!spec.hidden.has(method));
    button.append(swatch(theme.methodColor(method), style.dash, 2, style.marker), element('span', style.label, 'legend-label'));
    button.addEventListener('click', () => {
      const shown = button.getAttribute('aria-pressed') !== 'true';
      setShown(shown);
      spec.onToggle(method, shown);
    });
    legend.append(button);
  }
  if (spec.reference) {
    const entry = element('span', undefined, 'legend-entry legend-reference');
    entry.append(swatch(theme.reference, spec.reference.dash, 1.2), element('span', spec.reference.label, 'legend-label'));
    legend.append(entry);
  }
  return legend;
}
