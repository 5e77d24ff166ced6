/**
 * Ferbach et al.'s picture of a layer, as the HTML report and the results panel show it: the
 * Wasserstein-2 distance between A's and B's neurons beside Dim(S), with the same words and the
 * same look for the two models.
 */
import type { CompareReport, LayerDimension, LayerMatching } from '../compareReport';
import { OKABE_ITO, type MethodColor } from './methodStyles';

/** A and B in the Dim(S) figures: colours no method uses (METHOD_STYLE), so a model is never read as a method. */
export const MODEL_STYLE: Readonly<Record<'a' | 'b', { readonly label: string; readonly color: MethodColor }>> = {
  a: { label: 'model A', color: { light: OKABE_ITO.orange, dark: OKABE_ITO.orange } },
  b: { label: 'model B', color: { light: OKABE_ITO.purple, dark: OKABE_ITO.purple } },
};

/** Dim(S) of the layer a matching entry names (a residual group is named by its first layer); null when there is none. */
export function dimensionOf(report: CompareReport, matching: Pick<LayerMatching, 'layer'>): LayerDimension | null {
  return report.dimS.find((d) => d.layer === matching.layer) ?? null;
}

export const DISTANCE_TEXT = {
  w2: 'W2',
  covariance: 'covariance W2',
  before: 'before',
  after: 'after',
  optimal: 'optimal',
  dimS: 'Dim(S)',
  w2Axis: 'W2 between A\'s and B\'s neurons',
  covarianceAxis: 'covariance-weighted W2',
  dimSAxis: 'Dim(S) = tr(S)² / tr(S²)',
  notes: {
    w2: 'W2: the Wasserstein-2 distance between the layer\'s neurons in A and in B (each unit a point, the parameters that write it; Ferbach et al.), √((1/n)·Σ_i ‖a_i − b_σ(i)‖²) with σ the identity (before), the method\'s permutation (after) and the best one given the method\'s permutation of the inputs (optimal). Naive\'s "after" is "before".',
    covariance: 'Covariance W2: the same with the cost (a − b)ᵀ Σ (a − b), Σ the second moment of the layer\'s inputs on the fit data, the quantity covariance matching minimises; it needs data.',
    dimS: 'Dim(S) = tr(S)² / tr(S²), S the covariance of the layer\'s unit weight vectors: how many directions the weights spread over. In Ferbach et al.\'s bound W2 falls with the width n as n^(−1/Dim(S)): the lower Dim(S), the closer two networks\' neurons can be matched.',
    residual: 'A residual group is named by its first layer: its W2 is over the group\'s units, its Dim(S) that layer\'s.',
  },
} as const;
