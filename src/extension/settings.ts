import * as vscode from 'vscode';
import type { BackendName } from '../engine/backend/tfBackend';
import { ACTIVATIONS, type Activation } from '../engine/model/mlp';
import { METHOD_NAMES, type AlignmentName, type MethodName } from '../shared/compareReport';

/** The `mergeLens.*` settings, checked: a hand-edited settings.json cannot hand the worker nonsense. */
export interface MergeLensSettings {
  readonly methods: readonly MethodName[];
  readonly alphas: number;
  readonly maxSamples: number;
  readonly activation: Activation;
  readonly backend: BackendName | 'auto';
  readonly workers: number;
  readonly seed: number;
  readonly restarts: number;
  readonly bnReset: boolean;
  readonly repair: boolean;
  readonly layerBarriers: boolean;
  readonly inputNormalization: { readonly mean: readonly number[]; readonly std: readonly number[] } | null;
}

/** `{ mean: number[], std: number[] }` of equal lengths with positive deviations, else none. */
function normalization(value: unknown): MergeLensSettings['inputNormalization'] {
  const v = value as { mean?: unknown; std?: unknown } | null;
  const numbers = (x: unknown): x is number[] => Array.isArray(x) && x.length > 0 && x.every((n) => typeof n === 'number' && Number.isFinite(n));
  if (!v || !numbers(v.mean) || !numbers(v.std) || v.mean.length !== v.std.length || v.std.some((s) => s <= 0)) return null;
  return { mean: v.mean, std: v.std };
}

const BACKENDS: readonly (BackendName | 'auto')[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

function integer(value: unknown, fallback: number, min: number, max: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.min(max, Math.max(min, Math.round(value))) : fallback;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T): T {
  return allowed.includes(value as T) ? (value as T) : fallback;
}

export function readSettings(): MergeLensSettings {
  const config = vscode.workspace.getConfiguration('mergeLens');
  const methods = (config.get<unknown[]>('methods') ?? []).filter((m): m is AlignmentName => METHOD_NAMES.includes(m as AlignmentName));
  return {
    // Keep the report's canonical order, whatever order the user listed them in.
    methods: METHOD_NAMES.filter((m) => methods.includes(m)),
    alphas: integer(config.get('alphas'), 25, 3, 201),
    maxSamples: integer(config.get('maxSamples'), 2000, 16, 100_000),
    activation: oneOf(config.get('activation'), ACTIVATIONS, 'relu'),
    backend: oneOf(config.get('backend'), BACKENDS, 'auto'),
    workers: integer(config.get('workers'), 1, 1, 8),
    seed: integer(config.get('seed'), 0, 0, 2 ** 31 - 1),
    restarts: integer(config.get('restarts'), 1, 1, 16),
    bnReset: config.get('bnReset') !== false,
    repair: config.get('repair') === true,
    layerBarriers: config.get('layerBarriers') !== false,
    inputNormalization: normalization(config.get('inputNormalization')),
  };
}
