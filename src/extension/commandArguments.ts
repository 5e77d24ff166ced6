/**
 * The argument objects that the commands accept from scripts, keybindings, tasks and other
 * extensions (`vscode.commands.executeCommand`): with them a command asks nothing and resolves to
 * its result. The explorer and the palette never pass them, so the interactive paths are unchanged.
 */
import { ALL_METHOD_NAMES, type MethodName } from '../shared/compareReport';

/** `mergeLens.compareCheckpoints` with `{ a, b, data?, methods? }`: resolves to the report, or undefined if it failed or was cancelled. */
export interface CompareArguments {
  /** Absolute paths. */
  readonly a: string;
  readonly b: string;
  /** Evaluation data; null or absent: weights only. */
  readonly data?: string | null;
  /** Default: the mergeLens.methods setting (weights-only methods without data). */
  readonly methods?: readonly MethodName[];
}

/** `mergeLens.compareSeries` with `{ manifest }`: resolves to the series report, or undefined if it failed or was cancelled. */
export interface SeriesArguments {
  /** The manifest file's absolute path. */
  readonly manifest: string;
}

/** `mergeLens.exportAligned` / `mergeLens.exportMerged` with `{ method, alpha? }`: resolves to the written file's path. */
export interface ExportArguments {
  readonly method: MethodName;
  /** Merged exports only; default 0.5. */
  readonly alpha?: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !('scheme' in value && 'fsPath' in value);
}

/** The arguments if `value` is a scripted call's object; undefined for anything else (a Uri from the explorer, nothing from the palette). Throws on a malformed object. */
export function compareArguments(value: unknown): CompareArguments | undefined {
  if (!isRecord(value) || !('a' in value || 'b' in value)) return undefined;
  const { a, b, data, methods } = value;
  if (typeof a !== 'string' || typeof b !== 'string') throw new TypeError('mergeLens.compareCheckpoints: `a` and `b` must be absolute file paths');
  if (data !== undefined && data !== null && typeof data !== 'string') throw new TypeError('mergeLens.compareCheckpoints: `data` must be a file path or null');
  if (methods !== undefined && !(Array.isArray(methods) && methods.every((m) => (ALL_METHOD_NAMES as readonly unknown[]).includes(m)))) {
    throw new TypeError(`mergeLens.compareCheckpoints: \`methods\` must be a list of ${ALL_METHOD_NAMES.join(', ')}`);
  }
  return { a, b, data: data ?? null, ...(methods ? { methods: methods as MethodName[] } : {}) };
}

export function seriesArguments(value: unknown): SeriesArguments | undefined {
  if (!isRecord(value) || !('manifest' in value)) return undefined;
  if (typeof value.manifest !== 'string' || value.manifest === '') throw new TypeError('mergeLens.compareSeries: `manifest` must be the absolute path of a series manifest');
  return { manifest: value.manifest };
}

export function exportArguments(value: unknown): ExportArguments | undefined {
  if (!isRecord(value)) return undefined;
  const { method, alpha } = value;
  if (!(ALL_METHOD_NAMES as readonly unknown[]).includes(method)) throw new TypeError(`Merge Lens export: \`method\` must be one of ${ALL_METHOD_NAMES.join(', ')}`);
  if (alpha !== undefined && !(typeof alpha === 'number' && alpha >= 0 && alpha <= 1)) throw new TypeError('Merge Lens export: `alpha` must be a number from 0 to 1');
  return { method: method as MethodName, ...(alpha !== undefined ? { alpha: alpha as number } : {}) };
}
