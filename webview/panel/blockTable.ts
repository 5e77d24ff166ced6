/**
 * A transformer's measurements by block, in network order: per part (the embeddings, each block's
 * attention, MLP and whole block, the head) its loss barrier when only it is interpolated, and
 * where LLFC is measured there (an MLP's hidden units, the residual stream after a block) the LLFC
 * cosine at the α nearest 0.5, one column per method.
 */
import type { CompareReport, MethodName } from '../../src/shared/compareReport';
import { formatNumber } from '../../src/shared/presentation/formatNumbers';
import { llfcAlphaIndex } from '../../src/shared/presentation/llfcConditions';
import { METHOD_STYLE, methodsOf } from '../../src/shared/presentation/methodStyles';
import type { TransformerOutline, TransformerPart } from '../../src/shared/presentation/transformerParts';
import { element } from './dom';

/** The LLFC entry a part is measured by: an MLP's hidden units (its group), a block's output (the block). */
function llfcName(part: TransformerPart): string | null {
  if (part.kind === 'mlp') return part.groups[0] ?? null;
  return part.kind === 'block' ? part.name : null;
}

export function blockTable(report: CompareReport, outline: TransformerOutline): HTMLElement | null {
  const methods = methodsOf(report);
  const withBarriers = methods.filter(([, r]) => r.layerBarriers.length > 0);
  const withLlfc = methods.filter(([, r]) => r.llfc.length > 0);
  if (withBarriers.length === 0 && withLlfc.length === 0) return null;
  const middle = llfcAlphaIndex(report);
  const barrier = (method: MethodName, part: TransformerPart) => {
    const b = report.methods[method]!.layerBarriers.find((x) => x.layer === part.name);
    return b ? formatNumber(b.loss, 4) : '–';
  };
  const llfc = (method: MethodName, part: TransformerPart) => {
    const name = llfcName(part);
    const l = name === null ? undefined : report.methods[method]!.llfc.find((x) => x.layer === name);
    return l ? formatNumber(l.cosine[middle] ?? NaN, 4) : '–';
  };
  const alpha = formatNumber(report.alphas[middle] ?? 0.5, 2);
  // One column group per method: its loss barrier, then its LLFC, under the method's name.
  const columns = methods.flatMap(([m]) => [
    ...(withBarriers.some(([x]) => x === m) ? [{ method: m, text: 'loss barrier', value: (p: TransformerPart) => barrier(m, p) }] : []),
    ...(withLlfc.some(([x]) => x === m) ? [{ method: m, text: `LLFC at α = ${alpha}`, value: (p: TransformerPart) => llfc(m, p) }] : []),
  ]);
  const node = element('table', undefined, 'data-table block-table');
  const groups = element('tr');
  const corner = element('th', '');
  corner.setAttribute('scope', 'col');
  groups.append(corner);
  for (const [m] of methods) {
    const span = columns.filter((c) => c.method === m).length;
    if (span === 0) continue;
    const th = element('th', METHOD_STYLE[m].label, 'method-group');
    th.setAttribute('scope', 'colgroup');
    th.colSpan = span;
    groups.append(th);
  }
  const names = element('tr');
  for (const text of ['Part', ...columns.map((c) => c.text)]) {
    const th = element('th', text, text === 'Part' ? undefined : 'num');
    th.setAttribute('scope', 'col');
    names.append(th);
  }
  const thead = element('thead');
  thead.append(groups, names);
  const tbody = element('tbody');
  for (const part of outline.parts) {
    const tr = element('tr');
    tr.dataset.part = part.name;
    // Each block's rows read as one: a rule above a block's first part, and above the head.
    if (part.kind === 'attention' || part.kind === 'head') tr.classList.add('block-start');
    const th = element('th', part.label);
    th.setAttribute('scope', 'row');
    tr.append(th, ...columns.map((c) => element('td', c.value(part), 'num')));
    tbody.append(tr);
  }
  node.append(thead, tbody);
  const figure = element('figure', undefined, 'figure blocks');
  figure.dataset.figure = 'blocks';
  figure.append(
    element('h2', 'By block: barriers and LLFC'),
    node,
    element(
      'figcaption',
      `Loss barrier: only that part interpolated between A and aligned B, the rest held at A (a block's attention and MLP each with the norm before it; the head with the final norm). LLFC: the cosine between the features of θ(α) and the mix of the endpoints' features at α = ${alpha}, measured on each MLP's hidden units (the MLP row) and on the residual stream after each block (the whole-block row). – where the part has no such measurement.`,
      'caption',
    ),
  );
  return figure;
}
