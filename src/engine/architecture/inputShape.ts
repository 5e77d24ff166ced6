import { FormatError } from '../io/formatError';

/** Where a sample shape came from, for messages: the data file, or a shape the user gave. */
export interface SampleShape {
  readonly shape: readonly number[];
  /** The dataset file, or null for a shape given as an option. */
  readonly file: string | null;
}

/**
 * The C×H×W input of a network whose first layer takes `channels` channels, from one data
 * sample's shape: a C×H×W sample as it is, a flat or H×W sample of C·H·W values with H = W
 * (784 values and one channel: 1×28×28; 3072 and three: 3×32×32). A sample that fits no square
 * C×H×W input is refused, naming the data file.
 */
export function spatialInput(channels: number, sample: SampleShape): number[] {
  const { shape, file } = sample;
  const total = shape.reduce((x, y) => x * y, 1);
  const fail = (problem: string): never => {
    if (file === null) throw new FormatError('--input-shape', problem);
    throw new FormatError(file, problem);
  };
  const what = `inputs of ${shape.join('×')}${shape.length > 1 ? ` (${total} values)` : ' values'}`;
  if (shape.length === 3) {
    if (shape[0] === channels) return [...shape];
    if (shape[2] === channels) fail(`${what} are stored channels last, but the network's first convolution takes ${channels} channels first: store them as [n, ${channels}, ${shape[0]}, ${shape[1]}]`);
    fail(`${what} do not have the ${channels} channels the network's first convolution takes`);
  }
  const side = Math.round(Math.sqrt(total / channels));
  if (total % channels !== 0 || side * side * channels !== total) {
    fail(`${what} fit no ${channels}×H×W input of the network's first convolution (${total} is not ${channels} × a square); give the input shape (--input-shape C×H×W, or "input" in a description file)`);
  }
  return [channels, side, side];
}

/** Parses "3x32x32", "3×32×32" or "784" into a shape. */
export function parseShape(text: string): number[] | null {
  const parts = text.split(/[x×,]/).map((p) => Number(p.trim()));
  return parts.length >= 1 && parts.length <= 3 && parts.every((p) => Number.isSafeInteger(p) && p > 0) ? parts : null;
}
