/**
 * One look per method, the same in the HTML report's figures and the results panel's charts:
 * label, colour (for white paper and light themes, and for dark themes), dash and marker. Dash
 * and marker keep methods apart without colour too (greyscale printing, colour-vision deficiency).
 * Each renderer maps the marker names to its drawing API (SVG paths, Chart.js point styles).
 */
import { ALL_METHOD_NAMES, METHOD_NAMES, type AlignmentName, type CompareReport, type MethodName, type MethodResult } from '../compareReport';

/** Okabe & Ito's palette, distinguishable with every common colour-vision deficiency. */
export const OKABE_ITO = {
  black: '#000000',
  orange: '#E69F00',
  skyBlue: '#56B4E9',
  green: '#009E73',
  yellow: '#F0E442',
  blue: '#0072B2',
  vermillion: '#D55E00',
  purple: '#CC79A7',
} as const;

export type Marker = 'circle' | 'square' | 'triangle' | 'diamond';

export interface MethodColor {
  /** On white paper (the HTML report) and light themes. */
  readonly light: string;
  /** On dark and high-contrast dark themes: the same hues, brightened. */
  readonly dark: string;
}

export interface MethodStyle {
  readonly label: string;
  /**
   * A REPAIR variant has its alignment's colour; the panel draws it paler (mixed with the
   * background), and the naive method in the editor's foreground colour.
   */
  readonly color: MethodColor;
  /** Dash and gap lengths in pixels; empty for a solid line. */
  readonly dash: readonly number[];
  readonly marker: Marker;
}

const ALIGNMENT_STYLE: Readonly<Record<AlignmentName, MethodStyle>> = {
  naive: { label: 'naive (no alignment)', color: { light: OKABE_ITO.black, dark: '#FFFFFF' }, dash: [5, 3], marker: 'circle' },
  weight: { label: 'weight matching', color: { light: OKABE_ITO.blue, dark: OKABE_ITO.skyBlue }, dash: [], marker: 'square' },
  activation: { label: 'activation matching', color: { light: OKABE_ITO.vermillion, dark: '#E8743B' }, dash: [], marker: 'triangle' },
  covariance: { label: 'covariance matching', color: { light: OKABE_ITO.green, dark: '#1FC299' }, dash: [], marker: 'diamond' },
};

/** Every method's look; a REPAIR variant looks like its alignment, dotted. */
export const METHOD_STYLE: Readonly<Record<MethodName, MethodStyle>> = Object.fromEntries([
  ...METHOD_NAMES.map((m) => [m, ALIGNMENT_STYLE[m]]),
  ...METHOD_NAMES.map((m) => [`${m}+repair`, { ...ALIGNMENT_STYLE[m], label: `${ALIGNMENT_STYLE[m].label} + REPAIR`, dash: [1.5, 2.5] }]),
]) as Record<MethodName, MethodStyle>;

/** The methods the report holds, in the canonical order (ALL_METHOD_NAMES). */
export function methodsOf(report: CompareReport): [MethodName, MethodResult][] {
  return ALL_METHOD_NAMES.flatMap((name) => {
    const result = report.methods[name];
    return result ? [[name, result] as [MethodName, MethodResult]] : [];
  });
}
