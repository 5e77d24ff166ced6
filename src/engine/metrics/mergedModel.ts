import { tf } from '../backend/tfBackend';
import { InputError } from '../io/inputError';
import { isWeighted, type Network } from '../model/network';
import { disposeTensors, hasTensors, uploadNetwork } from '../model/networkTensors';
import type { Params, Tensor32 } from '../model/params';
import { batchStatistics, resetModes, type ChannelStatistics } from './batchStatistics';
import { interpolateParams } from './interpolation';
import type { InterpolationFamily, SweepData } from './interpolationSweep';
import { REPAIR_EPS, repairFamily, repairPoints } from './repairLayers';

/** What the measured network at α had beyond the interpolated weights, for the merged model to have it too. */
export interface MergeCorrection {
  /** The fit data the comparison measured its statistics on. */
  readonly fit: SweepData;
  /** Recompute the BatchNorm statistics (a no-op without BatchNorm). */
  readonly bnReset: boolean;
  /** REPAIR the merged network, folded into the layers it corrects. */
  readonly repair: boolean;
}

export interface MergedModel {
  readonly params: Params;
  /** How the BatchNorm running statistics were made; null when the network has none. */
  readonly batchNorm: 'interpolated' | 'reset' | null;
  /** Whether REPAIR's correction is folded into the weights. */
  readonly repaired: boolean;
}

/** Whether the merged model needs the fit data: a BatchNorm to reset, or REPAIR. */
export function mergeNeedsFitData(network: Network, bnReset: boolean, repair: boolean): boolean {
  return repair || (bnReset && network.nodes.some((n) => n.op === 'batchnorm'));
}

/**
 * The merged model (1−α)·θA + α·π(θB) as the comparison measured it at α, in plain PyTorch
 * layers: with BatchNorm reset, the running statistics recomputed on the fit data; with REPAIR,
 * each REPAIR layer's per-channel affine map folded into the BatchNorm before it, or into the
 * weight and bias of its layer where there is no BatchNorm. Evaluated in eval mode, the result
 * computes what the comparison's path computed at α.
 */
export async function mergedModel(network: Network, paramsA: Params, alignedB: Params, alpha: number, correction: MergeCorrection | null): Promise<MergedModel> {
  const hasBatchNorm = network.nodes.some((n) => n.op === 'batchnorm');
  const merged = new Map(interpolateParams(paramsA, alignedB, alpha));
  const bnReset = hasBatchNorm && (correction?.bnReset ?? false);
  const repair = correction?.repair ?? false;
  const batchNorm = hasBatchNorm ? (bnReset ? 'reset' : 'interpolated') : null;
  if (!correction || !mergeNeedsFitData(network, bnReset, repair)) return { params: merged, batchNorm, repaired: false };
  if (correction.fit.count < 1) throw new Error('a BatchNorm reset or REPAIR needs fit data');
  if (repair) refuseUnfoldable(network);

  const tensorsA = uploadNetwork(network, paramsA);
  const tensorsB = uploadNetwork(network, alignedB);
  const owned: tf.Tensor[] = [];
  try {
    if (!repair) {
      const family: InterpolationFamily = { network, a: tensorsA, b: tensorsB, interpolated: network.nodes.map(hasTensors) };
      const [stats] = await batchStatistics(family, correction.fit, [alpha], resetModes(network, true));
      setRunningStatistics(network, merged, (node) => stats!.get(node));
      return { params: merged, batchNorm, repaired: false };
    }
    const { repaired, family, targets, pathModes } = await repairFamily(network, tensorsA, tensorsB, correction.fit, bnReset, owned);
    const [stats] = await batchStatistics(family, correction.fit, [alpha], pathModes);
    if (bnReset) setRunningStatistics(network, merged, (node) => stats!.get(repaired.moved[node]!));
    for (const point of repaired.points) {
      const measured = stats!.get(point.repair)!;
      const [a, b] = [targets[0].get(point.repair)!, targets[1].get(point.repair)!];
      // The REPAIR layer at α: (x − μ) / √(σ² + ε) · σ_t + μ_t, its targets interpolated as its tensors are.
      const scale = new Float64Array(measured.mean.length);
      const shift = new Float64Array(measured.mean.length);
      for (let c = 0; c < scale.length; c++) {
        const sdA = Math.sqrt(a.variance[c]!);
        const target = { sd: sdA + alpha * (Math.sqrt(b.variance[c]!) - sdA), mean: a.mean[c]! + alpha * (b.mean[c]! - a.mean[c]!) };
        scale[c] = target.sd / Math.sqrt(measured.variance[c]! + REPAIR_EPS);
        shift[c] = target.mean - scale[c]! * measured.mean[c]!;
      }
      foldAffine(network, merged, point.node, scale, shift);
    }
    return { params: merged, batchNorm, repaired: true };
  } finally {
    disposeTensors(tensorsA);
    disposeTensors(tensorsB);
    tf.dispose(owned);
  }
}

/** REPAIR's shift needs somewhere to live at each point it corrects: a BatchNorm's affine parameters, or the layer's bias. */
function refuseUnfoldable(network: Network): void {
  for (const point of repairPoints(network)) {
    const node = network.nodes[point.node]!;
    const lacks = node.op === 'batchnorm' ? (!node.weight || !node.bias) && 'affine parameters (affine=False)' : isWeighted(node) && !node.bias && 'bias';
    if (lacks) throw new InputError(`the merged model cannot hold REPAIR's correction: '${node.id}' has no ${lacks}; export the plain method's merge instead`);
  }
}

function setRunningStatistics(network: Network, params: Map<string, Tensor32>, statsOf: (node: number) => ChannelStatistics | undefined): void {
  network.nodes.forEach((node, i) => {
    if (node.op !== 'batchnorm') return;
    const stats = statsOf(i);
    if (!stats) throw new Error(`no statistics were recomputed for BatchNorm '${node.id}'`);
    params.set(node.runningMean, { shape: [node.channels], data: Float32Array.from(stats.mean) });
    params.set(node.runningVar, { shape: [node.channels], data: Float32Array.from(stats.variance) });
  });
}

/** Composes y ← scale·y + shift per channel into the node producing y: a BatchNorm's γ and β, or a layer's rows and bias. */
function foldAffine(network: Network, params: Map<string, Tensor32>, index: number, scale: Float64Array, shift: Float64Array): void {
  const node = network.nodes[index]!;
  const update = (name: string, f: (value: number, k: number) => number) => {
    const t = params.get(name)!;
    params.set(name, { shape: t.shape, data: Float32Array.from(t.data, f) });
  };
  if (node.op === 'batchnorm') {
    update(node.weight!, (g, c) => g * scale[c]!);
    update(node.bias!, (beta, c) => beta * scale[c]! + shift[c]!);
    return;
  }
  if (!isWeighted(node)) throw new Error(`REPAIR follows a layer with weights or a BatchNorm, not '${node.id}'`);
  const rows = scale.length;
  const perRow = params.get(node.weight)!.data.length / rows;
  update(node.weight, (w, k) => w * scale[Math.floor(k / perRow)]!);
  update(node.bias!, (b, c) => b * scale[c]! + shift[c]!);
}
