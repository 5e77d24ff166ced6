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
  };
}
