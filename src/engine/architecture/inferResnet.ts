import { basename } from 'node:path';
import { FormatError } from '../io/formatError';
import type { Activation } from '../../shared/compareRequest';
import { DESCRIPTION_FORMAT, type DescriptionLayer } from './description';
import type { InferredDescription } from './inferSequential';
import { naturalCompare } from './inferMlp';
import type { StateDictModule } from './stateDictModules';

/** Whether the modules are named as a ResNet's: `layerK.J.conv1` blocks. */
export function looksLikeResnet(modules: readonly StateDictModule[]): boolean {
  return modules.some((m) => /^layer\d+\.\d+\.conv1$/.test(m.prefix));
}

/**
 * Infers a ResNet in torchvision's naming (`conv1`, `bn1`, `layerK.J.conv1/bn1/conv2/bn2`
 * [`/conv3/bn3`], `downsample.0/1`, `fc`) or the common CIFAR naming (`shortcut.0/1`,
 * `linear`): BasicBlocks, or Bottlenecks where a block has a conv3. The stem is torchvision's
 * (7×7 stride-2 convolution and 3×3 stride-2 max pool) when its convolution is 7×7, the CIFAR
 * stem (3×3, stride 1, no pool) when it is 3×3. As in both families, the first block of every
 * stage after the first has stride 2 (in its 3×3 convolution and its shortcut); blocks end in
 * the residual sum and an activation; global average pooling feeds the linear layer. Parameter-
 * free shortcuts that change the shape (option A) are refused: no permutation preserves them.
 */
export function inferResnet(file: string, modules: readonly StateDictModule[], input: readonly number[], activation: Activation): InferredDescription {
  const fail = (problem: string): never => {
    throw new FormatError(file, `${problem}; state the layout in a description file (${basename(file)}.arch.json beside the checkpoint, see merge-lens describe)`);
  };
  const byPrefix = new Map(modules.map((m) => [m.prefix, m]));
  const used = new Set<string>();
  const need = (prefix: string, kind: StateDictModule['kind'], why: string): StateDictModule => {
    const m = byPrefix.get(prefix);
    if (!m || m.kind !== kind) fail(`looks like a ResNet but has no ${kind === 'batchnorm' ? 'BatchNorm' : kind === 'conv' ? 'convolution' : 'linear layer'} '${prefix}' (${why})`);
    used.add(prefix);
    return m!;
  };
  const layers: DescriptionLayer[] = [];
  const push = (layer: DescriptionLayer): string => {
    layers.push(layer);
    return layer.id;
  };
  const conv = (prefix: string, stride: number, from?: string): string => {
    const m = need(prefix, 'conv', 'a convolution of the block');
    const [kh, kw] = [m.shape[2]!, m.shape[3]!];
    return push({ id: prefix, op: 'conv2d', ...(from ? { input: from } : {}), stride, padding: [kh >> 1, kw >> 1] });
  };
  const norm = (prefix: string): string => {
    need(prefix, 'batchnorm', 'the BatchNorm after a convolution');
    return push({ id: prefix, op: 'batchnorm' });
  };
  const notes: string[] = [];

  const stem = need('conv1', 'conv', 'the stem');
  if (stem.shape[2] === 7 && stem.shape[3] === 7) {
    conv('conv1', 2);
    norm('bn1');
    push({ id: 'relu', op: activation });
    push({ id: 'maxpool', op: 'maxpool', kernel: 3, stride: 2, padding: 1 });
    notes.push("torchvision's ImageNet stem: 7×7 convolution with stride 2, then a 3×3 max pool with stride 2");
  } else if (stem.shape[2] === 3 && stem.shape[3] === 3) {
    conv('conv1', 1);
    norm('bn1');
    push({ id: 'relu', op: activation });
    notes.push('the CIFAR stem: a 3×3 convolution with stride 1 and no max pool');
  } else {
    fail(`has a ${stem.shape[2]}×${stem.shape[3]} stem convolution 'conv1', neither torchvision's 7×7 nor the CIFAR 3×3, so its stride and pooling are unknown`);
  }

  const blocks = [...new Set(modules.flatMap((m) => /^(layer(\d+)\.(\d+))\./.exec(m.prefix)?.[1] ?? []))].sort(naturalCompare);
  const stages = [...new Set(blocks.map((b) => b.split('.')[0]!))];
  let previous = layers[layers.length - 1]!.id;
  for (const block of blocks) {
    const [stage, j] = block.split('.') as [string, string];
    const stride = stage !== stages[0] && j === '0' ? 2 : 1;
    const bottleneck = byPrefix.has(`${block}.conv3`);
    const last = bottleneck ? 3 : 2;
    let x = previous;
    for (let k = 1; k <= last; k++) {
      // torchvision puts a Bottleneck's stride in its 3×3 convolution (ResNet v1.5), a BasicBlock's in its first.
      const strided = bottleneck ? k === 2 : k === 1;
      x = conv(`${block}.conv${k}`, strided ? stride : 1, k === 1 ? x : undefined);
      x = norm(`${block}.bn${k}`);
      if (k < last) x = push({ id: `${block}.relu${k}`, op: activation });
    }
    const shortcut = ['downsample', 'shortcut'].find((name) => byPrefix.has(`${block}.${name}.0`));
    let skip = previous;
    if (shortcut) {
      conv(`${block}.${shortcut}.0`, stride, previous);
      skip = norm(`${block}.${shortcut}.1`);
    } else if (stride !== 1) {
      fail(`block '${block}' changes resolution but has no shortcut convolution (an option-A shortcut, which pads channels with zeros and which no channel permutation preserves)`);
    }
    push({ id: block, op: 'add', inputs: [x, skip] });
    previous = push({ id: `${block}.relu`, op: activation });
  }
  if (blocks.length > 0) {
    const kind = blocks.some((b) => byPrefix.has(`${b}.conv3`)) ? 'Bottleneck' : 'BasicBlock';
    notes.push(`${kind} residual blocks${stages.length > 1 ? `; the first block of ${stages.slice(1).join(', ')} has stride 2` : ''}`);
  }
  push({ id: 'avgpool', op: 'globalavgpool' });
  const head = ['fc', 'linear'].find((name) => byPrefix.get(name)?.kind === 'linear') ?? fail("looks like a ResNet but has no linear layer 'fc' or 'linear' for the logits");
  need(head, 'linear', 'the logits');
  push({ id: head, op: 'linear' });

  const left = modules.filter((m) => !used.has(m.prefix));
  if (left.length > 0) {
    fail(`looks like a ResNet but ${left.length === 1 ? 'module' : 'modules'} ${left.slice(0, 4).map((m) => `'${m.prefix}'`).join(', ')}${left.length > 4 ? ', …' : ''} fit no place in it`);
  }
  return { description: { format: DESCRIPTION_FORMAT, version: 1, input, layers }, notes };
}
