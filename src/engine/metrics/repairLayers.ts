import { tf } from '../backend/tfBackend';
import { INPUT, layerUnits, type Network, type NetworkNode } from '../model/network';
import { channelSpacesWithValues } from '../model/networkSpaces';
import { hasTensors, type NetworkTensors, type NodeTensors } from '../model/networkTensors';
import { batchStatistics, resetModes, type ChannelStatistics } from './batchStatistics';
import type { InterpolationFamily, SweepData } from './interpolationSweep';

/** BatchNorm's default ε, which the REPAIR layers use as PyTorch's BatchNorm2d would. */
export const REPAIR_EPS = 1e-5;

/**
 * A network with a REPAIR layer (Jordan et al. 2023) after the output of every layer whose units
 * are permuted, after its BatchNorm when it has one: a BatchNorm that always normalises by
 * statistics measured on the fit data and rescales to a target mean and standard deviation.
 */
export interface RepairedNetwork {
  readonly network: Network;
  /** Per node of the original network, its index in this one. */
  readonly moved: readonly number[];
  /** Per REPAIR point: the original node it follows, its name for the report, and the REPAIR layer's index here. */
  readonly points: readonly { readonly node: number; readonly layer: string; readonly repair: number }[];
}

/** The nodes REPAIR corrects: each hidden layer's output, after its BatchNorm if it has one. */
export function repairPoints(network: Network): { readonly node: number; readonly layer: string }[] {
  const { spaces, values } = channelSpacesWithValues(network);
  return layerUnits(network).flatMap((unit) => {
    if (!spaces.spaces[values[unit.node]!]!.permutable) return [];
    return [{ node: unit.batchNorm ?? unit.node, layer: network.nodes[unit.node]!.id }];
  });
}

export function withRepairLayers(network: Network): RepairedNetwork {
  const points = repairPoints(network);
  const atPoint = new Map(points.map((p) => [p.node, p]));
  const nodes: NetworkNode[] = [];
  const moved: number[] = [];
  // What readers of an original node read now: the REPAIR layer after it, where there is one.
  const readFrom: number[] = [];
  const remap = (i: number) => (i === INPUT ? INPUT : readFrom[i]!);
  const out: { node: number; layer: string; repair: number }[] = [];
  network.nodes.forEach((node, i) => {
    const copy: NetworkNode =
      node.op === 'add' || node.op === 'mul'
        ? { ...node, inputs: [remap(node.inputs[0]), remap(node.inputs[1])] }
        : node.op === 'attention'
          ? { ...node, inputs: [remap(node.inputs[0]), remap(node.inputs[1]), remap(node.inputs[2])] }
          : { ...node, input: remap(node.input) };
    moved.push(nodes.length);
    nodes.push(copy);
    readFrom.push(nodes.length - 1);
    const point = atPoint.get(i);
    if (!point) return;
    const id = `${point.layer}.repair`;
    nodes.push({ op: 'batchnorm', id, input: nodes.length - 1, weight: `${id}.weight`, bias: `${id}.bias`, runningMean: `${id}.running_mean`, runningVar: `${id}.running_var`, eps: REPAIR_EPS, channels: channelsOf(network, i) });
    readFrom[i] = nodes.length - 1;
    out.push({ ...point, repair: nodes.length - 1 });
  });
  return { network: { ...network, nodes }, moved, points: out };
}

function channelsOf(network: Network, index: number): number {
  const node = network.nodes[index]!;
  if (node.op === 'conv2d') return node.outChannels;
  if (node.op === 'linear') return node.outFeatures;
  if (node.op === 'batchnorm') return node.channels;
  throw new Error(`REPAIR follows a layer with weights or a BatchNorm, not '${node.id}'`);
}

/**
 * The repaired network's tensors for one endpoint: the original nodes' tensors, shared, and
 * each REPAIR layer targeting that endpoint's statistics at its point (weight = standard
 * deviation, bias = mean), so that interpolating A's and B's targets gives REPAIR's
 * (1−α)·σ_A + α·σ_B and (1−α)·μ_A + α·μ_B. The running statistics are placeholders: a REPAIR
 * layer always runs on statistics measured for its α. `owned` receives the new tensors.
 */
export function repairTensors(repaired: RepairedNetwork, original: NetworkTensors, targets: ReadonlyMap<number, ChannelStatistics>, owned: tf.Tensor[]): (NodeTensors | null)[] {
  const out: (NodeTensors | null)[] = repaired.network.nodes.map(() => null);
  repaired.moved.forEach((to, from) => (out[to] = original[from] ?? null));
  for (const point of repaired.points) {
    const target = targets.get(point.repair);
    if (!target) throw new Error(`no REPAIR target was measured for '${point.layer}'`);
    const t = (values: Float32Array | number[]) => {
      const tensor = tf.tensor1d(values);
      owned.push(tensor);
      return tensor;
    };
    const c = target.mean.length;
    out[point.repair] = {
      kind: 'batchnorm',
      gamma: t(Float32Array.from(target.variance, (v) => Math.sqrt(v))),
      beta: t(target.mean),
      mean: t(new Float32Array(c)),
      variance: t(new Float32Array(c).fill(1)),
    };
  }
  return out;
}

/** Placeholder targets for the pass that measures them: the REPAIR layers only track there. */
function identityTargets(repaired: RepairedNetwork): Map<number, ChannelStatistics> {
  return new Map(repaired.points.map((p) => {
    const node = repaired.network.nodes[p.repair]!;
    const c = node.op === 'batchnorm' ? node.channels : 0;
    return [p.repair, { mean: new Float32Array(c), variance: new Float32Array(c).fill(1) }];
  }));
}

export interface RepairFamily {
  readonly repaired: RepairedNetwork;
  /** The repaired networks between A and B, each endpoint's REPAIR layers targeting its own statistics. */
  readonly family: InterpolationFamily;
  /** A's and B's statistics at every REPAIR point (by the REPAIR layer's index). */
  readonly targets: readonly [ReadonlyMap<number, ChannelStatistics>, ReadonlyMap<number, ChannelStatistics>];
  /** The modes that measure an interpolated network's REPAIR statistics: its REPAIR layers, and its BatchNorms when they are reset. */
  readonly pathModes: ReadonlyMap<number, 'batch' | 'track'>;
}

/**
 * REPAIR between A and B: the endpoints' statistics at every REPAIR point measured on the fit data
 * (the REPAIR layers only tracking, the BatchNorms reset when `bnReset`), then the family whose
 * endpoints target them. `owned` receives the tensors made here.
 */
export async function repairFamily(
  network: Network,
  tensorsA: NetworkTensors,
  tensorsB: NetworkTensors,
  fit: SweepData,
  bnReset: boolean,
  owned: tf.Tensor[],
  onBatch?: (batch: number, batches: number) => Promise<void>,
): Promise<RepairFamily> {
  const repaired = withRepairLayers(network);
  const interpolated = repaired.network.nodes.map(hasTensors);
  const track = resetModes(repaired.network, bnReset);
  for (const p of repaired.points) track.set(p.repair, 'track');
  const identity = identityTargets(repaired);
  const trackFamily: InterpolationFamily = {
    network: repaired.network,
    a: repairTensors(repaired, tensorsA, identity, owned),
    b: repairTensors(repaired, tensorsB, identity, owned),
    interpolated,
  };
  const [targetsA, targetsB] = await batchStatistics(trackFamily, fit, [0, 1], track, onBatch);
  const family: InterpolationFamily = {
    network: repaired.network,
    a: repairTensors(repaired, tensorsA, targetsA!, owned),
    b: repairTensors(repaired, tensorsB, targetsB!, owned),
    interpolated,
  };
  const pathModes = resetModes(repaired.network, bnReset);
  for (const p of repaired.points) pathModes.set(p.repair, 'batch');
  return { repaired, family, targets: [targetsA!, targetsB!], pathModes };
}
