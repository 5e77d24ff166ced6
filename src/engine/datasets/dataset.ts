/** The file formats evaluation data is read from. */
export type DatasetFormat = 'npz' | 'npy' | 'safetensors' | 'mnist-idx' | 'cifar10';

/**
 * Labelled examples to measure loss and accuracy on, all in memory as float32.
 *
 * The conventions every reader follows:
 * - uint8 inputs are scaled to [0, 1] (divided by 255, as torchvision's ToTensor does); float
 *   inputs are kept as they are; other integer inputs become float32 unscaled.
 * - labels of any integer dtype become Int32 class indices; whole-number float labels are
 *   accepted; negative, fractional or absurdly large labels are refused; one-hot [n, k] label
 *   matrices become indices.
 * - numClasses is the largest label + 1 (k for one-hot labels, 10 for CIFAR-10).
 * - the inputs keep their stored layout: nothing is transposed or flattened, except that MNIST
 *   IDX images [n, H, W] gain a channel axis, [1, H, W].
 * - token sequences (readTokenDataset) are the exception to all of the above: ids unscaled,
 *   per-position targets, numClasses the largest id or target + 1.
 */
export interface Dataset {
  /** The file given (the images or the labels file, for a pair of files). */
  readonly file: string;
  readonly format: DatasetFormat;
  /** Number of examples. */
  readonly count: number;
  /** The shape of one example, e.g. [1, 28, 28], [3, 32, 32], [784]. */
  readonly inputShape: readonly number[];
  /** count × prod(inputShape) values, row-major, example after example. */
  readonly inputs: Float32Array;
  /**
   * One class index per example, 0..numClasses-1; for token sequences, one next-token target per
   * position (count × length), IGNORED_LABEL where nothing is scored.
   */
  readonly labels: Int32Array;
  readonly numClasses: number;
  /**
   * Present for token sequences (inputs: count × length token ids, −1 for padding): the logits
   * at position t are scored against labels[t], the token at t + 1 (Hugging Face's convention).
   */
  readonly sequence?: { readonly length: number };
  /** What the reader decided: which keys or files it used, the scaling it applied, and so on. */
  readonly notes: readonly string[];
}

/** A position whose logits no loss or accuracy counts (Hugging Face's −100, padding, the last position). */
export const IGNORED_LABEL = -1;

/** How many targets are scored: all of a classification set's, the non-ignored positions of token sequences. */
export function scoredCount(labels: Int32Array): number {
  let n = 0;
  for (const y of labels) if (y !== IGNORED_LABEL) n++;
  return n;
}
