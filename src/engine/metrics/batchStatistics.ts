import type { Network } from '../model/network';
import { valueShapes } from '../model/networkShapes';
import type { BatchNormMode } from '../model/runNetwork';
import { ancestorsOf, sweep, type InterpolationFamily, type SweepData } from './interpolationSweep';

/** Batches of the fit data a BatchNorm reset runs: the statistics are an average over batches, so the size is part of the definition. */
export const BN_RESET_BATCH = 256;

/** One BatchNorm's recomputed statistics: per channel, the running mean and the (unbiased) running variance. */
export interface ChannelStatistics {
  readonly mean: Float32Array;
  readonly variance: Float32Array;
}

/** Per α, per BatchNorm node. */
export type StatisticsByAlpha = readonly ReadonlyMap<number, ChannelStatistics>[];

/** Every BatchNorm of `network` in batch mode when `reset`, none otherwise: the nodes a BatchNorm reset recomputes. */
export function resetModes(network: Network, reset: boolean): Map<number, 'batch' | 'track'> {
  const out = new Map<number, 'batch' | 'track'>();
  if (reset) network.nodes.forEach((node, i) => node.op === 'batchnorm' && out.set(i, 'batch'));
  return out;
}

/**
 * What PyTorch's standard BatchNorm reset computes (Git Re-Basin, REPAIR): the network in train
 * mode over the fit data in batches of BN_RESET_BATCH, momentum None, so each node's running
 * mean is the average over batches of the batch means and its running variance the average of
 * the unbiased batch variances, every batch normalised by its own statistics on the way. `modes`
 * says per node whether it normalises ('batch', a BatchNorm being reset) or passes its input
 * through ('track', a REPAIR layer measuring the endpoints); other BatchNorms run in eval mode.
 */
export async function batchStatistics(
  family: InterpolationFamily,
  fit: SweepData,
  alphas: readonly number[],
  modes: ReadonlyMap<number, 'batch' | 'track'>,
  onBatch?: (batch: number, batches: number) => Promise<void>,
): Promise<StatisticsByAlpha> {
  const nodes = [...modes.keys()];
  const shapes = valueShapes(family.network);
  // Values per channel in a batch: the samples times the map's positions.
  const perSample = nodes.map((node) => shapes[node]!.slice(1).reduce((x, y) => x * y, 1));
  const sums = alphas.map(() => new Map<number, { mean: Float64Array; variance: Float64Array; batches: number }>());
  const runModes = new Map<number, BatchNormMode>([...modes].map(([node, kind]) => [node, { kind }]));
  await sweep(family, fit, BN_RESET_BATCH, alphas, {
    modes: () => runModes,
    only: ancestorsOf(family.network, nodes),
    // The moments are all it reads.
    read: [],
    pick: (run) => nodes.flatMap((node) => {
      const m = run.moments.get(node);
      if (!m) throw new Error(`BatchNorm node ${node} was not measured`);
      return [m.mean, m.variance];
    }),
    consume: async (kept, step) => {
      const values = await Promise.all(kept.map((t) => t.data<'float32'>()));
      nodes.forEach((node, n) => {
        const mean = values[2 * n]!;
        const variance = values[2 * n + 1]!;
        const entry = sums[step.k]!.get(node) ?? { mean: new Float64Array(mean.length), variance: new Float64Array(mean.length), batches: 0 };
        sums[step.k]!.set(node, entry);
        entry.batches++;
        const n1 = (step.end - step.start) * perSample[n]!;
        if (n1 < 2) throw new Error(`a BatchNorm reset needs more than one value per channel in every batch, and '${family.network.nodes[node]!.id}' has ${n1}`);
        for (let c = 0; c < mean.length; c++) {
          entry.mean[c]! += mean[c]!;
          entry.variance[c]! += (variance[c]! * n1) / (n1 - 1);
        }
      });
    },
    ...(onBatch ? { onBatch } : {}),
  });
  return sums.map((byNode) => new Map([...byNode].map(([node, s]) => [node, { mean: Float32Array.from(s.mean, (v) => v / s.batches), variance: Float32Array.from(s.variance, (v) => v / s.batches) }])));
}
