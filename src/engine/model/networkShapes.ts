import { INPUT, type Network, type NetworkNode, type Pair } from './network';

/**
 * One sample's value shape after every node ([features] or [channels, height, width]), checked:
 * each node must receive what it takes. A mismatch throws an Error naming the node, which the
 * loaders turn into a message about the file.
 */
export function valueShapes(network: Network): number[][] {
  const shapes: number[][] = [];
  const of = (index: number): readonly number[] => (index === INPUT ? network.input : shapes[index]!);
  network.nodes.forEach((node, i) => {
    const inputs = node.op === 'add' ? node.inputs : [node.input];
    for (const input of inputs) {
      if (!(input === INPUT || (Number.isInteger(input) && input >= 0 && input < i))) {
        throw new Error(`'${node.id}' reads node ${input}, which does not come before it`);
      }
    }
    shapes.push(outputShape(node, of(inputs[0]!), node.op === 'add' ? of(node.inputs[1]) : null));
  });
  return shapes;
}

function outputShape(node: NetworkNode, input: readonly number[], second: readonly number[] | null): number[] {
  const shape = `[${input.join(', ')}]`;
  switch (node.op) {
    case 'conv2d': {
      const [c, h, w] = spatial(node.id, input);
      if (c !== node.inChannels) throw new Error(`'${node.id}' takes ${node.inChannels} channels but receives ${shape}`);
      return [node.outChannels, ...window(node.id, [h, w], node.kernel, node.stride, node.padding)];
    }
    case 'linear': {
      const features = input.reduce((x, y) => x * y, 1);
      if (input.length !== 1) throw new Error(`'${node.id}' takes flat inputs but receives ${shape}; flatten or pool first`);
      if (features !== node.inFeatures) throw new Error(`'${node.id}' takes ${node.inFeatures} inputs but receives ${shape}`);
      return [node.outFeatures];
    }
    case 'batchnorm':
      if (input[0] !== node.channels) throw new Error(`'${node.id}' normalises ${node.channels} channels but receives ${shape}`);
      return [...input];
    case 'activation':
      return [...input];
    case 'maxpool':
    case 'avgpool': {
      const [c, h, w] = spatial(node.id, input);
      if (node.op === 'avgpool' && (node.padding[0] !== 0 || node.padding[1] !== 0)) {
        throw new Error(`'${node.id}': average pooling with padding is not supported (PyTorch and TensorFlow count the padding differently)`);
      }
      if (node.padding[0] * 2 > node.kernel[0] || node.padding[1] * 2 > node.kernel[1]) {
        throw new Error(`'${node.id}': padding ${node.padding.join('×')} is more than half the ${node.kernel.join('×')} window`);
      }
      return [c, ...window(node.id, [h, w], node.kernel, node.stride, node.padding)];
    }
    case 'globalavgpool':
      return [spatial(node.id, input)[0]];
    case 'flatten':
      return [input.reduce((x, y) => x * y, 1)];
    case 'add':
      if (input.length !== second!.length || input.some((d, k) => d !== second![k])) {
        throw new Error(`'${node.id}' adds values of different shapes, ${shape} and [${second!.join(', ')}]`);
      }
      return [...input];
  }
}

function spatial(id: string, input: readonly number[]): [number, number, number] {
  if (input.length !== 3) throw new Error(`'${id}' takes channels × height × width but receives [${input.join(', ')}]`);
  return input as [number, number, number];
}

/** floor((size + 2·padding − kernel) / stride) + 1 per axis, at least 1. */
function window(id: string, size: Pair, kernel: Pair, stride: Pair, padding: Pair): [number, number] {
  const out = size.map((s, k) => Math.floor((s + 2 * padding[k]! - kernel[k]!) / stride[k]!) + 1) as [number, number];
  if (!(out[0] >= 1 && out[1] >= 1)) {
    throw new Error(`'${id}': a ${kernel.join('×')} window does not fit its ${size.join('×')} input (padding ${padding.join('×')})`);
  }
  return out;
}
