import { consumers, INPUT, layerUnits, type Network } from './network';
import { blockBoundaries, hiddenOutput } from './networkParts';
import { valueShapes } from './networkShapes';
import type { ChannelSpaces, PermutationSpec } from './permutationSpec';

/**
 * A network's channel spaces, read off its graph. A weighted layer's outputs start a space;
 * BatchNorm, activations and pooling keep the space of their input (BatchNorm's parameters and
 * running statistics lie in it); the next layer's input axis lies in it; flattening keeps it on
 * the channel axis of the following linear weight [out, C, H, W]; a residual sum merges the
 * spaces of its operands into one, so every layer writing into a ResNet stage shares one
 * permutation. The input's space and the logits' space are not permutable, nor is any space
 * merged with them.
 *
 * Transformers add: an embedding starts the residual stream's space, which position tables,
 * class tokens and every norm's parameters lie in and every residual sum keeps, so the whole
 * stream shares one permutation (LayerNorm and RMSNorm commute with it); SwiGLU's product merges
 * its gate's and up projection's spaces; attention makes its key space and value space head-
 * structured partners, merges the query space with the key space (multi-head attention) or, with
 * grouped-query attention, makes the query space and its own output repeat the key and value
 * spaces' units once per query head of a group.
 */
export function networkChannelSpaces(network: Network): ChannelSpaces {
  return channelSpacesWithValues(network).spaces;
}

type Heads = NonNullable<ChannelSpaces['spaces'][number]['heads']>;

/** The channel spaces, and the space (an index into `spaces.spaces`) of every node's value. */
export function channelSpacesWithValues(network: Network): { readonly spaces: ChannelSpaces; readonly values: readonly number[] } {
  const shapes = valueShapes(network);
  const size: number[] = [network.input[0]!];
  const writers: string[][] = [[]];
  const parent: number[] = [0];
  const find = (s: number): number => (parent[s] === s ? s : (parent[s] = find(parent[s]!)));
  const merge = (x: number, y: number): number => {
    const [rx, ry] = [find(x), find(y)];
    if (rx !== ry) parent[Math.max(rx, ry)] = Math.min(rx, ry);
    return Math.min(rx, ry);
  };
  const start = (units: number, writer: string | null): number => {
    size.push(units);
    writers.push(writer === null ? [] : [writer]);
    parent.push(size.length - 1);
    return size.length - 1;
  };
  // Grouped-query attention: a space holding `repeat` copies of another's units per head.
  const views = new Map<number, { readonly of: number; readonly repeat: number }>();
  const heads = new Map<number, { readonly count: number; readonly withinHead: boolean; readonly partner: number }>();
  const valueSpace: number[] = [];
  const spaceOf = (index: number): number => (index === INPUT ? 0 : valueSpace[index]!);
  const tensors: { name: string; axes: (number | null)[]; statistic?: true }[] = [];
  // A tied weight (GPT-2's embedding, read again by its head) is one tensor: recorded once.
  const recorded = new Set<string>();
  const record = (name: string, axes: (number | null)[], statistic?: true): void => {
    if (recorded.has(name)) return;
    recorded.add(name);
    tensors.push(statistic ? { name, axes, statistic } : { name, axes });
  };

  network.nodes.forEach((node) => {
    switch (node.op) {
      case 'conv2d':
      case 'linear': {
        const out = start(node.op === 'conv2d' ? node.outChannels : node.outFeatures, node.id);
        const input = spaceOf(node.input);
        const spatialInput = node.op === 'conv2d' || flattenedMap(network, shapes, node.input) !== null;
        record(node.weight, spatialInput ? [out, input, null, null] : [out, input]);
        if (node.bias) record(node.bias, [out]);
        valueSpace.push(out);
        return;
      }
      case 'batchnorm': {
        const space = spaceOf(node.input);
        for (const name of [node.weight, node.bias]) if (name) record(name, [space]);
        for (const name of [node.runningMean, node.runningVar]) record(name, [space], true);
        valueSpace.push(space);
        return;
      }
      case 'layernorm':
      case 'rmsnorm': {
        const space = spaceOf(node.input);
        for (const name of [node.weight, node.bias]) if (name) record(name, [space]);
        valueSpace.push(space);
        return;
      }
      case 'embedding': {
        const out = start(node.features, node.id);
        record(node.weight, [null, out]);
        valueSpace.push(out);
        return;
      }
      case 'positions': {
        const space = spaceOf(node.input);
        record(node.weight, [null, space]);
        valueSpace.push(space);
        return;
      }
      case 'prepend': {
        const space = spaceOf(node.input);
        record(node.weight, [space]);
        valueSpace.push(space);
        return;
      }
      case 'add':
      case 'mul':
        valueSpace.push(merge(spaceOf(node.inputs[0]), spaceOf(node.inputs[1])));
        return;
      case 'attention': {
        const [query, key, value] = node.inputs.map(spaceOf) as [number, number, number];
        const repeat = node.heads / node.kvHeads;
        heads.set(key, { count: node.kvHeads, withinHead: node.rotary === null, partner: value });
        heads.set(value, { count: node.kvHeads, withinHead: true, partner: key });
        if (repeat === 1) {
          merge(query, key);
          valueSpace.push(value);
        } else {
          views.set(query, { of: key, repeat });
          const out = start(node.heads * node.valueSize, null);
          views.set(out, { of: value, repeat });
          valueSpace.push(out);
        }
        return;
      }
      default:
        valueSpace.push(spaceOf(node.input));
    }
  });

  // Where a space's units really lie: its root, or, for a repeated view, the root of what it repeats.
  const lies = (s: number): { readonly root: number; readonly repeat: number } => {
    const root = find(s);
    const view = views.get(root) ?? views.get(s);
    return view ? { root: find(view.of), repeat: view.repeat } : { root, repeat: 1 };
  };
  const fixed = new Set([find(0), lies(spaceOf(network.nodes.length - 1)).root]);
  const index = new Map<number, number>();
  const spaces: { name: string; size: number; permutable: boolean; layers: string[]; heads?: Heads }[] = [];
  size.forEach((_, s) => {
    const { root } = lies(s);
    if (!index.has(root)) {
      index.set(root, spaces.length);
      spaces.push({ name: '', size: size[root]!, permutable: !fixed.has(root), layers: [] });
    }
    spaces[index.get(root)!]!.layers.push(...writers[s]!);
  });
  for (const [s, h] of heads) {
    const space = spaces[index.get(lies(s).root)!]!;
    const partner = index.get(lies(h.partner).root)!;
    if (space.heads && (space.heads.count !== h.count || space.heads.partner !== partner)) {
      throw new Error(`'${space.layers[0] ?? space.name}' feeds two attentions with different heads`);
    }
    space.heads = { count: h.count, withinHead: (space.heads?.withinHead ?? true) && h.withinHead, partner };
  }
  spaces[index.get(find(0))!]!.name = 'input';
  for (const space of spaces) if (space.name === '') space.name = space.layers[0]!;
  return {
    spaces: {
      spaces,
      tensors: tensors.map((t) => {
        const placed = t.axes.map((s) => (s === null ? null : lies(s)));
        const repeat = placed.map((p) => p?.repeat ?? 1);
        return {
          ...t,
          axes: placed.map((p) => (p === null ? null : index.get(p.root)!)),
          ...(repeat.some((r) => r !== 1) ? { repeat } : {}),
        };
      }),
    },
    values: valueSpace.map((s) => index.get(lies(s).root)!),
  };
}

/**
 * Per group of the spec derived from these spaces, the nodes whose values show its units'
 * activations, each position of a sequence or a map one observation:
 * - an attention's value units: the heads' outputs (or, where grouped queries repeat them, the
 *   value projection's);
 * - units an activation reads: its outputs (in an MLP, one per hidden layer; SwiGLU: the product
 *   the activation feeds);
 * - a transformer's residual stream: the stream as every attention block reads it and as the
 *   final norm reads it, i.e. after the embeddings and after each block;
 * - otherwise the outputs of the layers writing into the space (after their BatchNorm), those
 *   that hold the units once: a query/key space's projections.
 */
export function featurePoints(network: Network, spec: PermutationSpec): number[][] {
  const { spaces, values } = channelSpacesWithValues(network);
  const shapes = valueShapes(network);
  const readers = consumers(network);
  const units = layerUnits(network);
  // Units lie on a map's first axis (C×H×W) and a sequence's last ([T, d]).
  const width = (i: number): number => (shapes[i]!.length === 3 ? shapes[i]![0]! : shapes[i]![shapes[i]!.length - 1]!);
  const boundaries = blockBoundaries(network);
  return spec.groups.map((group) => {
    const space = spaces.spaces.findIndex((s) => s.name === group.name);
    const whole = (i: number): boolean => values[i] === space && width(i) === group.size;
    const headOutputs = network.nodes.flatMap((node, i) => (node.op === 'attention' && whole(i) ? [i] : []));
    if (headOutputs.length > 0) return headOutputs;
    const activations = network.nodes.flatMap((node, i) => (node.op === 'activation' && values[i] === space ? [i] : []));
    if (activations.length > 0) {
      return activations.map((i) => hiddenOutput(network, readers, i));
    }
    const stream = boundaries.filter(whole);
    if (stream.length > 0) return stream;
    return units.flatMap((unit) => (whole(unit.node) ? [unit.batchNorm ?? unit.node] : []));
  });
}

/**
 * The C×H×W map a value is the flattening of, or null: the linear layer reading it keeps its
 * weight as [out, C, H, W] in the engine, so a channel permutation reorders one axis.
 */
export function flattenedMap(network: Network, shapes: readonly (readonly number[])[], index: number): readonly number[] | null {
  if (index === INPUT) return null;
  const node = network.nodes[index]!;
  if (node.op !== 'flatten') return null;
  const map = node.input === INPUT ? network.input : shapes[node.input]!;
  return map.length === 3 ? map : null;
}
