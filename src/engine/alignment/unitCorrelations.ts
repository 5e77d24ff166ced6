import { tf } from '../backend/tfBackend';
import { batchSizeFor } from '../model/forward';
import type { Network } from '../model/network';
import { featurePoints } from '../model/networkSpaces';
import { disposeTensors, uploadNetwork, uploadSamples } from '../model/networkTensors';
import type { Params } from '../model/params';
import type { PermutationSpec } from '../model/permutationSpec';
import { runNetwork } from '../model/runNetwork';
import { CrossMoments } from './crossMoments';

/** Fit samples: count × input size, row-major in PyTorch's layout. */
export interface Samples {
  readonly inputs: Float32Array;
  readonly count: number;
}

/**
 * Per group, the Pearson correlation of every A unit with every B unit (size × size, row-major)
 * over the fit data: at each of the group's feature points (`featurePoints`), every sample and
 * every spatial position is one observation, and a group seen at several points (a ResNet stage,
 * after each block) gets the mean of their correlation matrices. BatchNorm runs in eval mode.
 */
export async function unitCorrelations(network: Network, a: Params, b: Params, spec: PermutationSpec, fit: Samples): Promise<Float64Array[]> {
  const points = featurePoints(network, spec);
  const moments = points.map((list, g) => list.map(() => new CrossMoments(spec.groups[g]!.size, spec.groups[g]!.size)));
  const flat = points.flat();
  const batchSize = batchSizeFor(network);
  const ta = uploadNetwork(network, a);
  try {
    const tb = uploadNetwork(network, b);
    try {
      for (let start = 0; start < fit.count; start += batchSize) {
        const end = Math.min(fit.count, start + batchSize);
        const [fa, fb] = tf.tidy(() => {
          const x = uploadSamples(network, fit.inputs, start, end);
          const unitRows = (values: readonly (tf.Tensor | undefined)[]) =>
            flat.map((i) => tf.reshape(values[i]!, [-1, values[i]!.shape[values[i]!.shape.length - 1]!]) as tf.Tensor2D);
          return [unitRows(runNetwork(network, ta, x, { read: flat }).values), unitRows(runNetwork(network, tb, x, { read: flat }).values)];
        });
        try {
          let k = 0;
          for (const list of moments) for (const m of list) await m.add(fa![k]!, fb![k++]!);
        } finally {
          tf.dispose([...fa!, ...fb!]);
        }
      }
    } finally {
      disposeTensors(tb);
    }
  } finally {
    disposeTensors(ta);
  }
  return moments.map((list, g) => {
    const n = spec.groups[g]!.size;
    const mean = new Float64Array(n * n);
    for (const m of list) m.correlations().forEach((v, k) => (mean[k]! += v / list.length));
    return mean;
  });
}
