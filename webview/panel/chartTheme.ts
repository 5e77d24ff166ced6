/**
 * Chart colours come from the VS Code theme's CSS variables, resolved when a chart is drawn, so a
 * figure is legible in light, dark and high-contrast themes alike; a theme switch (VS Code swaps
 * the body's class) redraws. The method colours come from the presentation table (METHOD_STYLE):
 * publishMethodColors hands both of each method's colours to panel.css, which picks one by theme.
 */
import { METHOD_NAMES, alignmentOf, isRepaired, type MethodName } from '../../src/shared/compareReport';
import { METHOD_STYLE } from '../../src/shared/presentation/methodStyles';
import { MODEL_STYLE } from '../../src/shared/presentation/neuronDistances';

export interface ChartTheme {
  readonly foreground: string;
  readonly muted: string;
  readonly grid: string;
  readonly background: string;
  readonly reference: string;
  readonly fontFamily: string;
  readonly fontSize: number;
  readonly methodColor: (method: MethodName) => string;
  /** Model A's or B's colour (MODEL_STYLE), where a figure compares the models themselves (Dim(S)). */
  readonly modelColor: (model: 'a' | 'b') => string;
}

/**
 * Sets --ml-<alignment>-light and --ml-<alignment>-dark on <html> from METHOD_STYLE (and
 * --ml-model-<a|b>-light/-dark from MODEL_STYLE), through the
 * CSSOM (the CSP allows no inline style). VS Code rewrites only the --vscode-* properties there on
 * a theme change, so these stay; panel.css picks the light or the dark one by the body's class.
 */
export function publishMethodColors(): void {
  const root = document.documentElement;
  for (const alignment of METHOD_NAMES) {
    const { color } = METHOD_STYLE[alignment];
    root.style.setProperty(`--ml-${alignment}-light`, color.light);
    root.style.setProperty(`--ml-${alignment}-dark`, color.dark);
  }
  for (const [model, { color }] of Object.entries(MODEL_STYLE)) {
    root.style.setProperty(`--ml-model-${model}-light`, color.light);
    root.style.setProperty(`--ml-model-${model}-dark`, color.dark);
  }
}

/** The panel.css property holding a method's colour for the current theme; a REPAIR variant's is paler. */
export function methodColorVar(method: MethodName): string {
  return `--ml-${alignmentOf(method)}${isRepaired(method) ? '-repair' : ''}`;
}

let probe: HTMLElement | undefined;

/**
 * The computed rgb() of any CSS colour expression (a var(), a color-mix()): canvas fillStyle
 * understands neither, so a hidden element resolves it.
 */
export function resolveColor(expression: string): string {
  if (!probe) {
    probe = document.createElement('span');
    probe.className = 'color-probe';
    probe.setAttribute('aria-hidden', 'true');
    document.body.append(probe);
  }
  probe.style.color = '';
  probe.style.color = expression;
  return getComputedStyle(probe).color;
}

export function readTheme(): ChartTheme {
  const body = getComputedStyle(document.body);
  const methodColors = new Map<MethodName, string>();
  return {
    foreground: resolveColor('var(--ml-chart-text)'),
    muted: resolveColor('var(--ml-chart-muted)'),
    grid: resolveColor('var(--ml-chart-grid)'),
    background: resolveColor('var(--ml-chart-background)'),
    reference: resolveColor('var(--ml-reference)'),
    fontFamily: body.fontFamily || 'sans-serif',
    fontSize: 12,
    modelColor: (model) => resolveColor(`var(--ml-model-${model})`),
    methodColor: (method) => {
      let color = methodColors.get(method);
      if (!color) methodColors.set(method, (color = resolveColor(`var(${methodColorVar(method)})`)));
      return color;
    },
  };
}

/**
 * Calls `redraw` after the theme changes: VS Code swaps the body's class between kinds
 * (vscode-light, vscode-dark, vscode-high-contrast) and rewrites the variables on <html> between
 * themes of one kind. Mutations in one frame are drawn once.
 */
export function onThemeChange(redraw: () => void): void {
  let pending = false;
  const schedule = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      redraw();
    });
  };
  new MutationObserver(schedule).observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-kind'] });
  new MutationObserver(schedule).observe(document.documentElement, { attributes: true, attributeFilter: ['style'] });
}
