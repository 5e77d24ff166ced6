import { resolveCompareRequest } from '../../src/engine/compare/resolveRequest';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderHtmlReport } from '../../src/cli/htmlReport';
import type { CompareReport, MethodName, MethodResult } from '../../src/shared/compareReport';
import { METHOD_STYLE } from '../../src/shared/presentation/methodStyles';

const ALPHAS = [0, 0.25, 0.5, 0.75, 1];

function method(name: 'naive' | 'weight', overrides: Partial<MethodResult> = {}): MethodResult {
  const aligned = name === 'weight';
  return {
    method: name,
    path: { loss: aligned ? [0.2, 0.25, 0.31, 0.24, 0.21] : [0.2, 0.9, 1.7, 0.8, 0.21], accuracy: aligned ? [0.95, 0.94, 0.935, 0.94, 0.948] : [0.95, 0.7, 0.412, 0.72, 0.948] },
    barrier: aligned ? { loss: 0.1045, accuracy: 0.0142 } : { loss: 1.4947, accuracy: 0.537 },
    layerBarriers: [
      { layer: '<script>alert(1)</script>', loss: aligned ? 0.01 : 0.3, accuracy: aligned ? 0.002 : 0.05, path: { loss: [], accuracy: [] } },
      { layer: 'head', loss: aligned ? 0.02 : 0.1, accuracy: 0, path: { loss: [], accuracy: [] } },
    ],
    llfc: [{ layer: '<script>alert(1)</script>', cosine: aligned ? [1, 0.99, 0.98, 0.99, 1] : [1, 0.8, 0.62, 0.81, 1], scale: [1, 1, 1, 1, 1], baseline: aligned ? 0.71 : 0.12 }],
    matching: [{
      layer: '<script>alert(1)</script>',
      costBefore: 1.41,
      costAfter: aligned ? 0.93 : 1.41,
      correlationBefore: 0.04,
      correlationAfter: aligned ? 0.62 : 0.04,
      permutation: aligned ? [2, 0, 1, 3] : [0, 1, 2, 3],
      unitCosts: [0.5, 0.6, 0.7, 0.4],
      wasserstein: { identity: 0.9, aligned: aligned ? 0.5 : 0.9, optimal: 0.48, covariance: { identity: 2.5, aligned: aligned ? 1.25 : 2.5, optimal: 1.125 } },
    }],
    conditions: {
      samples: 200,
      additivity: [{
        layer: '<script>alert(1)</script>',
        dissimilarity: { flat: aligned ? 0.0123 : 0.0456, mean: aligned ? 0.0134 : 0.0467 },
        coefficient: { flat: 0.98, mean: 0.97 },
        shuffled: { dissimilarity: { flat: 0.0789, mean: 0.0791 }, coefficient: { flat: 0.91, mean: 0.9 } },
      }],
      commutativity: [
        { layer: '<script>alert(1)</script>', distance: aligned ? 0.3125 : 0.8125, dissimilarity: { flat: 0.05, mean: 0.06 }, shuffled: { distance: 1.0625, dissimilarity: { flat: 0.5, mean: 0.51 } } },
        { layer: 'head', distance: aligned ? 0.00042 : 0.6875, dissimilarity: { flat: 0.04, mean: 0.05 }, shuffled: { distance: 0.9375, dissimilarity: { flat: 0.4, mean: 0.41 } } },
      ],
    },
    equivalent: true,
    equivalenceError: aligned ? 2.1e-7 : 0,
    seconds: aligned ? 0.0312 : 0,
    details: aligned ? { sweeps: 3, note: 'a "quoted" <b>detail</b>' } : {},
    ...overrides,
  };
}

function report(overrides: Partial<CompareReport> = {}): CompareReport {
  return {
    version: 3,
    createdAt: '2025-01-02T03:04:05Z',
    tool: 'merge-lens 0.1.0',
    request: resolveCompareRequest({ a: '/models/a&b.safetensors', b: '/models/"b".pt', data: 'eval.npz', fitData: 'fit.npz', methods: ['naive', 'weight'], alphas: ALPHAS.length }),
    checkpoints: { a: { file: '/models/a&b.safetensors', format: 'safetensors' }, b: { file: '/models/"b".pt', format: 'pytorch' } },
    data: {
      evaluation: { file: 'eval.npz', count: 600, inputShape: [784], numClasses: 10 },
      fit: { file: 'fit.npz', count: 300, inputShape: [784], numClasses: 10 },
    },
    equivalenceInputs: 'evaluation',
    architecture: { kind: 'mlp', activation: 'relu', inputSize: 784, inputShape: [784], outputSize: 10, description: null, notes: [], normalization: null },
    layers: [
      { name: '<script>alert(1)</script>', kind: 'linear', width: 4, permuted: true, group: '<script>alert(1)</script>', batchNorm: null },
      { name: 'head', kind: 'linear', width: 10, permuted: false, group: null, batchNorm: null },
    ],
    groups: [{ name: '<script>alert(1)</script>', size: 4, layers: ['<script>alert(1)</script>'] }],
    bnReset: null,
    alphas: ALPHAS,
    backend: 'wasm',
    backendDetail: 'wasm (SIMD, 1 thread)',
    methods: { naive: method('naive'), weight: method('weight') },
    dimS: [{ layer: '<script>alert(1)</script>', a: 3.25, b: 3.5 }, { layer: 'head', a: 1.75, b: 1.5 }],
    warnings: ['layer <i>x</i> had 2 dead units'],
    ...overrides,
  };
}

test('one self-contained page: the strict CSP, no script, no URL to fetch', () => {
  const html = renderHtmlReport(report());
  assert.match(html, /^<!DOCTYPE html>/);
  assert.ok(html.includes(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`));
  assert.doesNotMatch(html, /https?:/i);
  assert.doesNotMatch(html, /<script/i);
  assert.doesNotMatch(html, /\b(?:src|href)=/i);
});

test('one <svg> per chart: loss, accuracy, two per-layer bar charts, an LLFC map per method and its scale, LLFC beside its two conditions, a permutation per hidden layer, W2 beside Dim(S) and covariance W2', () => {
  const html = renderHtmlReport(report());
  const charts = [...html.matchAll(/<svg [^>]*aria-label="([^"]*)"/g)].map((m) => m[1]);
  assert.deepEqual(charts, [
    'cross-entropy loss along the interpolation path, one line per method',
    'accuracy along the interpolation path, one line per method',
    'loss barrier per layer, one bar per method',
    'accuracy barrier per layer, one bar per method',
    'layerwise feature cosine along the path for naive (no alignment)',
    'layerwise feature cosine along the path for weight matching',
    'colour scale of the feature cosine',
    'LLFC cosine (mean cosine at α = 0.50) per layer, one bar per method',
    'Weak additivity (1 − cos, whole tensor) per layer, one bar per method beside its shuffled baseline (outlined)',
    'Commutativity (relative distance) per layer, one bar per method beside its shuffled baseline (outlined)',
    'permutation of layer &lt;script&gt;alert(1)&lt;/script&gt; found by weight matching',
    'W2 between A&#39;s and B&#39;s neurons per layer, after each alignment beside the optimum (outlined)',
    'Dim(S) = tr(S)² / tr(S²) per layer, model A beside model B',
    'covariance-weighted W2 per layer, after each alignment beside the optimum (outlined)',
  ]);
  assert.equal((html.match(/<svg /g) ?? []).length, (html.match(/<\/svg>/g) ?? []).length);
});

test('every string from the report is escaped: a layer named <script> stays text', () => {
  const html = renderHtmlReport(report());
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.ok(html.includes('/models/a&amp;b.safetensors'));
  assert.ok(html.includes('/models/&quot;b&quot;.pt'));
  assert.ok(html.includes('layer &lt;i&gt;x&lt;/i&gt; had 2 dead units'));
  assert.ok(html.includes('note = a &quot;quoted&quot; &lt;b&gt;detail&lt;/b&gt;'));
  assert.doesNotMatch(html, /<i>x<\/i>|<b>detail<\/b>/);
});

test('the table carries the report\'s numbers: barriers, endpoint and midpoint accuracies, equivalence, seconds, backend', () => {
  const html = renderHtmlReport(report());
  const table = html.slice(html.indexOf('Table 1.'), html.indexOf('</table>', html.indexOf('Table 1.')));
  const weightRow = table.slice(table.indexOf('<td>weight matching</td>'));
  for (const text of ['0.1045', '1.42%', '95.00%', '94.80%', '93.50%', '0.03 s', '✓ passed', '2.1×10⁻⁷']) assert.ok(weightRow.includes(text), text);
  const naiveRow = table.slice(table.indexOf('<td>naive (no alignment)</td>'), table.indexOf('<td>weight matching</td>'));
  for (const text of ['1.4947', '53.70%', '41.20%']) assert.ok(naiveRow.includes(text), text);
  assert.match(html, /Backend<\/dt><dd>TensorFlow\.js wasm/);
});

/** The HTML between a table's title and its end. */
function tableAfter(html: string, title: string): string {
  const start = html.indexOf(title);
  assert.ok(start >= 0, title);
  return html.slice(start, html.indexOf('</table>', start));
}

test('Why LLFC holds: per layer and method the LLFC cosine at α = 0.5, weak additivity and commutativity with their shuffled baselines, the layers paired by name', () => {
  const html = renderHtmlReport(report());
  const table = tableAfter(html, 'Table 2. LLFC and its two conditions per layer');
  assert.ok(table.includes('<th class="num">LLFC cosine at α = 0.50</th><th class="num">Additivity 1 − cos</th><th class="num">shuffled</th><th class="num">Commutativity distance</th><th class="num">shuffled</th>'));
  // The ReLU after the hidden layer pairs with it (one row per method, the layer named once); the logits have commutativity only.
  assert.ok(table.includes(
    '<tr class="layer-start"><td rowspan="2">&lt;script&gt;alert(1)&lt;/script&gt;</td><td>naive (no alignment)</td>' +
      '<td class="num">0.6200</td><td class="num">0.0456</td><td class="num">0.0789</td><td class="num">0.8125</td><td class="num">1.0625</td></tr>' +
      '<tr><td>weight matching</td><td class="num">0.9800</td><td class="num">0.0123</td><td class="num">0.0789</td><td class="num">0.3125</td><td class="num">1.0625</td></tr>',
  ), table);
  assert.ok(table.includes(
    '<tr class="layer-start"><td rowspan="2">head</td><td>naive (no alignment)</td><td class="num">–</td><td class="num">–</td><td class="num">–</td><td class="num">0.6875</td><td class="num">0.9375</td></tr>' +
      '<tr><td>weight matching</td><td class="num">–</td><td class="num">–</td><td class="num">–</td><td class="num">4.20×10⁻⁴</td><td class="num">0.9375</td></tr>',
  ), table);
  assert.match(html, /<b>Figure 4\.<\/b> Per layer and method, on 200 evaluation samples\./);
  // The shuffled baselines are outlined bars beside each method's, named in their tooltip.
  const start = html.indexOf('aria-label="Commutativity');
  const chart = html.slice(start, html.indexOf('</svg>', start));
  assert.match(chart, new RegExp(`<rect [^>]*fill="none" stroke="${METHOD_STYLE.weight.color.light}" stroke-width="1\\.2"><title>head, weight matching, shuffled: 0\\.9375</title>`));
  assert.match(chart, new RegExp(`<rect [^>]*fill="${METHOD_STYLE.weight.color.light}"><title>&lt;script&gt;alert\\(1\\)&lt;/script&gt;, weight matching: 0\\.3125</title>`));
  assert.doesNotMatch(chart, />weight matching, shuffled<\/text>/, 'the legend names each method once');
});

test('a residual network\'s rows in network order: a convolution feeding the sum has commutativity only, the activation after the sum LLFC and additivity only, the logits last', () => {
  const layer = (name: string, permuted = true) => ({ name, kind: 'conv' as const, width: 4, permuted, group: permuted ? 'conv1' : null, batchNorm: null });
  const activations = ['conv1', 'layer1.0.conv1', 'layer1.0'];
  const weighted = ['conv1', 'layer1.0.conv1', 'layer1.0.conv2', 'fc'];
  const conditions = {
    samples: 50,
    additivity: activations.map((name, k) => ({ layer: name, dissimilarity: { flat: 0.01 * (k + 1), mean: 0 }, coefficient: { flat: 1, mean: 1 }, shuffled: { dissimilarity: { flat: 0.5, mean: 0 }, coefficient: { flat: 1, mean: 1 } } })),
    commutativity: weighted.map((name, k) => ({ layer: name, distance: 0.1 * (k + 1), dissimilarity: { flat: 0, mean: 0 }, shuffled: { distance: 0.9, dissimilarity: { flat: 0, mean: 0 } } })),
  };
  const llfc = activations.map((name) => ({ layer: name, cosine: [1, 0.9, 0.8, 0.9, 1], scale: [1, 1, 1, 1, 1], baseline: 0.5 }));
  const html = renderHtmlReport(report({
    layers: [...weighted.slice(0, 3).map((n) => layer(n)), { ...layer('fc', false), kind: 'linear' }],
    groups: [{ name: 'conv1', size: 4, layers: ['conv1', 'layer1.0.conv2'] }],
    methods: { weight: method('weight', { llfc, conditions }) },
  }));
  const table = tableAfter(html, 'Table 2.');
  const rows = [...table.matchAll(/<tr class="layer-start"><td rowspan="1">([^<]*)<\/td><td>weight matching<\/td>((?:<td class="num">[^<]*<\/td>)*)<\/tr>/g)]
    .map((m) => [m[1], ...[...m[2]!.matchAll(/<td class="num">([^<]*)<\/td>/g)].map((c) => c[1])]);
  assert.deepEqual(rows, [
    ['conv1', '0.8000', '0.0100', '0.5000', '0.1000', '0.9000'],
    ['layer1.0.conv1', '0.8000', '0.0200', '0.5000', '0.2000', '0.9000'],
    ['layer1.0.conv2', '–', '–', '–', '0.3000', '0.9000'],
    ['layer1.0', '0.8000', '0.0300', '0.5000', '–', '–'],
    ['fc', '–', '–', '–', '0.4000', '0.9000'],
  ]);
});

test('Table 3: W2 and covariance W2 before, after and optimal beside Dim(S), every "before" and Dim(S) once per layer; the logits keep their Dim(S) row', () => {
  const html = renderHtmlReport(report());
  const table = tableAfter(html, 'Table 3. How well the hidden units are matched');
  assert.ok(table.includes('<th class="group" colspan="3">W2</th><th class="group" colspan="3">covariance W2</th><th class="group" colspan="2">Dim(S)</th>'), table);
  assert.ok(table.includes(
    '<tr class="layer-start"><td rowspan="2">&lt;script&gt;alert(1)&lt;/script&gt;</td><td>naive (no alignment)</td>' +
      '<td rowspan="2" class="num">1.410</td><td class="num">1.410</td><td rowspan="2" class="num">0.040</td><td class="num">0.040</td>' +
      '<td rowspan="2" class="num">0.900</td><td class="num">0.900</td><td class="num">0.480</td>' +
      '<td rowspan="2" class="num">2.500</td><td class="num">2.500</td><td class="num">1.125</td>' +
      '<td rowspan="2" class="num">3.25</td><td rowspan="2" class="num">3.50</td><td class="num">0 / 4</td></tr>' +
      '<tr><td>weight matching</td><td class="num">0.930</td><td class="num">0.620</td><td class="num">0.500</td><td class="num">0.480</td><td class="num">1.250</td><td class="num">1.125</td><td class="num">3 / 4</td></tr>',
  ), table);
  assert.ok(table.includes('<tr class="layer-start"><td>head</td><td colspan="11" class="details">not matched: the outputs keep their order</td><td class="num">1.75</td><td class="num">1.50</td><td></td></tr>'), table);
  assert.match(html, /<b>Figure 6\.<\/b> Neurons as points/);
});

test('a failed equivalence check is shown in red and the row marked invalid; the permutation figure skips that method', () => {
  const html = renderHtmlReport(report({ methods: { naive: method('naive'), weight: method('weight', { equivalent: false, equivalenceError: 0.0032 }) } }));
  assert.match(html, /<tr class="invalid"><td>weight matching<\/td>/);
  assert.match(html, /<span class="fail">✗ failed<\/span> <span class="details">\(output difference 3\.2×10⁻³; result invalid\)/);
  assert.doesNotMatch(html, /aria-label="permutation of/);
});

test('a report with no method result still renders, and says so', () => {
  const html = renderHtmlReport(report({ methods: {} }));
  assert.match(html, /No method produced a result\./);
  assert.doesNotMatch(html, /<svg/);
});

test('the aligned permutation is drawn cell by cell: A unit i against B unit perm[i]', () => {
  const html = renderHtmlReport(report());
  const figure = html.slice(html.indexOf('aria-label="permutation of'));
  for (const [i, j] of [[0, 2], [1, 0], [2, 1], [3, 3]]) assert.ok(figure.includes(`<title>A unit ${i} ↔ B unit ${j}</title>`), `${i}→${j}`);
  assert.match(html, /3 of 4 units moved/);
});

test('weights only: no path figures, dashes for the barriers, and the page says why', () => {
  const weightsOnly = (name: 'naive' | 'weight') =>
    method(name, { path: null, barrier: null, layerBarriers: [], llfc: [], conditions: null, matching: method(name).matching.map((m) => ({ ...m, correlationBefore: null, correlationAfter: null, wasserstein: { ...m.wasserstein, covariance: null } })) });
  const html = renderHtmlReport(report({ data: null, equivalenceInputs: 'random', methods: { naive: weightsOnly('naive'), weight: weightsOnly('weight') } }));
  const charts = [...html.matchAll(/<svg [^>]*aria-label="([^"]*)"/g)].map((m) => m[1]);
  assert.deepEqual(charts, [
    'permutation of layer &lt;script&gt;alert(1)&lt;/script&gt; found by weight matching',
    'W2 between A&#39;s and B&#39;s neurons per layer, after each alignment beside the optimum (outlined)',
    'Dim(S) = tr(S)² / tr(S²) per layer, model A beside model B',
  ]);
  assert.match(html, /Evaluation data<\/dt><dd>none \(weights only\)/);
  assert.match(html, /Weights only: no evaluation data was given, so the path, the barriers, the per-layer barriers, LLFC and its conditions \(Figures 1–4, Table 2\) are not measured/);
  assert.match(html, /<h2>Why LLFC holds: its two conditions<\/h2><p class="caption">No LLFC and no conditions: both are measured on evaluation data, and this comparison had none \(weights only\)\. Give evaluation data to measure LLFC and its conditions\.<\/p>/);
  // No covariance W2 without data: dashes in its columns.
  assert.match(tableAfter(html, 'Table 3.'), /<td rowspan="2" class="num">–<\/td><td class="num">–<\/td><td class="num">–<\/td>/);
  assert.match(html, /256 seeded standard-normal inputs/);
  const table = html.slice(html.indexOf('Table 1.'), html.indexOf('</table>', html.indexOf('Table 1.')));
  const weightRow = table.slice(table.indexOf('<td>weight matching</td>'));
  assert.equal((weightRow.match(/<td class="num">–<\/td>/g) ?? []).length, 5);
  assert.match(html, /<td rowspan="2" class="num">n\/a<\/td><td class="num">n\/a<\/td>/);
});

test('the figures draw each method as the presentation table says: its colour, dash and marker, REPAIR dotted in its alignment\'s colour', () => {
  const repaired = { ...method('weight'), method: 'weight+repair' as const, layerBarriers: [], llfc: [], matching: [] };
  const html = renderHtmlReport(report({ methods: { naive: method('naive'), weight: method('weight'), 'weight+repair': repaired } }));
  const start = html.indexOf('aria-label="cross-entropy loss');
  const loss = html.slice(start, html.indexOf('</svg>', start));
  const methods: MethodName[] = ['naive', 'weight', 'weight+repair'];
  const lines = [...loss.matchAll(/<path d="[^"]*" fill="none" stroke="([^"]+)" stroke-width="1\.8" stroke-linejoin="round"(?: stroke-dasharray="([^"]+)")?\/>/g)].map((m) => [m[1], m[2] ?? '']);
  assert.deepEqual(lines, methods.map((m) => [METHOD_STYLE[m].color.light, METHOD_STYLE[m].dash.join(' ')]));
  assert.deepEqual(lines.map(([, dash]) => dash), ['5 3', '', '1.5 2.5']);
  const shape = { circle: 'circle', square: 'rect', triangle: 'path', diamond: 'path' } as const;
  for (const m of methods) {
    const { color, marker, label } = METHOD_STYLE[m];
    assert.match(loss, new RegExp(`<${shape[marker]} [^>]*fill="${color.light}" stroke="#ffffff" stroke-width="0\\.6"><title>${label.replace(/[()+]/g, '\\$&')}: `), m);
    assert.ok(loss.includes(`>${label}</text>`), `legend names ${label}`);
  }
  assert.ok(html.includes('<td>weight matching + REPAIR</td>'));
  // The permutation figure is drawn in the best method's colour.
  assert.match(html, new RegExp(`aria-label="permutation of [^"]*"[^]*fill="${METHOD_STYLE.weight.color.light}" fill-opacity="1\\.00"`));
});
