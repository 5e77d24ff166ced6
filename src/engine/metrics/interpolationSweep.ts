import { tf } from '../backend/tfBackend';
import { INPUT, isWeighted, nodeInputs, type Network } from '../model/network';
import { lerp, lerpNetwork, uploadSamples, type NetworkTensors } from '../model/networkTensors';
import { runNetwork, type BatchNormMode, type RunResult } from '../model/runNetwork';

/**
 * Networks between A and B that differ only in the tensors of `interpolated` nodes, mixed at
 * each α: the whole path (every node), or one layer's barrier (that layer and its BatchNorm).
 */
export interface InterpolationFamily {
  readonly network: Network;
  readonly a: NetworkTensors;
  readonly b: NetworkTensors;
  /** Per node, whether its tensors are interpolated; the others are A's. */
  readonly interpolated: readonly boolean[];
}

/** Samples in PyTorch's layout, count × input size. */
export interface SweepData {
  readonly inputs: Float32Array;
  readonly count: number;
}

export interface SweepStep {
  /** Index into the α list. */
  readonly k: number;
  readonly alpha: number;
  readonly start: number;
  readonly end: number;
}

/**
 * Runs every network of the family at every α on every batch of `data`, batch by batch:
 * - nodes no interpolated node feeds are A's for every α, so they run once per batch;
 * - an interpolated weighted node whose input is one of those (the first layer of the path, the
 *   layer of a per-layer barrier) is linear in α, so its outputs with A's and with B's tensors
 *   are computed once and mixed, rather than the layer run for every α;
 * - only the rest runs per α, its tensors mixed on the backend.
 * `pick` (inside tf.tidy) chooses what to keep of each run; `consume` receives it and the
 * tensors are freed after. `only` limits the nodes run per α to those its values need.
 */
export async function sweep<T extends tf.TensorContainer>(
  family: InterpolationFamily,
  data: SweepData,
  batchSize: number,
  alphas: readonly number[],
  options: {
    readonly modes?: (step: SweepStep) => ReadonlyMap<number, BatchNormMode>;
    readonly pick: (result: RunResult, step: SweepStep) => T;
    readonly consume: (kept: T, step: SweepStep) => Promise<void> | void;
    readonly only?: readonly boolean[];
    /** The nodes whose values `pick` reads besides the logits (`runNetwork`'s `read`): the others are freed as the run goes. */
    readonly read: readonly number[];
    /** Called after each batch, with its number (1-based) and the count of batches. */
    readonly onBatch?: (batch: number, batches: number) => Promise<void>;
  },
): Promise<void> {
  const { network, a, b, interpolated } = family;
  const dynamic = downstream(network, interpolated);
  const mixable = network.nodes.map((node, i) => interpolated[i]! && isWeighted(node) && (node.input === INPUT || !dynamic[node.input]!));
  const perAlpha = network.nodes.map((_, i) => dynamic[i]! && !mixable[i]! && (options.only?.[i] ?? true));
  const staticNodes = network.nodes.map((_, i) => !dynamic[i]!);
  // The static values kept for the batch: those the per-α nodes and the mixed layers read.
  const frontier = network.nodes.map(() => false);
  network.nodes.forEach((node, i) => {
    if (perAlpha[i] || mixable[i]) for (const input of nodeInputs(node)) if (input !== INPUT && staticNodes[input]) frontier[input] = true;
  });
  const mixedMask = interpolated.map((v, i) => v && !mixable[i]!);
  const batches = Math.ceil(data.count / batchSize);
  for (let start = 0, batch = 1; start < data.count; start += batchSize, batch++) {
    const end = Math.min(data.count, start + batchSize);
    let x!: tf.Tensor;
    const given = new Map<number, tf.Tensor>();
    const ends = new Map<number, readonly [tf.Tensor, tf.Tensor]>();
    tf.tidy(() => {
      x = tf.keep(uploadSamples(network, data.inputs, start, end));
      const kept = frontier.flatMap((needed, i) => (needed ? [i] : []));
      const fixed = runNetwork(network, a, x, { compute: staticNodes, read: kept }).values;
      fixed.forEach((v, i) => frontier[i] && given.set(i, tf.keep(v!)));
      network.nodes.forEach((_, i) => {
        if (!mixable[i]) return;
        const only = network.nodes.map((__, j) => j === i);
        const za = runNetwork(network, a, x, { given, compute: only, read: [i] }).values[i]!;
        const zb = runNetwork(network, b, x, { given, compute: only, read: [i] }).values[i]!;
        ends.set(i, [tf.keep(za), tf.keep(zb)]);
      });
    });
    try {
      for (const [k, alpha] of alphas.entries()) {
        const step = { k, alpha, start, end };
        const owned: tf.Tensor[] = [];
        let result: T;
        try {
          const mixed = lerpNetwork(a, b, alpha, mixedMask, owned);
          result = tf.tidy(() => {
            const values = new Map(given);
            for (const [i, [za, zb]] of ends) values.set(i, lerp(za, zb, alpha));
            const run = runNetwork(network, mixed, x, { given: values, compute: perAlpha, read: options.read, ...(options.modes ? { modes: options.modes(step) } : {}) });
            return options.pick(run, step);
          });
        } finally {
          tf.dispose(owned);
        }
        try {
          await options.consume(result, step);
        } finally {
          tf.dispose(result);
        }
      }
    } finally {
      tf.dispose([x, ...given.values(), ...[...ends.values()].flat()]);
    }
    await options.onBatch?.(batch, batches);
  }
}

/** The nodes whose value depends on an interpolated node's tensors, the interpolated ones included. */
function downstream(network: Network, interpolated: readonly boolean[]): boolean[] {
  const out: boolean[] = [];
  network.nodes.forEach((node, i) => {
    out.push(interpolated[i]! || nodeInputs(node).some((input) => input !== INPUT && out[input]!));
  });
  return out;
}

/** The nodes `targets` need computed (themselves included): what a pass that only measures some BatchNorms runs. */
export function ancestorsOf(network: Network, targets: Iterable<number>): boolean[] {
  const mask = network.nodes.map(() => false);
  const visit = (i: number): void => {
    if (i === INPUT || mask[i]) return;
    mask[i] = true;
    nodeInputs(network.nodes[i]!).forEach(visit);
  };
  for (const t of targets) visit(t);
  return mask;
}
