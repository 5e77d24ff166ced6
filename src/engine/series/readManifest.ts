/**
 * A series manifest, read and checked: every pair's comparison resolved as the CLI's `compare`
 * would resolve it, every file named found, each problem reported against the entry that holds it
 * ("series.json: pairs[3].b: …"). The CLI reads a manifest file; the editor makes a manifest from
 * the files a user selected and resolves it here too.
 */
import { statSync } from 'node:fs';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import type { SeriesManifest, SeriesPair } from '../../shared/seriesReport';
import { readJsonObjectFile, isJsonObject, type JsonObject } from '../formats/strictJson';
import { FormatError } from '../io/formatError';
import { InputError } from '../io/inputError';
import { resolveCompareRequest, type CompareChoices } from '../compare/resolveRequest';

/** One pair, ready to run: its place in the manifest, its value of the variable, and its comparison. */
export interface ResolvedPair {
  readonly index: number;
  readonly value: number | string;
  /** Files absolute; every other choice the manifest's. */
  readonly choices: CompareChoices;
}

export interface ResolvedSeries {
  /** The manifest file (absolute), or null for a series made in memory. */
  readonly manifest: string | null;
  readonly variable: string;
  readonly pairs: readonly ResolvedPair[];
}

/** A manifest is a few kilobytes; anything far above is not one. */
const MAX_MANIFEST_BYTES = 16 << 20;

type Option = keyof NonNullable<SeriesManifest['options']>;

/** The type each option must have before the comparison's own checks (bounds, names) run. */
const OPTION_TYPES: Readonly<Record<Option, 'number' | 'string' | 'boolean' | 'file' | 'shape' | 'normalization'>> = {
  alphas: 'number',
  seed: 'number',
  restarts: 'number',
  fitSamples: 'number',
  llfcSamples: 'number',
  activation: 'string',
  backend: 'string',
  bnReset: 'boolean',
  layerBarriers: 'boolean',
  description: 'file',
  heads: 'number',
  inputShape: 'shape',
  normalization: 'normalization',
};

const TOP_LEVEL = ['variable', 'pairs', 'data', 'fitData', 'methods', 'options'];

/** Reports problems against "series.json: pairs[3].b", or "the series: pairs[3].b" for a manifest made in memory. */
class Where {
  constructor(private readonly file: string | null) {}

  /** A manifest that does not say what a manifest must: the file's fault (FormatError), or the caller's. */
  shape(entry: string, problem: string): never {
    if (this.file !== null) throw new FormatError(this.file, `${entry}: ${problem}`);
    throw new InputError(`the series: ${entry}: ${problem}`);
  }

  /** A choice the comparison refuses, or a file that is not there. */
  input(entry: string | null, problem: string): never {
    const name = this.file === null ? 'the series' : basename(this.file);
    throw new InputError(`${name}: ${entry === null ? '' : `${entry}: `}${problem}`);
  }
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : JSON.stringify(value);
}

function checkPair(where: Where, raw: unknown, k: number): SeriesPair {
  const entry = `pairs[${k}]`;
  if (!isJsonObject(raw)) where.shape(entry, `must be an object { "value", "a", "b" }, not ${describeValue(raw)}`);
  const extra = Object.keys(raw).filter((key) => !['value', 'a', 'b'].includes(key));
  if (extra.length > 0) where.shape(`${entry}.${extra[0]}`, 'is not a pair field (a pair has "value", "a" and "b")');
  const { value, a, b } = raw;
  if (!((typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && value.trim() !== ''))) {
    where.shape(`${entry}.value`, `must be a number or a non-empty string (the variable's value for this pair), not ${describeValue(value)}`);
  }
  for (const [side, file] of [['a', a], ['b', b]] as const) {
    if (typeof file !== 'string' || file === '') where.shape(`${entry}.${side}`, `must be a checkpoint path (a non-empty string), not ${describeValue(file)}`);
  }
  return { value: value as number | string, a: a as string, b: b as string };
}

function checkOptions(where: Where, raw: unknown): NonNullable<SeriesManifest['options']> {
  if (raw === undefined) return {};
  if (!isJsonObject(raw)) where.shape('options', `must be an object of compare choices, not ${describeValue(raw)}`);
  for (const [key, value] of Object.entries(raw)) {
    const type = OPTION_TYPES[key as Option];
    const entry = `options.${key}`;
    if (type === undefined) where.shape(entry, `is not a compare choice; the choices are ${Object.keys(OPTION_TYPES).join(', ')}`);
    const ok =
      type === 'file' ? value === null || (typeof value === 'string' && value !== '')
      : type === 'shape' ? value === null || (Array.isArray(value) && value.every((d) => typeof d === 'number'))
      : type === 'normalization'
        ? value === null || (isJsonObject(value) && Object.keys(value).every((k) => k === 'mean' || k === 'std') && ['mean', 'std'].every((k) => Array.isArray(value[k]) && (value[k] as unknown[]).every((v) => typeof v === 'number')))
        : typeof value === type;
    if (!ok) {
      const expected = { number: 'a number', string: 'a string', boolean: 'true or false', file: 'a file path or null', shape: 'a list of numbers (C×H×W or a feature count) or null', normalization: 'an object { "mean": [...], "std": [...] } or null' }[type];
      where.shape(entry, `must be ${expected}, not ${describeValue(value)}`);
    }
  }
  return raw as NonNullable<SeriesManifest['options']>;
}

/** The manifest's shape checked, field by field; returns it typed. */
function checkManifest(where: Where, raw: JsonObject): SeriesManifest {
  const extra = Object.keys(raw).filter((key) => !TOP_LEVEL.includes(key));
  if (extra.length > 0) where.shape(extra[0]!, `is not a manifest field; a manifest has ${TOP_LEVEL.join(', ')}`);
  const { variable, pairs, data, fitData, methods } = raw;
  if (typeof variable !== 'string' || variable.trim() === '') where.shape('variable', `must name what changes along the series (e.g. "width"), not ${describeValue(variable)}`);
  if (!Array.isArray(pairs) || pairs.length === 0) where.shape('pairs', `must be a non-empty list of { "value", "a", "b" }, not ${Array.isArray(pairs) ? 'empty' : describeValue(pairs)}`);
  for (const [name, file] of [['data', data], ['fitData', fitData]] as const) {
    if (file !== undefined && file !== null && (typeof file !== 'string' || file === '')) where.shape(name, `must be a dataset path or null, not ${describeValue(file)}`);
  }
  if (methods !== undefined && !(Array.isArray(methods) && methods.every((m) => typeof m === 'string'))) {
    where.shape('methods', `must be a list of method names, not ${describeValue(methods)}`);
  }
  return {
    variable: variable as string,
    pairs: (pairs as unknown[]).map((p, k) => checkPair(where, p, k)),
    ...(data === undefined ? {} : { data: data as string | null }),
    ...(fitData === undefined ? {} : { fitData: fitData as string | null }),
    ...(methods === undefined ? {} : { methods: methods as SeriesManifest['methods'] }),
    options: checkOptions(where, raw.options),
  };
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * An in-memory manifest resolved as `readSeriesManifest` resolves a file's: relative paths against
 * `base.folder`, every file checked to exist, the shared choices checked by the comparison's own
 * rules. `base.file` names the manifest in messages and in the series report (null: made in memory).
 */
export function resolveSeries(manifest: SeriesManifest, base: { readonly file: string | null; readonly folder: string }): ResolvedSeries {
  const where = new Where(base.file);
  // An in-memory manifest is typed, but the editor builds it from user input: the same checks hold.
  const checked = checkManifest(where, manifest as unknown as JsonObject);
  const path = (entry: string, file: string): string => {
    const absolute = isAbsolute(file) ? file : resolve(base.folder, file);
    if (!isFile(absolute)) where.input(entry, `no such file: ${absolute}`);
    return absolute;
  };
  const optional = (entry: string, file: string | null | undefined) => (file === undefined || file === null ? null : path(entry, file));
  const { description, ...options } = checked.options ?? {};
  const shared: Omit<CompareChoices, 'a' | 'b'> = {
    ...options,
    data: optional('data', checked.data),
    fitData: optional('fitData', checked.fitData),
    ...(checked.methods ? { methods: checked.methods } : {}),
    description: optional('options.description', description),
  };
  try {
    // The shared choices, checked once with the comparison's rules and messages.
    resolveCompareRequest({ ...shared, a: 'A', b: 'B' });
  } catch (error) {
    if (error instanceof InputError) where.input(null, error.message);
    throw error;
  }
  const pairs = checked.pairs.map((pair, index) => ({
    index,
    value: pair.value,
    choices: { ...shared, a: path(`pairs[${index}].a`, pair.a), b: path(`pairs[${index}].b`, pair.b) },
  }));
  return { manifest: base.file, variable: checked.variable.trim(), pairs };
}

/** Reads a manifest file (strict JSON) and resolves it against its own folder. */
export async function readSeriesManifest(file: string): Promise<ResolvedSeries> {
  const absolute = resolve(file);
  const raw = await readJsonObjectFile(absolute, MAX_MANIFEST_BYTES, 'series manifest');
  return resolveSeries(raw as unknown as SeriesManifest, { file: absolute, folder: dirname(absolute) });
}
