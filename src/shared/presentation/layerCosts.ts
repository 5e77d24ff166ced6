/**
 * One layer's matching costs, W2 and Dim(S) as text: the rows of the panel's layer card and of the
 * side bar's layer tooltip, so that both print every number to the same decimals.
 */
import type { CompareReport, LayerMatching, MethodName } from '../compareReport';
import { formatNumber, formatOptional } from './formatNumbers';
import { METHOD_STYLE, methodsOf } from './methodStyles';
import { DISTANCE_TEXT } from './neuronDistances';

export interface LayerCosts {
  /** Each method's matching entry for the layer (a residual group's, for a layer writing into one). */
  readonly matched: readonly (readonly [MethodName, LayerMatching])[];
  /** Whether any method has covariance W2 (measured on the fit data): its columns show only then. */
  readonly covariance: boolean;
  readonly headers: readonly string[];
  /** One row per matched method, its label first. */
  readonly rows: readonly (readonly string[])[];
  /** "Dim(S): A 36.66, B 35.12", or null where Dim(S) was not measured. */
  readonly dimensions: string | null;
}

export function layerCosts(report: CompareReport, layer: string): LayerCosts {
  const summary = report.layers.find((l) => l.name === layer);
  // A layer writing into a residual stage is matched with the stage's group, named by its first layer.
  const groupName = summary?.group ?? layer;
  const matched = methodsOf(report).flatMap(([method, r]) => {
    const m = r.matching.find((x) => x.layer === groupName);
    return m ? [[method, m] as const] : [];
  });
  const covariance = matched.some(([, m]) => m.wasserstein.covariance !== null);
  const w2 = DISTANCE_TEXT.w2;
  const headers = ['Method', 'Cost before', 'Cost after', 'Corr. before', 'Corr. after', w2, `${w2} optimal`, ...(covariance ? [`Cov. ${w2}`, `Cov. ${w2} optimal`] : [])];
  const rows = matched.map(([method, m]) => [
    METHOD_STYLE[method].label,
    formatNumber(m.costBefore, 4),
    formatNumber(m.costAfter, 4),
    formatOptional(m.correlationBefore, 4),
    formatOptional(m.correlationAfter, 4),
    formatNumber(m.wasserstein.aligned, 4),
    formatNumber(m.wasserstein.optimal, 4),
    ...(covariance ? [formatOptional(m.wasserstein.covariance?.aligned, 4), formatOptional(m.wasserstein.covariance?.optimal, 4)] : []),
  ]);
  const dim = report.dimS.find((d) => d.layer === layer);
  const dimensions = dim ? `Dim(S): A ${formatNumber(dim.a, 2)}, B ${formatNumber(dim.b, 2)}` : null;
  return { matched, covariance, headers, rows, dimensions };
}
