/**
 * Mean cross-entropy of row-major logits (labels.length × classes) against integer labels, in
 * double precision through a max-shifted log-softmax: −log softmax(z)[y] = log Σ exp(z − m) − (z_y − m).
 */
export function crossEntropy(logits: Float32Array, labels: Int32Array, classes: number): number {
  checkShapes(logits, labels, classes);
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    const row = i * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[row + c]!);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[row + c]! - max);
    total += Math.log(sum) - (logits[row + labels[i]!]! - max);
  }
  return total / labels.length;
}

/** The fraction of rows whose largest logit is the label's (the first largest on ties, as argmax). */
export function accuracy(logits: Float32Array, labels: Int32Array, classes: number): number {
  checkShapes(logits, labels, classes);
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    const row = i * classes;
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[row + c]! > logits[row + best]!) best = c;
    if (best === labels[i]) correct++;
  }
  return correct / labels.length;
}

function checkShapes(logits: Float32Array, labels: Int32Array, classes: number): void {
  if (!Number.isSafeInteger(classes) || classes < 1) throw new Error(`the number of classes must be a positive integer, got ${classes}`);
  if (labels.length === 0) throw new Error('no samples to score');
  if (logits.length !== labels.length * classes) {
    throw new Error(`${labels.length} samples of ${classes} classes need ${labels.length * classes} logits, got ${logits.length}`);
  }
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (y < 0 || y >= classes) throw new Error(`sample ${i} has label ${y}, outside the ${classes} classes`);
  }
}
