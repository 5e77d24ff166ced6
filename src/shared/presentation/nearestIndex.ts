/** The index of the value closest to `target` (the α nearest 0.5, the column under a round tick); the first of ties, 0 when empty. */
export function nearestIndex(values: readonly number[], target: number): number {
  let best = 0;
  values.forEach((v, i) => {
    if (Math.abs(v - target) < Math.abs(values[best]! - target)) best = i;
  });
  return best;
}
