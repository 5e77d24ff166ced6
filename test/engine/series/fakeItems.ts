/** Series items with made-up numbers, small enough to compute their figures by hand. */
import { resolveCompareRequest } from '../../../src/engine/compare/resolveRequest';
import type { CompareReport, LlfcConditions, MethodName, MethodResult } from '../../../src/shared/compareReport';
import type { SeriesItem } from '../../../src/shared/seriesReport';

export const ALPHAS = [0, 0.25, 0.5, 0.75, 1];

export interface FakeMethod {
  readonly barrier?: { readonly loss: number; readonly accuracy: number } | null;
  /** W2 of group '0': identity, aligned, optimal. */
  readonly w2?: readonly [number, number, number];
  /** LLFC cosine at α = 0.5, one per activation. */
  readonly llfc?: readonly number[];
  readonly conditions?: { readonly additivity: readonly [number, number][]; readonly commutativity: readonly [number, number][] } | null;
}

function conditions(c: NonNullable<FakeMethod['conditions']>): LlfcConditions {
  const pair = (v: number) => ({ flat: v, mean: v + 1 });
  return {
    samples: 64,
    additivity: c.additivity.map(([d, s], i) => ({ layer: `${i}.relu`, dissimilarity: pair(d), coefficient: pair(1), shuffled: { dissimilarity: pair(s), coefficient: pair(1) } })),
    commutativity: c.commutativity.map(([d, s], i) => ({ layer: String(i), distance: d, dissimilarity: pair(d / 2), shuffled: { distance: s, dissimilarity: pair(s / 2) } })),
  };
}

function method(name: MethodName, m: FakeMethod): MethodResult {
  const [identity, aligned, optimal] = m.w2 ?? [1, 1, 1];
  return {
    method: name,
    path: m.barrier === null ? null : { loss: ALPHAS.map(() => 0.2), accuracy: ALPHAS.map(() => 0.9) },
    barrier: m.barrier === undefined ? { loss: 0.1, accuracy: 0.01 } : m.barrier,
    layerBarriers: [],
    llfc: (m.llfc ?? []).map((c, i) => ({ layer: `${i}.relu`, cosine: [1, 0, c, 0, 1], scale: [1, 1, 1, 1, 1], baseline: 0.5 })),
    conditions: m.conditions ? conditions(m.conditions) : null,
    matching: [{ layer: '0', costBefore: 1, costAfter: 0.5, correlationBefore: null, correlationAfter: null, permutation: [], unitCosts: [], wasserstein: { identity, aligned, optimal, covariance: null } }],
    equivalent: true,
    equivalenceError: 0,
    seconds: 0.01,
    details: {},
  };
}

/** One pair's report: group '0' of `width` units with Dim(S) `dimS` (A) and `dimS + 1` (B). */
export function fakeReport(options: { a: string; b: string; width?: number; dimS?: number; methods: Partial<Record<MethodName, FakeMethod>> }): CompareReport {
  const width = options.width ?? 16;
  const dimS = options.dimS ?? 4;
  const methods = Object.keys(options.methods) as MethodName[];
  return {
    version: 3,
    createdAt: '2025-01-02T03:04:05Z',
    tool: 'merge-lens 0.1.0',
    request: resolveCompareRequest({ a: options.a, b: options.b, data: '/data/eval.npz', methods, alphas: ALPHAS.length }),
    checkpoints: { a: { file: options.a, format: 'pytorch' }, b: { file: options.b, format: 'pytorch' } },
    data: { evaluation: { file: '/data/eval.npz', count: 600, inputShape: [784], numClasses: 10 }, fit: { file: '/data/eval.npz', count: 64, inputShape: [784], numClasses: 10 } },
    equivalenceInputs: 'evaluation',
    architecture: { kind: 'mlp', activation: 'relu', inputSize: 784, inputShape: [784], outputSize: 10, description: null, notes: [], normalization: null },
    layers: [
      { name: '0', kind: 'linear', width, permuted: true, group: '0', batchNorm: null },
      { name: '2', kind: 'linear', width: 10, permuted: false, group: null, batchNorm: null },
    ],
    groups: [{ name: '0', size: width, layers: ['0'] }],
    bnReset: null,
    alphas: ALPHAS,
    backend: 'wasm',
    backendDetail: 'wasm',
    methods: Object.fromEntries(methods.map((name) => [name, method(name, options.methods[name]!)])),
    dimS: [{ layer: '0', a: dimS, b: dimS + 1 }, { layer: '2', a: 2, b: 2 }],
    warnings: [],
  };
}

export function fakeItem(index: number, value: number | string, report: CompareReport): SeriesItem {
  return { index, value, report };
}
