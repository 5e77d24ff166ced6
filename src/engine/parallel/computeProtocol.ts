/**
 * The engine and its compute helpers: worker threads that each run their own single-threaded
 * backend, so a comparison uses every core. A helper is set up once per path evaluator (network,
 * A's parameters, the evaluation and fit data) and then measures per-layer barriers of whichever
 * B it was last given. Internal to the engine: the host never sees these messages.
 */
import type { BackendChoice } from '../../shared/compareRequest';
import type { LayerBarrier } from '../../shared/compareReport';
import type { Network } from '../model/network';
import type { Params, Tensor32 } from '../model/params';

/** Params as they cross a thread boundary (a Map clones, but entries read plainly everywhere). */
export type ParamEntries = readonly (readonly [string, Tensor32])[];

/** Copies of each tensor's own values: a view into a larger buffer would send the whole buffer. */
export function paramEntries(params: Params): ParamEntries {
  return [...params].map(([name, t]) => [name, { shape: t.shape, data: t.data.slice() }] as const);
}

/** Which of a layer's passes a progress message is about. */
export type LayerPass = 'reset' | 'evaluate';

export type ToHelper =
  | {
      readonly type: 'setup';
      readonly backend: BackendChoice;
      readonly network: Network;
      readonly paramsA: ParamEntries;
      readonly data: { readonly inputs: Float32Array; readonly labels: Int32Array; readonly count: number };
      readonly fit: { readonly inputs: Float32Array; readonly count: number } | null;
      readonly bnReset: boolean;
      readonly batchSize: number;
    }
  | { readonly type: 'setB'; readonly version: number; readonly paramsB: ParamEntries }
  | { readonly type: 'layerBarrier'; readonly id: number; readonly version: number; readonly unit: number; readonly alphas: readonly number[] };

export type FromHelper =
  | { readonly type: 'ready' }
  | { readonly type: 'progress'; readonly id: number; readonly pass: LayerPass; readonly batch: number; readonly batches: number }
  | { readonly type: 'layerBarrier'; readonly id: number; readonly barrier: LayerBarrier }
  | { readonly type: 'error'; readonly id: number | null; readonly message: string; readonly stack?: string };
