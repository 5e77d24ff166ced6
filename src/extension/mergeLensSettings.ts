/**
 * The `mergeLens.*` settings, read and checked, and the comparison they choose. No `vscode`
 * import: settings.ts reads the configuration, this maps it, so the mapping is testable outside
 * the editor. Bounds and defaults are the engine's (resolveRequest.ts); package.json's schema
 * states them for the Settings editor and a test holds the two together.
 */
import { CHOICE_DEFAULTS, clampInteger, clampWithin, HEAD_LIMITS, INTEGER_LIMITS, type CompareChoices, type IntegerLimit } from '../engine/compare/resolveRequest';
import { MEMORY_LIMITS } from '../engine/compare/memoryLimit';
import { THREAD_LIMITS } from '../engine/parallel/threadCount';
import { METHOD_NAMES, WEIGHTS_ONLY_METHODS, type AlignmentName, type MethodName } from '../shared/compareReport';
import { ACTIVATIONS, BACKEND_CHOICES, type Activation, type BackendChoice, type Normalization } from '../shared/compareRequest';

export interface MergeLensSettings {
  readonly methods: readonly MethodName[];
  readonly alphas: number;
  /** Most samples of the fit data, and of the evaluation data LLFC averages over. */
  readonly maxSamples: number;
  readonly activation: Activation;
  readonly backend: BackendChoice;
  /** Background jobs that may run at once: the editor's, not the comparison's. */
  readonly workers: number;
  /** Threads each comparison measures with (0: one per core); changes no number, so not in the request. */
  readonly threads: number;
  /** Each job's worker heap limit in MB (0: automatic, see memoryLimit.ts); changes no number, so not in the request. */
  readonly workerMemoryMb: number;
  readonly seed: number;
  readonly restarts: number;
  readonly bnReset: boolean;
  readonly repair: boolean;
  readonly layerBarriers: boolean;
  readonly inputNormalization: Normalization | null;
  /** A transformer's attention heads where no config.json or description states them; 0: none given. */
  readonly attentionHeads: number;
}

/** The head count's setting: the engine's bounds, with 0 for "from the checkpoint's config". */
export const ATTENTION_HEAD_SETTING: IntegerLimit = { ...HEAD_LIMITS, default: 0, min: 0 };

/** Bounds of the one setting that is the editor's own. */
export const WORKER_LIMITS = { default: 1, min: 1, max: 8 } as const;

/** `{ mean: number[], std: number[] }` of equal lengths with positive deviations, else none. */
function normalization(value: unknown): Normalization | null {
  const v = value as { mean?: unknown; std?: unknown } | null;
  const numbers = (x: unknown): x is number[] => Array.isArray(x) && x.length > 0 && x.every((n) => typeof n === 'number' && Number.isFinite(n));
  if (!v || !numbers(v.mean) || !numbers(v.std) || v.mean.length !== v.std.length || v.std.some((s) => s <= 0)) return null;
  return { mean: v.mean, std: v.std };
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T): T {
  return allowed.includes(value as T) ? (value as T) : fallback;
}

function flag(value: unknown, fallback: boolean): boolean {
  return typeof value === 'boolean' ? value : fallback;
}

/**
 * The settings as `get` (the configuration's) gives them, each brought within its bounds: a
 * hand-edited settings.json cannot hand the worker nonsense.
 */
export function parseSettings(get: (key: string) => unknown): MergeLensSettings {
  const listed = get('methods');
  // Unset: every plain method, as the schema's default and the engine's with data.
  const methods = (Array.isArray(listed) ? listed : METHOD_NAMES).filter((m): m is AlignmentName => METHOD_NAMES.includes(m as AlignmentName));
  const workers = get('workers');
  return {
    methods: METHOD_NAMES.filter((m) => methods.includes(m)),
    alphas: clampInteger('alphas', get('alphas')),
    // One setting for both sample counts, bounded as the fit samples are (the stricter).
    maxSamples: clampInteger('fitSamples', get('maxSamples')),
    activation: oneOf(get('activation'), ACTIVATIONS, CHOICE_DEFAULTS.activation),
    backend: oneOf(get('backend'), BACKEND_CHOICES, CHOICE_DEFAULTS.backend),
    workers:
      typeof workers === 'number' && Number.isFinite(workers) ? Math.min(WORKER_LIMITS.max, Math.max(WORKER_LIMITS.min, Math.round(workers))) : WORKER_LIMITS.default,
    threads: clampWithin(THREAD_LIMITS, get('threads')),
    workerMemoryMb: clampWithin(MEMORY_LIMITS, get('workerMemoryMb')),
    seed: clampInteger('seed', get('seed')),
    restarts: clampInteger('restarts', get('restarts')),
    bnReset: flag(get('bnReset'), CHOICE_DEFAULTS.bnReset),
    repair: flag(get('repair'), CHOICE_DEFAULTS.repair),
    layerBarriers: flag(get('layerBarriers'), CHOICE_DEFAULTS.layerBarriers),
    inputNormalization: normalization(get('inputNormalization')),
    attentionHeads: clampWithin(ATTENTION_HEAD_SETTING, get('attentionHeads')),
  };
}

/**
 * The comparison of A and B on `data` that the settings choose. Methods given (the picker's, a
 * script's) are taken as they are; otherwise the `methods` setting, less those that need data
 * when there is none. `repair` is a standing preference, so it applies only where there is data
 * to measure REPAIR on.
 */
export function compareChoicesFromSettings(
  settings: MergeLensSettings,
  files: { readonly a: string; readonly b: string; readonly data: string | null },
  methods?: readonly MethodName[],
): CompareChoices {
  const { data } = files;
  return {
    ...files,
    methods: methods ?? settings.methods.filter((m) => data !== null || WEIGHTS_ONLY_METHODS.includes(m)),
    repair: settings.repair && data !== null,
    alphas: settings.alphas,
    activation: settings.activation,
    backend: settings.backend,
    seed: settings.seed,
    restarts: settings.restarts,
    fitSamples: settings.maxSamples,
    llfcSamples: settings.maxSamples,
    bnReset: settings.bnReset,
    layerBarriers: settings.layerBarriers,
    normalization: settings.inputNormalization,
    heads: settings.attentionHeads > 0 ? settings.attentionHeads : null,
  };
}

/** Settings whose bounds package.json must state as the engine does. */
export const SETTING_LIMITS = {
  alphas: INTEGER_LIMITS.alphas,
  maxSamples: INTEGER_LIMITS.fitSamples,
  seed: INTEGER_LIMITS.seed,
  restarts: INTEGER_LIMITS.restarts,
  workers: WORKER_LIMITS,
  threads: THREAD_LIMITS,
  workerMemoryMb: MEMORY_LIMITS,
  attentionHeads: ATTENTION_HEAD_SETTING,
} as const;
