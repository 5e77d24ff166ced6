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
      wasserstein: { identity: 0.9, aligned: aligned ? 0.5 : 0.9, optimal: 0.48, covariance: null },
    }],
    conditions: null,
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
    dimS: [{ layer: '<script>alert(1)</script>', a: 3.25, b: 3.5 }],
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

test('one <svg> per chart: loss, accuracy, two per-layer bar charts, an LLFC map per method and its scale, a permutation per hidden layer', () => {
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
    'permutation of layer &lt;script&gt;alert(1)&lt;/script&gt; found by weight matching',
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
  // Table 3: Dim(S).
  assert.match(html, /<td class="num">3\.25<\/td><td class="num">3\.50<\/td>/);
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
    method(name, { path: null, barrier: null, layerBarriers: [], llfc: [], matching: method(name).matching.map((m) => ({ ...m, correlationBefore: null, correlationAfter: null })) });
  const html = renderHtmlReport(report({ data: null, equivalenceInputs: 'random', methods: { naive: weightsOnly('naive'), weight: weightsOnly('weight') } }));
  const charts = [...html.matchAll(/<svg [^>]*aria-label="([^"]*)"/g)].map((m) => m[1]);
  assert.deepEqual(charts, ['permutation of layer &lt;script&gt;alert(1)&lt;/script&gt; found by weight matching']);
  assert.match(html, /Evaluation data<\/dt><dd>none \(weights only\)/);
  assert.match(html, /Weights only: no evaluation data was given, so the path, the barriers, the per-layer barriers and LLFC \(Figures 1–3\) are not measured/);
  assert.match(html, /256 seeded standard-normal inputs/);
  const table = html.slice(html.indexOf('Table 1.'), html.indexOf('</table>', html.indexOf('Table 1.')));
  const weightRow = table.slice(table.indexOf('<td>weight matching</td>'));
  assert.equal((weightRow.match(/<td class="num">–<\/td>/g) ?? []).length, 5);
  assert.match(html, /<td class="num">n\/a<\/td><td class="num">n\/a<\/td>/);
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
