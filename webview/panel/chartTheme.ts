/**
 * Chart colours come from the VS Code theme's CSS variables, resolved when a chart is drawn, so a
 * figure is legible in light, dark and high-contrast themes alike; a theme switch (VS Code swaps
 * the body's class) redraws.
 */
import type { MethodName } from '../../src/shared/compareReport';
import { METHOD_STYLE } from './methods';

export interface ChartTheme {
  readonly foreground: string;
  readonly muted: string;
  readonly grid: string;
  readonly background: string;
  readonly reference: string;
  readonly fontFamily: string;
  readonly fontSize: number;
  readonly methodColor: (method: MethodName) => string;
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
    methodColor: (method) => {
      let color = methodColors.get(method);
      if (!color) methodColors.set(method, (color = resolveColor(`var(${METHOD_STYLE[method].colorVar})`)));
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
