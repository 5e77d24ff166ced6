import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FormatError, ensure } from '../io/formatError';
import { randomOrder, seededRandom } from '../alignment/seededRandom';

/** 28×28 pixels, flattened: the demo's MLPs see each digit as a row of 784 values in [0, 1]. */
export const DIGIT_PIXELS = 784;
export const DIGIT_CLASSES = 10;

/** Labelled digits, shaped as the engine's Dataset is (without its file and notes). */
export interface DigitSet {
  readonly count: number;
  readonly inputShape: readonly number[];
  /** count × 784 values in [0, 1], row-major. */
  readonly inputs: Float32Array;
  readonly labels: Int32Array;
  readonly numClasses: number;
}

export interface MnistDigits {
  readonly train: DigitSet;
  readonly test: DigitSet;
}

export interface LoadDigitsOptions {
  /** Seeds the shuffle before the split (default 0): the same seed, the same split. */
  readonly seed?: number;
  /** Digits held out for evaluation (default 2000); the rest train. */
  readonly testCount?: number;
}

/**
 * Held in a variable so that the bundler leaves the lookup to run time (a literal would draw
 * its advice to bundle the package): importing the JSON would put 21 MB into every bundle.
 */
const MNIST_PACKAGE = 'mnist/package.json';

/** The folder of the mnist package's per-class files, as installed beside Merge Lens. */
export function mnistDigitsFolder(): string {
  return join(dirname(require.resolve(MNIST_PACKAGE)), 'src', 'digits');
}

/** One class file: `{"data": [...]}`, images of 784 values one after another. */
async function readClass(file: string): Promise<Float32Array> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    if (error instanceof SyntaxError) throw new FormatError(file, `is not valid JSON: ${error.message}`);
    throw new FormatError(file, `cannot be read: ${(error as Error).message}`);
  }
  const data = (parsed as { data?: unknown } | null)?.data;
  ensure(Array.isArray(data), file, 'has no "data" array of pixel values');
  ensure(data.length % DIGIT_PIXELS === 0, file, `holds ${data.length} values, not a whole number of ${DIGIT_PIXELS}-pixel images`);
  const values = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    ensure(typeof v === 'number' && v >= 0 && v <= 1, file, () => `value ${i} (${JSON.stringify(v)}) is not a pixel value in [0, 1]`);
    values[i] = v;
  }
  return values;
}

function take(inputs: Float32Array, labels: Int32Array, order: readonly number[]): DigitSet {
  const picked = new Float32Array(order.length * DIGIT_PIXELS);
  const pickedLabels = new Int32Array(order.length);
  order.forEach((source, i) => {
    picked.set(inputs.subarray(source * DIGIT_PIXELS, (source + 1) * DIGIT_PIXELS), i * DIGIT_PIXELS);
    pickedLabels[i] = labels[source]!;
  });
  return { count: order.length, inputShape: [DIGIT_PIXELS], inputs: picked, labels: pickedLabels, numClasses: DIGIT_CLASSES };
}

/**
 * The 10,000 real MNIST digits the mnist package ships, shuffled with a seed and split into
 * a training and a test set.
 */
export async function loadMnistDigits(options: LoadDigitsOptions = {}): Promise<MnistDigits> {
  const folder = mnistDigitsFolder();
  const classes = await Promise.all(
    Array.from({ length: DIGIT_CLASSES }, (_, digit) => readClass(join(folder, `${digit}.json`))),
  );
  const total = classes.reduce((sum, c) => sum + c.length / DIGIT_PIXELS, 0);
  const testCount = options.testCount ?? 2000;
  if (!Number.isSafeInteger(testCount) || testCount <= 0 || testCount >= total) {
    throw new RangeError(`testCount must be an integer between 1 and ${total - 1}, not ${testCount}`);
  }

  const inputs = new Float32Array(total * DIGIT_PIXELS);
  const labels = new Int32Array(total);
  let filled = 0;
  classes.forEach((values, digit) => {
    inputs.set(values, filled * DIGIT_PIXELS);
    labels.fill(digit, filled, filled + values.length / DIGIT_PIXELS);
    filled += values.length / DIGIT_PIXELS;
  });

  const order = randomOrder(total, seededRandom(options.seed ?? 0));
  return {
    train: take(inputs, labels, order.slice(0, total - testCount)),
    test: take(inputs, labels, order.slice(total - testCount)),
  };
}
