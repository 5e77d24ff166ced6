import { basename } from 'node:path';
import type { TensorInfo } from '../formats/checkpoint';
import { FormatError } from '../io/formatError';
import type { Activation } from '../../shared/compareRequest';
import { DESCRIPTION_FORMAT, resolveDescription, type Description, type DescriptionLayer } from './description';
import { sequentialOrder, type StateDictModule } from './stateDictModules';

/** How the pieces a state_dict does not store are filled in, for one candidate network. */
interface Candidate {
  /** Convolutions pad by ⌊k/2⌋ (size-preserving, as VGG does) or not at all. */
  readonly padding: 'same' | 'none';
  /** Max pools among the unstored modules after the last convolution. */
  readonly trailingPools: number;
}

const MAX_TRAILING_POOLS = 8;

export interface InferredDescription {
  readonly description: Description;
  /** What was assumed, for the user (written into `describe`'s output). */
  readonly notes: readonly string[];
}

/**
 * Infers a VGG-style nn.Sequential stack (`features.N` Conv2d with optional BatchNorm2d,
 * `classifier.N` Linear) from what the state_dict stores. The parameter-free modules between
 * stored ones are read from the gaps in the indices: one missing module after a convolution (or
 * its BatchNorm) is the activation, two are the activation and a 2×2 max pool; in the classifier
 * one or two are the activation and dropout. What follows the last convolution is not stored:
 * an activation, some max pools and a flatten, their number fixed by the first linear layer's
 * inputs (C·H·W) and the input size. Convolutions have stride 1 and pad by ⌊k/2⌋ or not at all.
 * Every combination that fits is tried; when more than one fits, or none, the error names the
 * layers in doubt and asks for a description file.
 */
export function inferSequential(file: string, tensors: readonly TensorInfo[], modules: readonly StateDictModule[], input: readonly number[] | null, activation: Activation): InferredDescription {
  const ordered = sequentialOrder(modules);
  const fail = (problem: string): never => {
    throw new FormatError(file, `${problem}; state the layout in a description file (${basename(file)}.arch.json beside the checkpoint, see merge-lens describe)`);
  };
  const firstLinear = ordered.findIndex((m) => m.kind === 'linear');
  if (firstLinear < 0) fail('holds no linear layer to give the logits');
  if (ordered.slice(firstLinear).some((m) => m.kind === 'conv')) {
    fail(`has convolutions after the linear layer '${ordered[firstLinear]!.prefix}', which a VGG-style stack does not`);
  }
  const first = ordered[firstLinear]!;
  const lastConv = firstLinear > 0 ? ordered[firstLinear - 1]! : null;
  const notes: string[] = [];
  const candidates: Candidate[] = [];
  if (lastConv === null) {
    candidates.push({ padding: 'none', trailingPools: 0 });
  } else {
    const sameContainer = lastConv.container === first.container && lastConv.index !== null && first.index !== null;
    const knownTrailing = sameContainer ? first.index! - lastConv.index! - 1 : null;
    if (knownTrailing !== null && knownTrailing < 2) {
      fail(`'${lastConv.prefix}' is followed by '${first.prefix}' with ${knownTrailing} module${knownTrailing === 1 ? '' : 's'} between, too few for an activation and a flatten`);
    }
    if (input === null) fail(`cannot tell the input size of '${ordered[0]!.prefix}' without data: give the evaluation data or --input-shape`);
    notes.push('convolutions have stride 1; pooling between them is 2×2 max pooling with stride 2');
    if (knownTrailing === null) notes.push(`after '${lastConv.prefix}' the state_dict stores nothing: an activation, max pools and a flatten are assumed, as in VGG`);
    for (const padding of ['same', 'none'] as const) {
      const pools = knownTrailing === null ? [...Array(MAX_TRAILING_POOLS + 1).keys()] : [knownTrailing - 2];
      for (const trailingPools of pools) candidates.push({ padding, trailingPools });
    }
  }
  const seen = new Set<string>();
  const fitting = candidates.flatMap((candidate) => {
    const description: Description = { format: DESCRIPTION_FORMAT, version: 1, input: input!, layers: layersFor(ordered, firstLinear, candidate, activation, fail) };
    // 1×1 convolutions pad by nothing either way: the same network is one candidate, not two.
    const key = JSON.stringify(description.layers);
    if (seen.has(key)) return [];
    seen.add(key);
    try {
      resolveDescription(file, description, tensors, input!);
      return [{ candidate, description }];
    } catch (error) {
      // With one way to read the layers, its own message says best what does not fit.
      if (error instanceof FormatError && candidates.length > 1) return [];
      throw error;
    }
  });
  if (fitting.length === 0) {
    fail(`no VGG-style layout fits: '${first.prefix}' takes ${first.shape[1]} inputs, which no count of 2×2 max pools after '${lastConv!.prefix}' gives from a ${input!.join('×')} input, with or without padding`);
  }
  if (fitting.length > 1) {
    const convs = ordered.filter((m) => m.kind === 'conv').map((m) => `'${m.prefix}'`);
    const ways = fitting.map(({ candidate }) => `${candidate.padding === 'same' ? 'padded' : 'unpadded'} convolutions with ${candidate.trailingPools} max pool${candidate.trailingPools === 1 ? '' : 's'} after '${lastConv!.prefix}'`);
    fail(`is ambiguous: ${ways.join(', or ')} all give '${first.prefix}' its ${first.shape[1]} inputs (layers in doubt: ${convs.join(', ')})`);
  }
  const { candidate, description } = fitting[0]!;
  if (lastConv === null) return { description, notes };
  return {
    description,
    notes: [...notes, `convolutions ${candidate.padding === 'same' ? 'pad by ⌊k/2⌋' : 'are unpadded'} and ${candidate.trailingPools} max pool${candidate.trailingPools === 1 ? '' : 's'} follow '${lastConv.prefix}': the one layout that gives '${first.prefix}' its ${first.shape[1]} inputs`],
  };
}

function layersFor(
  ordered: readonly StateDictModule[],
  firstLinear: number,
  candidate: Candidate,
  activation: Activation,
  fail: (problem: string) => never,
): DescriptionLayer[] {
  const layers: DescriptionLayer[] = [];
  const act = (id: string) => layers.push({ id, op: activation });
  const pool = (id: string) => layers.push({ id, op: 'maxpool', kernel: 2, stride: 2 });
  // An unstored module is named by its place in the container, as PyTorch would number it.
  const slot = (after: StateDictModule, offset: number) => (after.index === null ? `${after.prefix}+${offset}` : `${after.container ? `${after.container}.` : ''}${after.index + offset}`);
  ordered.forEach((m, k) => {
    if (k === 0 && (m.index ?? 0) > 0) fail(`'${m.prefix}' is the first stored module but has ${m.index} unstored modules before it`);
    const previous = k > 0 ? ordered[k - 1]! : null;
    if (previous && k === firstLinear) {
      act(slot(previous, 1));
      for (let p = 0; p < candidate.trailingPools; p++) pool(slot(previous, 2 + p));
      layers.push({ id: 'flatten', op: 'flatten' });
    } else if (previous) {
      const features = k < firstLinear;
      const gap = previous.container === m.container && previous.index !== null && m.index !== null ? m.index - previous.index - 1 : null;
      if (gap === null) fail(`cannot tell what lies between '${previous.prefix}' and '${m.prefix}', which sit in different containers`);
      if (m.kind === 'batchnorm' && gap === 0 && m.channels !== previous.channels) {
        fail(`BatchNorm '${m.prefix}' has ${m.channels} channels but '${previous.prefix}' gives ${previous.channels}`);
      }
      if (gap! > 2) fail(`${gap} unstored modules lie between '${previous.prefix}' and '${m.prefix}', more than an activation and a ${features ? 'pool' : 'dropout'}`);
      if (gap! >= 1) act(slot(previous, 1));
      // The second unstored module is a max pool among the features; in the classifier a dropout, which does nothing at evaluation.
      if (gap === 2 && features) pool(slot(previous, 2));
    }
    if (m.kind === 'conv') {
      const [kh, kw] = [m.shape[2]!, m.shape[3]!];
      layers.push({ id: m.prefix, op: 'conv2d', stride: 1, padding: candidate.padding === 'same' ? [kh >> 1, kw >> 1] : 0 });
    } else {
      layers.push({ id: m.prefix, op: m.kind === 'linear' ? 'linear' : 'batchnorm' });
    }
  });
  return layers;
}
