/**
 * The one place a comparison's defaults and limits live. The CLI's flags, the VS Code settings
 * and the worker message each map their input to `CompareChoices`; `resolveCompareRequest` turns
 * that into the `CompareRequest` the engine runs, the result cache keys on and the report records.
 * Pure: the extension host imports it without the engine's heavy modules.
 */
import { basename } from 'node:path';
import {
  ACTIVATIONS,
  BACKEND_CHOICES,
  type Activation,
  type BackendChoice,
  type CompareRequest,
  type Normalization,
} from '../../shared/compareRequest';
import { ALL_METHOD_NAMES, isRepaired, METHOD_NAMES, WEIGHTS_ONLY_METHODS, withRepairVariants, type MethodName } from '../../shared/compareReport';
import { InputError } from '../io/inputError';

/** What a caller chooses: the two checkpoints, and any of the rest (each absent one takes its default). */
export interface CompareChoices {
  readonly a: string;
  readonly b: string;
  readonly data?: string | null;
  readonly fitData?: string | null;
  /** Default: every plain method with data, the weights-only ones without. */
  readonly methods?: readonly MethodName[];
  /** Add the REPAIR variant of every plain method chosen (default false). */
  readonly repair?: boolean;
  readonly alphas?: number;
  readonly activation?: Activation;
  readonly backend?: BackendChoice;
  readonly seed?: number;
  readonly restarts?: number;
  readonly description?: string | null;
  readonly heads?: number | null;
  readonly inputShape?: readonly number[] | null;
  readonly normalization?: Normalization | null;
  readonly bnReset?: boolean;
  readonly layerBarriers?: boolean;
  readonly fitSamples?: number;
  readonly llfcSamples?: number;
}

export interface IntegerLimit {
  readonly default: number;
  readonly min: number;
  readonly max: number;
  /** The quantity in words, for messages. */
  readonly meaning: string;
}

/** Every whole-number choice's default and bounds: the settings' schema and the CLI's flags are checked against these. */
export const INTEGER_LIMITS = {
  alphas: { default: 25, min: 3, max: 201, meaning: 'points on the α grid' },
  seed: { default: 0, min: 0, max: 2 ** 31 - 1, meaning: "weight matching's seed" },
  // One start of weight matching ends at a local optimum that depends on its group order. On 58 pairs
  // of small trained ResNets and VGGs the best of 8 starts reached an independent implementation's
  // default start 97% of the time (one start: 68%), for under a second on a ResNet-20; more starts
  // still find better optima, hence the room above the default.
  restarts: { default: 8, min: 1, max: 64, meaning: "weight matching's restarts" },
  fitSamples: { default: 2000, min: 16, max: 100_000, meaning: 'fit samples' },
  llfcSamples: { default: 2000, min: 0, max: 100_000, meaning: 'LLFC samples' },
} as const satisfies Record<string, IntegerLimit>;

export type IntegerChoice = keyof typeof INTEGER_LIMITS;

/** A head count given by hand (no default: absent, it comes from the checkpoint's config). */
export const HEAD_LIMITS: IntegerLimit = { default: 0, min: 1, max: 4096, meaning: 'attention heads' };

/** The defaults of every choice that is not a file, a whole number or a list. */
export const CHOICE_DEFAULTS = {
  activation: 'relu',
  backend: 'auto',
  repair: false,
  bnReset: true,
  layerBarriers: true,
} as const satisfies Partial<Record<keyof CompareChoices, unknown>>;

function headCount(heads: number | null): number | null {
  if (heads === null) return null;
  const { min, max } = HEAD_LIMITS;
  if (!Number.isInteger(heads) || heads < min || heads > max) throw new InputError(`the number of attention heads must be a whole number from ${min} to ${max}, not ${heads}`);
  return heads;
}

/** `value` brought within `name`'s bounds (rounded), or its default when not a number: for settings a user edited by hand. */
export function clampInteger(name: IntegerChoice, value: unknown): number {
  return clampWithin(INTEGER_LIMITS[name], value);
}

/** `value` brought within `limit` (rounded), or its default when not a number. */
export function clampWithin(limit: IntegerLimit, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return limit.default;
  return Math.min(limit.max, Math.max(limit.min, Math.round(value)));
}

function integer(name: IntegerChoice, value: number | undefined): number {
  const limit: IntegerLimit = INTEGER_LIMITS[name];
  if (value === undefined) return limit.default;
  if (!Number.isInteger(value) || value < limit.min || value > limit.max) {
    throw new InputError(`${limit.meaning} must be a whole number from ${limit.min} to ${limit.max}, not ${value}`);
  }
  return value;
}

function oneOf<T extends string>(what: string, value: T | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value)) throw new InputError(`${what} must be one of ${allowed.join(', ')}, not '${String(value)}'`);
  return value;
}

function checkNormalization(normalization: Normalization | null): Normalization | null {
  if (normalization === null) return null;
  const { mean, std } = normalization;
  if (mean.length === 0 || mean.length !== std.length) {
    throw new InputError(`the input normalisation gives ${mean.length} means and ${std.length} standard deviations; give one of each per input channel`);
  }
  if (mean.some((m) => !Number.isFinite(m)) || std.some((s) => !(s > 0 && Number.isFinite(s)))) {
    throw new InputError('the input normalisation needs finite means and positive standard deviations');
  }
  return { mean: [...mean], std: [...std] };
}

function checkShape(shape: readonly number[] | null): readonly number[] | null {
  if (shape === null) return null;
  if (shape.length < 1 || shape.length > 3 || !shape.every((d) => Number.isSafeInteger(d) && d > 0)) {
    throw new InputError(`the input shape must be C×H×W or a feature count, not ${shape.join('×') || 'empty'}`);
  }
  return [...shape];
}

/** Refuses methods that fit on data when no data is given, before any file is read. */
function checkMethodsHaveData(methods: readonly MethodName[], data: string | null, fitData: string | null): void {
  if (data !== null) return;
  if (fitData !== null) {
    throw new InputError(`fit data (${basename(fitData)}) was given without evaluation data; give the evaluation data too, or neither for a weights-only comparison`);
  }
  const needing = methods.filter((m) => !WEIGHTS_ONLY_METHODS.includes(m));
  if (needing.length > 0) {
    const matching = needing.filter((m) => !isRepaired(m));
    const names = [...(matching.length > 0 ? [`${matching.join(' and ')} matching`] : []), ...needing.filter(isRepaired)];
    throw new InputError(
      `${names.join(' and ')} ${needing.length > 1 ? 'fit' : 'fits'} on data, and none was given: choose evaluation (or fit) data, or compare weights only with ${WEIGHTS_ONLY_METHODS.join(' and ')}`,
    );
  }
}

function resolveMethods(choices: CompareChoices, data: string | null): MethodName[] {
  const chosen = choices.methods ?? (data === null ? WEIGHTS_ONLY_METHODS : METHOD_NAMES);
  for (const m of chosen) oneOf('a method', m, ALL_METHOD_NAMES, m);
  const methods = choices.repair ?? CHOICE_DEFAULTS.repair ? withRepairVariants(chosen) : chosen;
  // A set of methods, in one order whoever chose them: the same comparison is the same request.
  const canonical = ALL_METHOD_NAMES.filter((m) => methods.includes(m));
  if (canonical.length === 0) throw new InputError('no method was chosen; choose at least one of ' + ALL_METHOD_NAMES.join(', '));
  return canonical;
}

/**
 * Every default filled and every limit checked; an InputError names the choice at fault.
 * Resolving a resolved request returns an equal one.
 */
export function resolveCompareRequest(choices: CompareChoices): CompareRequest {
  if (typeof choices.a !== 'string' || typeof choices.b !== 'string' || choices.a === '' || choices.b === '') {
    throw new InputError('a comparison needs two checkpoint files, A and B');
  }
  const data = choices.data ?? null;
  const fitData = choices.fitData ?? data;
  const methods = resolveMethods(choices, data);
  checkMethodsHaveData(methods, data, choices.fitData ?? null);
  return {
    a: choices.a,
    b: choices.b,
    data,
    fitData,
    methods,
    alphas: integer('alphas', choices.alphas),
    activation: oneOf('the activation', choices.activation, ACTIVATIONS, CHOICE_DEFAULTS.activation),
    backend: oneOf('the backend', choices.backend, BACKEND_CHOICES, CHOICE_DEFAULTS.backend),
    seed: integer('seed', choices.seed),
    restarts: integer('restarts', choices.restarts),
    description: choices.description ?? null,
    heads: headCount(choices.heads ?? null),
    inputShape: checkShape(choices.inputShape ?? null),
    normalization: checkNormalization(choices.normalization ?? null),
    bnReset: choices.bnReset ?? CHOICE_DEFAULTS.bnReset,
    layerBarriers: choices.layerBarriers ?? CHOICE_DEFAULTS.layerBarriers,
    fitSamples: integer('fitSamples', choices.fitSamples),
    llfcSamples: integer('llfcSamples', choices.llfcSamples),
  };
}
