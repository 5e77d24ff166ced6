/** One layer's matching costs and W2 for every method, and its Dim(S): the Layers tab's hover card and detail box. */
import type { CompareReport } from '../../src/shared/compareReport';
import { formatNumber } from '../../src/shared/presentation/formatNumbers';
import { layerCosts } from '../../src/shared/presentation/layerCosts';
import { layerLabel } from '../../src/shared/presentation/layerLabel';
import { headMovesText, headPairsText } from '../../src/shared/presentation/headMatching';
import { METHOD_STYLE, methodsOf } from '../../src/shared/presentation/methodStyles';
import { DISTANCE_TEXT } from '../../src/shared/presentation/neuronDistances';
import { groupLabel, layerInBlockLabel, layerNameLabel, nameLabel, partOf, type TransformerPart } from '../../src/shared/presentation/transformerParts';
import { element, table } from './dom';

export function layerDetails(report: CompareReport, layer: string): Node[] {
  const part = partOf(report, layer);
  if (part) return partDetails(report, part);
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

/**
 * A transformer part's card: its layers, then each of its permutation groups' matching costs (the
 * same table as a layer's), and for an attention each method's head matching and the heads' Dim(S).
 */
function partDetails(report: CompareReport, part: TransformerPart): Node[] {
  const layers = part.layers.map((l) => layerInBlockLabel(report, l));
  const nodes: Node[] = [element('p', `${nameLabel(report, part.name)}${layers.length ? ` · ${layers.length} layer${layers.length === 1 ? '' : 's'} with weights (${layers.join(', ')})` : ''}`, 'card-title')];
  if (part.kind === 'head') nodes.push(element('p', 'The outputs keep their order: no matching here; the head reads the residual stream, matched with the embeddings.', 'card-note'));
  for (const group of part.groups) {
    const { headers, rows, dimensions } = layerCosts(report, group);
    const size = report.groups.find((g) => g.name === group)?.size;
    nodes.push(element('p', `${groupLabel(report, group)}${size === undefined ? '' : `: ${size} units`}`, 'card-group'));
    if (rows.length > 0) nodes.push(table(null, headers, rows));
    if (dimensions) nodes.push(element('p', `${dimensions} (${layerNameLabel(report, group)})`, 'card-dims'));
  }
  if (part.kind === 'attention') {
    const matchings = methodsOf(report).flatMap(([m, r]) => {
      const h = r.heads?.find((x) => x.block === part.block);
      return h ? [[m, h] as const] : [];
    });
    if (matchings.length > 0) {
      nodes.push(table(null, ['Method', 'Heads (A→B)', 'Head matching'], matchings.map(([m, h]) => [METHOD_STYLE[m].label, headPairsText(h), headMovesText(h)]), 3));
      const dim = report.dimS.find((d) => d.layer === `${matchings[0]![1].attention} heads`);
      if (dim) nodes.push(element('p', `Dim(S) of the heads as points: A ${formatNumber(dim.a, 2)}, B ${formatNumber(dim.b, 2)}`, 'card-dims'));
    }
  }
  if (part.groups.length > 0) nodes.push(element('p', 'Cost: ‖W_A − P·W_B·Qᵀ‖ / ‖W_A‖ over the group\'s layers (before: no permutation). Corr.: mean correlation of matched units\' activations on the fit data. W2: Wasserstein-2 distance between A\'s and B\'s units after the method, and the best over permutations given the method\'s inputs.', 'card-note'));
  return nodes;
}
