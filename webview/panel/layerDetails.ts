/** One layer's matching costs and W2 for every method, and its Dim(S): the Layers tab's hover card and detail box. */
import type { CompareReport } from '../../src/shared/compareReport';
import { formatNumber } from '../../src/shared/presentation/formatNumbers';
import { layerCosts } from '../../src/shared/presentation/layerCosts';
import { layerLabel } from '../../src/shared/presentation/layerLabel';
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
  // The side bar's layer tooltip prints the same table (layerCosts), so both round alike.
  const { matched, covariance, headers, rows, dimensions: dimText } = layerCosts(report, layer);
  const dimensions = dimText ? element('p', dimText, 'card-dims') : null;
  if (rows.length > 0) {
    const cov = DISTANCE_TEXT.covariance;
    nodes.push(table(null, headers, rows));
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
