/**
 * `merge-lens compare`'s flags, mapped to the engine's comparison choices and nothing more: the
 * defaults and limits are the engine's (src/engine/compare/resolveRequest.ts), so an absent flag
 * is an absent choice.
 */
import { parseArgs } from 'node:util';
import { parseShape } from '../engine/architecture/inputShape';
import { HEAD_LIMITS, INTEGER_LIMITS, type CompareChoices, type IntegerChoice, type IntegerLimit } from '../engine/compare/resolveRequest';
import { THREAD_LIMITS } from '../engine/parallel/threadCount';
import { ALL_METHOD_NAMES, type MethodName } from '../shared/compareReport';
import { ACTIVATIONS, BACKEND_CHOICES, type Normalization } from '../shared/compareRequest';
import { UsageError } from './usageError';

export const COMPARE_FLAGS = {
  data: { type: 'string' },
  'fit-data': { type: 'string' },
  methods: { type: 'string' },
  alphas: { type: 'string' },
  activation: { type: 'string' },
  backend: { type: 'string' },
  seed: { type: 'string' },
  restarts: { type: 'string' },
  threads: { type: 'string' },
  'fit-samples': { type: 'string' },
  'llfc-samples': { type: 'string' },
  arch: { type: 'string' },
  heads: { type: 'string' },
  'input-shape': { type: 'string' },
  mean: { type: 'string' },
  std: { type: 'string' },
  'bn-reset': { type: 'string' },
  'layer-barriers': { type: 'string' },
  repair: { type: 'boolean' },
  stream: { type: 'boolean' },
  json: { type: 'string' },
  html: { type: 'string' },
  'export-aligned': { type: 'string' },
  'export-method': { type: 'string' },
  'merge-at': { type: 'string' },
  'export-merged': { type: 'string' },
} as const;

export type CompareFlagValues = { [K in keyof typeof COMPARE_FLAGS]?: (typeof COMPARE_FLAGS)[K]['type'] extends 'boolean' ? boolean : string };

export function oneOf<T extends string>(value: string, allowed: readonly T[], flag: string): T {
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${flag} takes one of ${allowed.join(', ')}, not '${value}'`);
  return value as T;
}

/** A whole number within the engine's bounds for `choice`, said in terms of the flag. */
function whole(value: string | undefined, flag: string, choice: IntegerChoice): number | undefined {
  return within(value, flag, INTEGER_LIMITS[choice]);
}

function within(value: string | undefined, flag: string, { min, max }: IntegerLimit): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${flag} takes a whole number from ${min} to ${max}, not '${value}'`);
  return n;
}

function onOff(value: string | undefined, flag: string): boolean | undefined {
  return value === undefined ? undefined : oneOf(value, ['on', 'off'], flag) === 'on';
}

function numbers(value: string, flag: string): number[] {
  const list = value.split(',').map((v) => Number(v.trim()));
  if (list.length === 0 || list.some((v) => !Number.isFinite(v))) throw new UsageError(`--${flag} takes comma-separated numbers (one per input channel), not '${value}'`);
  return list;
}

function normalization(values: CompareFlagValues): Normalization | undefined {
  if ((values.mean === undefined) !== (values.std === undefined)) throw new UsageError('--mean and --std go together');
  return values.mean === undefined ? undefined : { mean: numbers(values.mean, 'mean'), std: numbers(values.std!, 'std') };
}

function methods(value: string | undefined): MethodName[] | undefined {
  if (value === undefined) return undefined;
  const chosen = value.split(',').filter((m) => m.trim() !== '').map((m) => oneOf(m.trim(), ALL_METHOD_NAMES, 'methods'));
  if (chosen.length === 0) throw new UsageError('--methods names no method');
  return chosen;
}

/** The comparison the flags choose; every flag left out is left to the engine's default. */
export function compareChoicesFromFlags(a: string, b: string, values: CompareFlagValues): CompareChoices {
  const inputShape = values['input-shape'] === undefined ? undefined : parseShape(values['input-shape']);
  if (inputShape === null) throw new UsageError(`--input-shape takes C×H×W (e.g. 3x32x32) or a feature count, not '${values['input-shape']}'`);
  return {
    a,
    b,
    data: values.data ?? null,
    fitData: values['fit-data'] ?? null,
    methods: methods(values.methods),
    repair: values.repair,
    alphas: whole(values.alphas, 'alphas', 'alphas'),
    activation: values.activation === undefined ? undefined : oneOf(values.activation, ACTIVATIONS, 'activation'),
    backend: values.backend === undefined ? undefined : oneOf(values.backend, BACKEND_CHOICES, 'backend'),
    seed: whole(values.seed, 'seed', 'seed'),
    restarts: whole(values.restarts, 'restarts', 'restarts'),
    fitSamples: whole(values['fit-samples'], 'fit-samples', 'fitSamples'),
    llfcSamples: whole(values['llfc-samples'], 'llfc-samples', 'llfcSamples'),
    description: values.arch ?? null,
    heads: within(values.heads, 'heads', HEAD_LIMITS) ?? null,
    inputShape,
    normalization: normalization(values),
    bnReset: onOff(values['bn-reset'], 'bn-reset'),
    layerBarriers: onOff(values['layer-barriers'], 'layer-barriers'),
  };
}

/** `--threads`: how many threads measure (0 or absent: one per core); not part of the comparison. */
export function threadsFromFlags(values: CompareFlagValues): number | undefined {
  return within(values.threads, 'threads', THREAD_LIMITS);
}

/** `merge-lens compare A B [...]`'s arguments. */
export function parseCompareArgs(args: string[]): { a: string; b: string; values: CompareFlagValues } {
  const { values, positionals } = parseArgs({ args, options: COMPARE_FLAGS, allowPositionals: true });
  const [a, b, ...extra] = positionals;
  if (!a || !b || extra.length > 0) throw new UsageError('compare takes two checkpoints: merge-lens compare A B [--data EVAL]');
  return { a, b, values };
}
