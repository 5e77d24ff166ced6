import { formatBytes } from '../../shared/presentation/formatNumbers';
import { clip, ensure } from '../io/formatError';

/** Inputs are held as float32 in memory all at once; larger sets must be cut down first. */
export const MAX_INPUT_BYTES = 4 * 2 ** 30;

/** Bytes a label tensor may take as stored (a one-hot matrix can be wide). */
export const MAX_LABEL_BYTES = 2 ** 30;

/** Labels at or above this are taken for garbage rather than a class index. */
export const MAX_CLASSES = 1_000_000;

/** 3000 → "3 000": counts in messages are read by people. */
export function grouped(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}

/** An inputs tensor split into its examples. */
export interface ExampleLayout {
  readonly count: number;
  readonly inputShape: readonly number[];
  /** Values per example. */
  readonly size: number;
  readonly notes: readonly string[];
}

/**
 * Splits an inputs shape into the example count and the shape of one example, refusing empty
 * sets and sets whose float32 form would not fit in the memory bound.
 */
export function exampleLayout(file: string, what: string, shape: readonly number[]): ExampleLayout {
  ensure(shape.length > 0, file, `${what} are a single value (rank 0); one row per example is expected`);
  const count = shape[0]!;
  ensure(count > 0, file, `${what} hold no examples (shape [${clip(shape.join(', '))}])`);
  const notes: string[] = [];
  let inputShape = shape.slice(1);
  if (inputShape.length === 0) {
    inputShape = [1];
    notes.push(`${what} have shape [${count}]: each example is a single value, input shape [1]`);
  }
  const size = inputShape.reduce((a, b) => a * b, 1);
  ensure(size > 0, file, `${what} have shape [${clip(shape.join(', '))}]: each example holds no values`);
  const bytes = count * size * 4;
  ensure(
    bytes <= MAX_INPUT_BYTES,
    file,
    () => `${what} (${grouped(count)} examples of ${grouped(size)} values) would take ${formatBytes(bytes)} as float32, more than the ${formatBytes(MAX_INPUT_BYTES)} Merge Lens holds in memory; evaluate on a subset (e.g. the first 10 000 examples saved to a new file)`,
  );
  return { count, inputShape, size, notes };
}

/** Refuses inputs and labels of different lengths, before either is read. */
export function ensureSameCount(file: string, inputs: number, labels: number): void {
  ensure(inputs === labels, file, () => `${grouped(inputs)} inputs but ${grouped(labels)} labels; every example needs exactly one label`);
}

/** Refuses a label tensor too large to be labels, before it is read. */
export function ensureLabelBytes(file: string, what: string, bytes: number): void {
  ensure(bytes <= MAX_LABEL_BYTES, file, () => `${what} take ${formatBytes(bytes)}, more than the ${formatBytes(MAX_LABEL_BYTES)} accepted for labels`);
}
