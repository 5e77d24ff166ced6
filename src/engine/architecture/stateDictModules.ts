import type { TensorInfo } from '../formats/checkpoint';
import { FormatError } from '../io/formatError';
import { naturalCompare } from './inferMlp';

/** What a module of a PyTorch state_dict is, from its tensors' names and ranks. */
export type ModuleKind = 'conv' | 'linear' | 'batchnorm';

/** One module of a state_dict: the tensors under one name prefix ("features.0", "layer1.0.bn1"). */
export interface StateDictModule {
  readonly prefix: string;
  readonly kind: ModuleKind;
  /** The prefix up to its last numeric component ("features" for "features.3"); the prefix itself when it ends in none. */
  readonly container: string;
  /** The position in its nn.Sequential ("3" in "features.3"), or null. */
  readonly index: number | null;
  /** Output channels or features. */
  readonly channels: number;
  /** The weight's shape (a BatchNorm's running mean's, for one without affine parameters). */
  readonly shape: readonly number[];
}

const SUFFIXES = ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked'];

/** BatchNorm's step counter: kept for exports, no part of the function. */
export function isBatchCounter(name: string): boolean {
  return name.endsWith('.num_batches_tracked') || name === 'num_batches_tracked';
}

/**
 * Groups a state_dict's tensors into modules by name prefix and tells convolutions (4-D
 * weight), linear layers (2-D weight) and BatchNorms (running statistics) apart. A tensor that
 * fits none of them is reported by name: the network is then not one inference can read.
 */
export function stateDictModules(file: string, tensors: readonly TensorInfo[]): StateDictModule[] {
  const groups = new Map<string, Map<string, TensorInfo>>();
  for (const t of tensors) {
    const dot = t.name.lastIndexOf('.');
    const suffix = t.name.slice(dot + 1);
    if (dot < 0 || !SUFFIXES.includes(suffix)) {
      throw new FormatError(file, `holds '${t.name}' [${t.shape.join(', ')}], which is not the weight, bias or statistic of a convolution, linear layer or BatchNorm`);
    }
    const prefix = t.name.slice(0, dot);
    const group = groups.get(prefix) ?? new Map<string, TensorInfo>();
    group.set(suffix, t);
    groups.set(prefix, group);
  }
  return [...groups].map(([prefix, group]) => {
    const weight = group.get('weight');
    const mean = group.get('running_mean');
    const kind: ModuleKind | null = mean ? 'batchnorm' : weight?.shape.length === 4 ? 'conv' : weight?.shape.length === 2 ? 'linear' : null;
    if (!kind) {
      const found = [...group.values()].map((t) => `${t.name} [${t.shape.join(', ')}]`).join(', ');
      throw new FormatError(file, `module '${prefix}' (${found}) is neither a convolution, a linear layer nor a BatchNorm`);
    }
    const shape = (weight ?? mean)!.shape;
    const match = /^(?:(.*)\.)?(\d+)$/.exec(prefix);
    return {
      prefix,
      kind,
      container: match ? match[1] ?? '' : prefix,
      index: match ? Number(match[2]) : null,
      channels: shape[0]!,
      shape,
    };
  });
}

/** Modules in network order: containers holding convolutions first, each container by index. */
export function sequentialOrder(modules: readonly StateDictModule[]): StateDictModule[] {
  const convContainers = new Set(modules.filter((m) => m.kind === 'conv').map((m) => m.container));
  return [...modules].sort((a, b) => {
    const ca = convContainers.has(a.container) ? 0 : 1;
    const cb = convContainers.has(b.container) ? 0 : 1;
    if (ca !== cb) return ca - cb;
    if (a.container !== b.container) return naturalCompare(a.container, b.container);
    return (a.index ?? -1) - (b.index ?? -1);
  });
}
