import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveCompareRequest } from '../../src/engine/compare/resolveRequest';
import { layersViewItems, layerTooltip, sameItems, type ComparisonState } from '../../src/extension/layersViewItems';
import type { CompareReport, LayerMatching, MethodResult } from '../../src/shared/compareReport';
import { layerCosts } from '../../src/shared/presentation/layerCosts';

function matching(layer: string, correlationAfter: number): LayerMatching {
  return {
    layer,
    costBefore: 1.41234,
    costAfter: 0.93216,
    correlationBefore: 0.00449,
    correlationAfter,
    permutation: [1, 0],
    unitCosts: [0.5, 0.6],
    wasserstein: { identity: 0.9, aligned: 0.51237, optimal: 0.48, covariance: null },
  };
}

function weight(): MethodResult {
  return {
    method: 'weight',
    path: { loss: [0.2, 0.3, 0.21], accuracy: [0.9, 0.8, 0.9] },
    barrier: { loss: 0.1045, accuracy: 0.0142 },
    layerBarriers: [
      { layer: 'stem', loss: 0.012345, accuracy: 0.002, path: { loss: [], accuracy: [] } },
      { layer: 'block.conv2', loss: 0.5, accuracy: 0.1, path: { loss: [], accuracy: [] } },
    ],
    llfc: [],
    conditions: null,
    // A residual group: 'block.conv2' writes into the group that 'stem' names.
    matching: [matching('stem', 0.02654)],
    equivalent: true,
    equivalenceError: 1e-7,
    seconds: 0.1,
    details: {},
  };
}

function report(): CompareReport {
  return {
    version: 3,
    createdAt: '2025-01-02T03:04:05Z',
    tool: 'merge-lens 0.1.0',
    request: resolveCompareRequest({ a: '/m/a.safetensors', b: '/m/b.safetensors', data: null, methods: ['weight'], alphas: 3 }),
    checkpoints: { a: { file: '/m/a.safetensors', format: 'safetensors' }, b: { file: '/m/b.safetensors', format: 'safetensors' } },
    data: null,
    equivalenceInputs: 'random',
    architecture: { kind: 'conv', activation: 'relu', inputSize: 12, inputShape: [3, 2, 2], outputSize: 2, description: null, notes: [], normalization: null },
    layers: [
      { name: 'stem', kind: 'conv', width: 2, permuted: true, group: 'stem', batchNorm: null },
      { name: 'block.conv2', kind: 'conv', width: 2, permuted: true, group: 'stem', batchNorm: null },
      { name: 'head', kind: 'linear', width: 2, permuted: false, group: null, batchNorm: null },
    ],
    groups: [{ name: 'stem', size: 2, layers: ['stem', 'block.conv2'] }],
    bnReset: null,
    alphas: [0, 0.5, 1],
    backend: 'wasm',
    backendDetail: 'wasm (SIMD, 1 thread)',
    methods: { weight: weight() },
    dimS: [{ layer: 'stem', a: 36.664, b: 35.1249 }],
    warnings: [],
  } as CompareReport;
}

const shown: ComparisonState = { type: 'report', title: 'a.safetensors ↔ b.safetensors', report: report(), cacheKey: '0'.repeat(64), cached: false };

test('the side bar rounds as the panel: correlation 0.02654 reads 0.0265 and Dim(S) 36.664 reads 36.66 (the panel\'s layer card table, row for row)', () => {
  const tooltip = layerTooltip(report(), report().layers[0]!);
  // Hand-rounded: four decimals for costs, correlations and W2, two for Dim(S).
  assert.match(tooltip, /Dim\(S\): A 36\.66, B 35\.12/);
  assert.match(tooltip, /\| weight matching \| 1\.4123 \| 0\.9322 \| 0\.0045 \| 0\.0265 \| 0\.5124 \| 0\.4800 \|/);
  // And cell for cell what the panel's card prints (webview/panel/layerDetails.ts takes the same table).
  const card = layerCosts(report(), 'stem');
  for (const row of card.rows) assert.ok(tooltip.includes(`| ${row.join(' | ')} |`), row.join(' | '));
  assert.ok(tooltip.includes(`| ${card.headers.join(' | ')} |`));
  assert.ok(tooltip.includes(card.dimensions!));
});

test('a layer in a residual group shows its group\'s matching, as the panel does; the layer barrier has the Layers tab\'s four decimals', () => {
  const items = layersViewItems(shown);
  assert.deepEqual(items.map((i) => (i.kind === 'layer' ? i.layer : i.kind)), ['stem', 'block.conv2', 'head']);
  const [stem, conv2, head] = items;
  assert.ok(stem?.kind === 'layer' && conv2?.kind === 'layer' && head?.kind === 'layer');
  assert.equal(stem.description, '2 units · weight layer barrier 0.0123');
  assert.match(conv2.tooltip, /\| weight matching \| 1\.4123 \| 0\.9322 \|/);
  assert.doesNotMatch(head.tooltip, /weight matching/);
  assert.match(head.tooltip, /outputs, not permuted/);
});

test('after a failed comparison the view lists no layers of the previous one: it says what the panel says', () => {
  const failed: ComparisonState = { type: 'failed', title: 'a.pt ↔ c.pt', message: 'c.pt: the architectures differ: layers.0.weight is [4, 3] in A but [5, 3] in B' };
  assert.deepEqual(layersViewItems(failed), [
    { kind: 'status', state: 'failed', label: 'a.pt ↔ c.pt: the comparison failed', description: failed.message, tooltip: failed.message },
  ]);
  const cancelled = layersViewItems({ type: 'cancelled', title: 'a.pt ↔ c.pt' });
  assert.equal(cancelled.length, 1);
  assert.equal(cancelled[0]?.kind === 'status' && cancelled[0].label, 'a.pt ↔ c.pt: cancelled');
  const running = layersViewItems({ type: 'running', title: 'a.pt ↔ c.pt', stage: 'weight matching', fraction: 0.25 });
  assert.equal(running[0]?.kind === 'status' && `${running[0].label}: ${running[0].description}`, 'Comparing a.pt ↔ c.pt: weight matching…');
  assert.deepEqual(layersViewItems(undefined), []);
});

test('progress within one stage does not redraw the view; a new stage, a report or a failure does', () => {
  const at = (stage: string, fraction: number): ComparisonState => ({ type: 'running', title: 't', stage, fraction });
  assert.ok(sameItems(at('naive path', 0.1), at('naive path', 0.2)));
  assert.ok(!sameItems(at('naive path', 0.2), at('weight matching', 0.2)));
  assert.ok(!sameItems(at('naive path', 1), shown));
  assert.ok(!sameItems(shown, { type: 'failed', title: 't', message: 'm' }));
  assert.ok(!sameItems(undefined, at('x', 0)));
});
