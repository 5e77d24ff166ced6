/** Loss and accuracy along the α grid. */
export interface PathCurve {
  readonly loss: readonly number[];
  readonly accuracy: readonly number[];
}

export interface Barriers {
  /** max_α [L(α) − ((1−α)·L(0) + α·L(1))]. */
  readonly loss: number;
  /** max_α [((1−α)·Acc(0) + α·Acc(1)) − Acc(α)]. */
  readonly accuracy: number;
}

/**
 * The barriers of a path measured at `alphas` (first 0, last 1). Both are ≥ 0, since α = 0
 * contributes 0. The straight line is evaluated as v(0) + α·(v(1) − v(0)), so a flat path gives
 * exactly 0. NaN anywhere on the path gives NaN.
 */
export function barriers(alphas: readonly number[], path: PathCurve): Barriers {
  const n = alphas.length;
  if (n < 2 || alphas[0] !== 0 || alphas[n - 1] !== 1) throw new Error('the α grid must run from 0 to 1');
  if (path.loss.length !== n || path.accuracy.length !== n) throw new Error(`a path of ${n} α needs ${n} losses and accuracies`);
  const line = (values: readonly number[], i: number): number => values[0]! + alphas[i]! * (values[n - 1]! - values[0]!);
  let loss = 0;
  let accuracy = 0;
  for (let i = 0; i < n; i++) {
    loss = Math.max(loss, path.loss[i]! - line(path.loss, i));
    accuracy = Math.max(accuracy, line(path.accuracy, i) - path.accuracy[i]!);
  }
  return { loss, accuracy };
}
