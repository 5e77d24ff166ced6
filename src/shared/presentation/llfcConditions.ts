/**
 * LLFC's two conditions (Zhou et al. 2023, section 5) as the HTML report and the results panel lay
 * them out: one row per layer pairing the LLFC cosine, weak additivity and commutativity, the
 * words that explain them, and how their numbers are printed.
 */
import type { Commutativity, CompareReport, LlfcLayer, MethodResult, WeakAdditivity } from '../compareReport';
import { formatNumber, formatScientific } from './formatNumbers';
import { nearestIndex } from './nearestIndex';

/** One layer of the "why" view: whatever of the three measurements it has, null where it has none. */
export interface ConditionRow {
  /** The weighted layer, or for an activation after a residual sum, the sum it reads. */
  readonly layer: string;
  readonly llfc: LlfcLayer | null;
  readonly additivity: WeakAdditivity | null;
  readonly commutativity: Commutativity | null;
}

/**
 * Pairs activations with weighted layers. An activation is named by the layer whose output it
 * reads (through that layer's BatchNorm), and the ReLU after layer ℓ is where Zhou et al. pair the
 * two conditions: weak additivity of its pre-activation W_ℓ·h and commutativity of W_ℓ·H. So a
 * row is a layer with the activation of the same name. A layer no activation reads directly (the
 * logits; in a ResNet, the convolutions that feed a residual sum) has commutativity alone; an
 * activation after a residual sum has LLFC and additivity alone, placed by network order: after
 * the layers that feed it, before the next paired layer (or before the unpermuted logits at the end);
 * a transformer block's output right after the block's last layer.
 */
export function conditionRows(report: CompareReport, result: MethodResult): ConditionRow[] {
  const layerNames = report.layers.map((l) => l.name);
  const activations = result.llfc.length > 0 ? result.llfc.map((l) => l.layer) : (result.conditions?.additivity.map((a) => a.layer) ?? []);
  const row = (layer: string): ConditionRow => ({
    layer,
    llfc: result.llfc.find((l) => l.layer === layer) ?? null,
    additivity: result.conditions?.additivity.find((a) => a.layer === layer) ?? null,
    commutativity: result.conditions?.commutativity.find((c) => c.layer === layer) ?? null,
  });
  const rows: ConditionRow[] = [];
  let next = 0;
  let pending: string[] = [];
  const emitLayersBefore = (end: number) => {
    for (; next < end; next++) rows.push(row(layerNames[next]!));
  };
  for (const name of activations) {
    const at = layerNames.indexOf(name);
    // A transformer block's output (the residual stream after it) follows the block's last layer.
    const blockEnd = at < 0 && report.architecture.kind === 'transformer' ? layerNames.reduce((last, l, k) => (l.startsWith(`${name}.`) ? k : last), -1) : -1;
    if (blockEnd >= next) {
      emitLayersBefore(blockEnd + 1);
      rows.push(...pending.map(row), row(name));
      pending = [];
      continue;
    }
    if (at < next) {
      // Not a layer's own activation (a residual sum's), or one met again: placed before the next paired layer.
      if (at < 0) pending.push(name);
      continue;
    }
    emitLayersBefore(at);
    rows.push(...pending.map(row));
    pending = [];
    rows.push(row(name));
    next = at + 1;
  }
  // The activations after the last paired layer come before the logits, which no activation follows.
  let end = layerNames.length;
  while (end > next && report.layers[end - 1]!.permuted === false) end--;
  emitLayersBefore(end);
  rows.push(...pending.map(row));
  emitLayersBefore(layerNames.length);
  return rows;
}

/** The α the "why" view reads the LLFC cosine at: the grid's nearest to 0.5, where the path is farthest from both endpoints. */
export function llfcAlphaIndex(report: CompareReport): number {
  return nearestIndex(report.alphas, 0.5);
}

/** A condition's value: four decimals, or three significant digits when it is smaller than 10⁻³ (a well-matched layer). */
export function formatCondition(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  return Number.isFinite(value) && value !== 0 && Math.abs(value) < 1e-3 ? formatScientific(value, 3) : formatNumber(value, 4);
}

/** The words of the "why" view, the same in the HTML report and the panel. */
export const CONDITION_TEXT = {
  title: 'Why LLFC holds: its two conditions',
  cosine: (alpha: number) => `LLFC cosine at α = ${formatNumber(alpha, 2)}`,
  additivity: 'Weak additivity',
  additivityFormula: '1 − cos(σ(h̃_A + h̃_B), σ(h̃_A) + σ(h̃_B))',
  additivityAxis: '1 − cos, whole tensor',
  additivityColumn: 'Additivity 1 − cos',
  commutativity: 'Commutativity',
  commutativityFormula: '‖(W_A − W_B)(H_A − H_B)‖ / ‖W_A·H_A + W_B·H_B‖',
  commutativityAxis: 'relative distance',
  commutativityColumn: 'Commutativity distance',
  shuffled: 'shuffled',
  solidOutlined: 'Filled bars: A and π(B) on the same samples; outlined bars: the shuffled baseline.',
  notes: {
    llfc: 'LLFC cosine: the mean over samples of cos(f(θ(α)), (1−α)·f(θ_A) + α·f(π(θ_B))) at the α nearest 0.5; close to 1, the merged network\'s features are the mix of the endpoints\'.',
    additivity:
      'Weak additivity: with h̃_A and h̃_B the pre-activations A and π(B) compute at the activation on the same inputs, 1 − cos between σ(h̃_A + h̃_B) and σ(h̃_A) + σ(h̃_B) over the whole flattened tensor; small means the ReLU acts almost linearly on the two networks\' pre-activations together.',
    commutativity:
      'Commutativity: ‖(W_A − W_B)(H_A − H_B)‖ / ‖W_A·H_A + W_B·H_B‖ with H the layer\'s inputs on the LLFC samples (biases cancel); smaller is more commutative. At the first layer both networks read the same inputs, so it is 0. Alignment makes it small: that is why weight and activation matching give LLFC.',
    shuffled: 'Shuffled: the same with A\'s sample i paired with B\'s sample i + 1 (cyclically), what "small" means for that layer.',
    pairing: 'Rows pair the activation after each layer (through its BatchNorm) with that layer; the logits and the convolutions feeding a residual sum have commutativity only, and the activation after a residual sum has LLFC and weak additivity only.',
  },
} as const;

/** Why a report has no conditions to show, and what to do about it. */
export function conditionsMissing(report: CompareReport): string {
  if (report.data === null) {
    return 'No LLFC and no conditions: both are measured on evaluation data, and this comparison had none (weights only). Give evaluation data to measure LLFC and its conditions.';
  }
  if (report.request.llfcSamples === 0) {
    return 'No LLFC and no conditions: they are measured on the first LLFC samples of the evaluation data, and this comparison asked for none (--llfc-samples 0). Run it again with a sample count above 0 to measure them.';
  }
  return 'This report holds no LLFC conditions. Run the comparison again to measure them.';
}
