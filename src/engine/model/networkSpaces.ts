import { INPUT, layerUnits, type Network } from './network';
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
 */
export function networkChannelSpaces(network: Network): ChannelSpaces {
  return channelSpacesWithValues(network).spaces;
}

/** The channel spaces, and the space (an index into `spaces.spaces`) of every node's value. */
export function channelSpacesWithValues(network: Network): { readonly spaces: ChannelSpaces; readonly values: readonly number[] } {
  const shapes = valueShapes(network);
  const size: number[] = [network.input[0]!];
  const writers: string[][] = [[]];
  const parent: number[] = [0];
  const find = (s: number): number => (parent[s] === s ? s : (parent[s] = find(parent[s]!)));
  const valueSpace: number[] = [];
  const spaceOf = (index: number): number => (index === INPUT ? 0 : valueSpace[index]!);
  const tensors: { name: string; axes: (number | null)[]; statistic?: true }[] = [];

  network.nodes.forEach((node) => {
    switch (node.op) {
      case 'conv2d':
      case 'linear': {
        const out = size.length;
        size.push(node.op === 'conv2d' ? node.outChannels : node.outFeatures);
        writers.push([node.id]);
        parent.push(out);
        const input = spaceOf(node.input);
        const spatialInput = node.op === 'conv2d' || flattenedMap(network, shapes, node.input) !== null;
        tensors.push({ name: node.weight, axes: spatialInput ? [out, input, null, null] : [out, input] });
        if (node.bias) tensors.push({ name: node.bias, axes: [out] });
        valueSpace.push(out);
        return;
      }
      case 'batchnorm': {
        const space = spaceOf(node.input);
        for (const name of [node.weight, node.bias]) if (name) tensors.push({ name, axes: [space] });
        for (const name of [node.runningMean, node.runningVar]) tensors.push({ name, axes: [space], statistic: true });
        valueSpace.push(space);
        return;
      }
      case 'add': {
        const [x, y] = node.inputs.map((i) => find(spaceOf(i))) as [number, number];
        if (x !== y) parent[Math.max(x, y)] = Math.min(x, y);
        valueSpace.push(Math.min(x, y));
        return;
      }
      default:
        valueSpace.push(spaceOf(node.input));
    }
  });

  const roots = size.map((_, s) => find(s));
  const fixed = new Set([roots[0]!, roots[spaceOf(network.nodes.length - 1)]!]);
  const index = new Map<number, number>();
  const spaces: { name: string; size: number; permutable: boolean; layers: string[] }[] = [];
  roots.forEach((root, s) => {
    if (!index.has(root)) {
      index.set(root, spaces.length);
      spaces.push({ name: '', size: size[root]!, permutable: !fixed.has(root), layers: [] });
    }
    const layers = spaces[index.get(root)!]!.layers;
    for (const layer of writers[s]!) layers.push(layer);
  });
  spaces[index.get(roots[0]!)!]!.name = 'input';
  for (const space of spaces) if (space.name === '') space.name = space.layers[0]!;
  return {
    spaces: { spaces, tensors: tensors.map((t) => ({ ...t, axes: t.axes.map((s) => (s === null ? null : index.get(roots[s]!)!)) })) },
    values: valueSpace.map((s) => index.get(roots[s]!)!),
  };
}

/**
 * Per group of the spec derived from these spaces, the nodes whose values show its units'
 * activations: the activations reading the space (in an MLP, one per hidden layer), or, for a
 * space no activation reads, the outputs of the layers writing into it (after their BatchNorm).
 */
export function featurePoints(network: Network, spec: PermutationSpec): number[][] {
  const { spaces, values } = channelSpacesWithValues(network);
  const units = layerUnits(network);
  return spec.groups.map((group) => {
    const space = spaces.spaces.findIndex((s) => s.name === group.name);
    const activations = network.nodes.flatMap((node, i) => (node.op === 'activation' && values[i] === space ? [i] : []));
    if (activations.length > 0) return activations;
    return units.flatMap((unit) => (values[unit.node] === space ? [unit.batchNorm ?? unit.node] : []));
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
