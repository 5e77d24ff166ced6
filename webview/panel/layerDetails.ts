/** One layer's matching costs and W2 for every method, and its Dim(S): the Layers tab's hover card and detail box. */
import type { CompareReport } from '../../src/shared/compareReport';
import { formatNumber, formatOptional } from '../../src/shared/presentation/formatNumbers';
import { layerLabel } from '../../src/shared/presentation/layerLabel';
import { METHOD_STYLE, methodsOf } from '../../src/shared/presentation/methodStyles';
import { DISTANCE_TEXT } from '../../src/shared/presentation/neuronDistances';
import { element, table } from './dom';

export function layerDetails(report: CompareReport, layer: string): Node[] {
  const summary = report.layers.find((l) => l.name === layer);
  const units = summary?.kind === 'conv' ? 'channels' : 'units';
  const heading = element('p', `${layerLabel(layer)}${summary ? ` · ${summary.kind === 'conv' ? 'convolution' : 'linear'}, ${summary.width} ${units}${summary.batchNorm ? `, BatchNorm ${summary.batchNorm}` : ''} · ${summary.permuted ? 'permuted' : 'not permuted (the outputs)'}` : ''}`, 'card-title');
  const nodes: Node[] = [heading];
  // A layer writing into a residual stage is matched with the stage's group, named by its first layer.
  const groupName = summary?.group ?? layer;
  const group = report.groups.find((g) => g.name === groupName);
  if (group && group.layers.length > 1) {
    nodes.push(element('p', `Residual group ${layerLabel(group.name)}: ${group.layers.length} layers share one permutation of its ${group.size} ${units} (${group.layers.map(layerLabel).join(', ')}).`, 'card-note'));
  }
  const matched = methodsOf(report).flatMap(([method, r]) => {
    const m = r.matching.find((x) => x.layer === groupName);
    return m ? [[method, m] as const] : [];
  });
  // Covariance W2 is measured on the fit data: its columns show only when some method has it.
  const covariance = matched.some(([, m]) => m.wasserstein.covariance !== null);
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
  const dimensions = dim ? element('p', `Dim(S): A ${formatNumber(dim.a, 2)}, B ${formatNumber(dim.b, 2)}`, 'card-dims') : null;
  if (rows.length > 0) {
    const w2 = DISTANCE_TEXT.w2;
    const cov = DISTANCE_TEXT.covariance;
    nodes.push(table(null, ['Method', 'Cost before', 'Cost after', 'Corr. before', 'Corr. after', w2, `${w2} optimal`, ...(covariance ? [`Cov. ${w2}`, `Cov. ${w2} optimal`] : [])], rows));
    // Dim(S) right under the W2 columns: Ferbach et al. read the two together.
    if (dimensions) nodes.push(dimensions);
    const before = matched[0]?.[1].wasserstein;
    nodes.push(
      element(
        'p',
        `Cost: ‖W_A − P·W_B·Qᵀ‖ / ‖W_A‖ (before: no permutation). Corr.: mean correlation of matched units' activations on the fit data. ` +
          `W2: Wasserstein-2 distance between A's and B's neurons after the method, and the best over permutations given the method's inputs` +
          `${before ? ` (before alignment ${formatNumber(before.identity, 4)}${before.covariance ? `; ${cov} ${formatNumber(before.covariance.identity, 4)}` : ''})` : ''}.` +
          `${covariance ? ' Covariance W2: the same, each unit\'s cost weighted by the second moment of its inputs on the fit data (what covariance matching minimises).' : ''}`,
        'card-note',
      ),
    );
  } else {
    if (summary && !summary.permuted) nodes.push(element('p', 'The output units keep their order: no matching here.', 'card-note'));
    if (dimensions) nodes.push(dimensions);
  }
  return nodes;
}
