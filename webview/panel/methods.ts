/** One look per method, the same in every chart of the panel and of the HTML report. */
import { ALL_METHOD_NAMES, METHOD_NAMES, type AlignmentName, type CompareReport, type MethodName, type MethodResult } from '../../src/shared/compareReport';

export interface MethodStyle {
  readonly label: string;
  /** The CSS custom property (panel.css) holding its colour for the current theme. */
  readonly colorVar: string;
  /** Dash and marker keep methods apart without colour too (greyscale, colour-vision deficiency). */
  readonly dash: readonly number[];
  readonly pointStyle: 'circle' | 'rect' | 'triangle' | 'rectRot';
}

const ALIGNMENT_STYLE: Readonly<Record<AlignmentName, MethodStyle>> = {
  naive: { label: 'naive (no alignment)', colorVar: '--ml-naive', dash: [5, 3], pointStyle: 'circle' },
  weight: { label: 'weight matching', colorVar: '--ml-weight', dash: [], pointStyle: 'rect' },
  activation: { label: 'activation matching', colorVar: '--ml-activation', dash: [], pointStyle: 'triangle' },
  covariance: { label: 'covariance matching', colorVar: '--ml-covariance', dash: [], pointStyle: 'rectRot' },
};

/** A REPAIR variant looks like its alignment, paler (panel.css), dotted. */
export const METHOD_STYLE: Readonly<Record<MethodName, MethodStyle>> = Object.fromEntries([
  ...METHOD_NAMES.map((m) => [m, ALIGNMENT_STYLE[m]]),
  ...METHOD_NAMES.map((m) => [`${m}+repair`, { ...ALIGNMENT_STYLE[m], label: `${ALIGNMENT_STYLE[m].label} + REPAIR`, colorVar: `--ml-${m}-repair`, dash: [1.5, 2.5] }]),
]) as Record<MethodName, MethodStyle>;

/** The methods the report holds, in the canonical order. */
export function methodsOf(report: CompareReport): [MethodName, MethodResult][] {
  return ALL_METHOD_NAMES.flatMap((name) => {
    const result = report.methods[name];
    return result ? [[name, result] as [MethodName, MethodResult]] : [];
  });
}
