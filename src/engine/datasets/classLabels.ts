import { FormatError, clip, ensure } from '../io/formatError';
import { grouped, MAX_CLASSES } from './datasetChecks';

/** Label values as a reader decoded them: any numeric typed array. */
export type LabelValues = ArrayLike<number> | ArrayLike<bigint>;

export interface ClassLabels {
  readonly labels: Int32Array;
  readonly numClasses: number;
  readonly notes: readonly string[];
}

/** One label value as a class index, or a FormatError saying why it is not one. */
function classIndex(file: string, what: string, at: number, value: number | bigint): number {
  const problem = (why: string): never => {
    throw new FormatError(file, `${what}: the label of example ${grouped(at)} is ${String(value)}, ${why}`);
  };
  if (typeof value === 'bigint') {
    if (value < 0n) problem('negative; class indices start at 0');
    if (value >= BigInt(MAX_CLASSES)) problem(`not a plausible class index (at most ${grouped(MAX_CLASSES)} classes are accepted)`);
    return Number(value);
  }
  if (!Number.isInteger(value)) problem('not a whole number; class indices are expected');
  if (value < 0) problem('negative; class indices start at 0');
  if (value >= MAX_CLASSES) problem(`not a plausible class index (at most ${grouped(MAX_CLASSES)} classes are accepted)`);
  return value;
}

/** The column holding the single 1 of a one-hot row, or a FormatError. */
function hotColumn(file: string, what: string, values: LabelValues, row: number, k: number): number {
  let hot = -1;
  for (let j = 0; j < k; j++) {
    const v = values[row * k + j]!;
    const isOne = typeof v === 'bigint' ? v === 1n : v === 1;
    const isZero = typeof v === 'bigint' ? v === 0n : v === 0;
    if (isOne && hot < 0) hot = j;
    else if (!isZero) {
      throw new FormatError(file, `${what} have shape [n, ${k}] but row ${grouped(row)} is not one-hot (column ${j} holds ${String(v)}); expected exactly one 1 and zeros elsewhere`);
    }
  }
  ensure(hot >= 0, file, () => `${what} have shape [n, ${k}] but row ${grouped(row)} is all zeros, not one-hot`);
  return hot;
}

/**
 * Turns decoded labels into Int32 class indices. Accepted: [n] indices of any integer type or
 * whole-number floats; [n, 1] (squeezed); [n, k] one-hot rows. numClasses is the largest index
 * + 1, or k for one-hot rows (a class no example holds still counts).
 */
export function toClassLabels(file: string, what: string, shape: readonly number[], values: LabelValues): ClassLabels {
  ensure(shape.length === 1 || shape.length === 2, file, () => `${what} have shape [${clip(shape.join(', '))}]; expected [n] class indices or [n, k] one-hot rows`);
  const n = shape[0]!;
  const notes: string[] = [];
  const labels = new Int32Array(n);
  const k = shape[1] ?? 1;
  if (shape.length === 2 && k !== 1) {
    ensure(k > 1 && k <= MAX_CLASSES, file, () => `${what} have shape [${clip(shape.join(', '))}]; ${k} columns cannot be one-hot classes`);
    for (let i = 0; i < n; i++) labels[i] = hotColumn(file, what, values, i, k);
    notes.push(`${what} are one-hot rows [${n}, ${k}]: turned into class indices, ${k} classes`);
    return { labels, numClasses: k, notes };
  }
  if (shape.length === 2) notes.push(`${what} have shape [${n}, 1]: read as one index per example`);
  let max = 0;
  for (let i = 0; i < n; i++) {
    const index = classIndex(file, what, i, values[i]!);
    labels[i] = index;
    if (index > max) max = index;
  }
  return { labels, numClasses: max + 1, notes };
}
