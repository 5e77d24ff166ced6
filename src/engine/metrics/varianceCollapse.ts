import { tf } from '../backend/tfBackend';
import type { BatchNormMode } from '../model/runNetwork';
import { ancestorsOf, sweep, type InterpolationFamily, type SweepData } from './interpolationSweep';

/**
 * Per channel of each captured node, the population standard deviation over the data (every
 * sample and spatial position an observation), for each α of a sweep; BatchNorm as `modes` says.
 */
export async function channelDeviations(
  family: InterpolationFamily,
  data: SweepData,
  batchSize: number,
  alphas: readonly number[],
  nodes: readonly number[],
  modes: (k: number) => ReadonlyMap<number, BatchNormMode>,
  onBatch?: (batch: number, batches: number) => Promise<void>,
): Promise<Float64Array[][]> {
  const sums = alphas.map(() => nodes.map(() => null as null | { shift: Float32Array; sum: Float64Array; squares: Float64Array; count: number }));
  await sweep(family, data, batchSize, alphas, {
    modes: (step) => modes(step.k),
    only: ancestorsOf(family.network, nodes),
    read: nodes,
    pick: (run) => nodes.map((node) => {
      const v = run.values[node]!;
      return tf.reshape(v, [-1, v.shape[v.shape.length - 1]!]) as tf.Tensor2D;
    }),
    consume: async (kept, step) => {
      for (const [n, rows] of kept.entries()) {
        let entry = sums[step.k]![n]!;
        if (!entry) {
          // Shifted by the first batch's means, so that the sums of squares do not cancel.
          const shift = (await tf.tidy(() => tf.mean(rows, 0)).data()) as Float32Array;
          entry = { shift, sum: new Float64Array(shift.length), squares: new Float64Array(shift.length), count: 0 };
          sums[step.k]![n] = entry;
        }
        const shift = entry.shift;
        const moments = tf.tidy(() => {
          const x = tf.sub(rows, tf.tensor1d(shift));
          return [tf.sum(x, 0), tf.sum(tf.square(x), 0)];
        });
        const [s, q] = (await Promise.all(moments.map((t) => t.data()))) as Float32Array[];
        tf.dispose(moments);
        for (let c = 0; c < s.length; c++) {
          entry.sum[c]! += s[c]!;
          entry.squares[c]! += q[c]!;
        }
        entry.count += rows.shape[0];
      }
    },
    ...(onBatch ? { onBatch } : {}),
  });
  return sums.map((byNode) =>
    byNode.map((e) => {
      if (!e) throw new Error('no samples to measure deviations on');
      return Float64Array.from(e.sum, (s, c) => Math.sqrt(Math.max(0, e.squares[c]! / e.count - (s / e.count) ** 2)));
    }),
  );
}

/**
 * REPAIR's variance collapse of one layer: the mean over channels of the merged network's
 * standard deviation over the mean of the endpoints' ((σ_A + σ_B) / 2); channels where both
 * endpoints are constant are left out, and with none left the ratio is NaN.
 */
export function collapseRatio(merged: Float64Array, a: Float64Array, b: Float64Array): number {
  let sum = 0;
  let count = 0;
  for (let c = 0; c < merged.length; c++) {
    const reference = (a[c]! + b[c]!) / 2;
    if (!(reference > 0)) continue;
    sum += merged[c]! / reference;
    count++;
  }
  return count === 0 ? NaN : sum / count;
}
