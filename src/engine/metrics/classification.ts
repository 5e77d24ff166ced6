import { IGNORED_LABEL } from '../datasets/dataset';
import type { Network } from '../model/network';
import { valueShapes } from '../model/networkShapes';

/**
 * How a network's logits are scored: as rows of `classes` values, `perSample` rows per sample.
 * A classifier's logits [classes] are one row; a language model's [T, vocab] are T rows, one
 * per position, each with its own label.
 */
export function logitRows(network: Network): { readonly perSample: number; readonly classes: number } {
  const shapes = valueShapes(network);
  const logits = shapes[shapes.length - 1]!;
  return { perSample: logits.slice(0, -1).reduce((x, y) => x * y, 1), classes: logits[logits.length - 1]! };
}

/** Sums over the scored rows of some logits: what batches add up before the means are taken. */
export interface ScoreSums {
  /** Σ −log softmax(z)[y] over the scored rows. */
  readonly loss: number;
  /** Scored rows whose largest logit is the label's. */
  readonly correct: number;
  /** Rows whose label is not IGNORED_LABEL. */
  readonly scored: number;
}

/**
 * Cross-entropy and correctness summed over the rows of row-major logits (labels.length ×
 * classes) whose label is not IGNORED_LABEL; a row is one example, or one position of a token
 * sequence. The loss is computed in double precision through a max-shifted log-softmax,
 * −log softmax(z)[y] = log Σ exp(z − m) − (z_y − m); a row is correct when the label's logit is
 * the first largest (argmax on ties). No scored row gives zeros, for the caller to judge.
 */
export function scoreSums(logits: Float32Array, labels: Int32Array, classes: number): ScoreSums {
  checkShapes(logits, labels, classes);
  let loss = 0;
  let correct = 0;
  let scored = 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (y === IGNORED_LABEL) continue;
    const row = i * classes;
    let max = -Infinity;
    let best = 0;
    for (let c = 0; c < classes; c++) {
      const z = logits[row + c]!;
      if (z > max) {
        max = z;
        best = c;
      }
    }
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[row + c]! - max);
    loss += Math.log(sum) - (logits[row + y]! - max);
    if (best === y) correct++;
    scored++;
  }
  return { loss, correct, scored };
}

/** Mean cross-entropy over the scored rows (Hugging Face's loss: the mean over every scored token of every sequence). */
export function crossEntropy(logits: Float32Array, labels: Int32Array, classes: number): number {
  const sums = scoreSums(logits, labels, classes);
  return sums.loss / someScored(sums);
}

/** The fraction of scored rows whose largest logit is the label's (the first largest on ties, as argmax). */
export function accuracy(logits: Float32Array, labels: Int32Array, classes: number): number {
  const sums = scoreSums(logits, labels, classes);
  return sums.correct / someScored(sums);
}

function someScored(sums: ScoreSums): number {
  if (sums.scored === 0) throw new Error('no scored samples: every label is ignored');
  return sums.scored;
}

function checkShapes(logits: Float32Array, labels: Int32Array, classes: number): void {
  if (!Number.isSafeInteger(classes) || classes < 1) throw new Error(`the number of classes must be a positive integer, got ${classes}`);
  if (labels.length === 0) throw new Error('no samples to score');
  if (logits.length !== labels.length * classes) {
    throw new Error(`${labels.length} samples of ${classes} classes need ${labels.length * classes} logits, got ${logits.length}`);
  }
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (y !== IGNORED_LABEL && (y < 0 || y >= classes)) throw new Error(`sample ${i} has label ${y}, outside the ${classes} classes`);
  }
}
