import { INPUT, nodeInputs, type Network, type NetworkNode, type Pair } from './network';

/**
 * One sample's value shape after every node ([features], [channels, height, width], or a
 * sequence [positions, features]; a token model's input is [positions]), checked:
 * each node must receive what it takes. A mismatch throws an Error naming the node, which the
 * loaders turn into a message about the file.
 */
export function valueShapes(network: Network): number[][] {
  const shapes: number[][] = [];
  const of = (index: number): readonly number[] => (index === INPUT ? network.input : shapes[index]!);
  network.nodes.forEach((node, i) => {
    const inputs = nodeInputs(node);
    for (const input of inputs) {
      if (!(input === INPUT || (Number.isInteger(input) && input >= 0 && input < i))) {
        throw new Error(`'${node.id}' reads node ${input}, which does not come before it`);
      }
    }
    shapes.push(outputShape(node, inputs.map(of)));
  });
  return shapes;
}

function outputShape(node: NetworkNode, inputs: readonly (readonly number[])[]): number[] {
  const input = inputs[0]!;
  const shape = `[${input.join(', ')}]`;
  switch (node.op) {
    case 'conv2d': {
      const [c, h, w] = spatial(node.id, input);
      if (c !== node.inChannels) throw new Error(`'${node.id}' takes ${node.inChannels} channels but receives ${shape}`);
      return [node.outChannels, ...window(node.id, [h, w], node.kernel, node.stride, node.padding)];
    }
    case 'linear': {
      // A sequence [T, features] is read position by position.
      if (input.length !== 1 && input.length !== 2) throw new Error(`'${node.id}' takes flat inputs but receives ${shape}; flatten or pool first`);
      if (input[input.length - 1] !== node.inFeatures) throw new Error(`'${node.id}' takes ${node.inFeatures} inputs but receives ${shape}`);
      return [...input.slice(0, -1), node.outFeatures];
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
    case 'mul': {
      const second = inputs[1]!;
      if (input.length !== second.length || input.some((d, k) => d !== second[k])) {
        throw new Error(`'${node.id}' ${node.op === 'add' ? 'adds' : 'multiplies'} values of different shapes, ${shape} and [${second.join(', ')}]`);
      }
      return [...input];
    }
    case 'embedding':
      if (input.length !== 1) throw new Error(`'${node.id}' takes a sequence of token ids [T] but receives ${shape}`);
      return [input[0]!, node.features];
    case 'positions': {
      const [t, d] = sequence(node.id, input);
      if (d !== node.features) throw new Error(`'${node.id}' adds ${node.features} features but receives ${shape}`);
      if (t > node.positions) throw new Error(`'${node.id}' has ${node.positions} positions but receives a sequence of ${t}`);
      return [t, d];
    }
    case 'prepend': {
      const [t, d] = sequence(node.id, input);
      if (d !== node.features) throw new Error(`'${node.id}' prepends a token of ${node.features} features to ${shape}`);
      return [t + 1, d];
    }
    case 'patches': {
      const [c, h, w] = spatial(node.id, input);
      return [h * w, c];
    }
    case 'token': {
      const [t, d] = sequence(node.id, input);
      if (!(Number.isInteger(node.index) && node.index >= 0 && node.index < t)) throw new Error(`'${node.id}' reads position ${node.index} of a sequence of ${t}`);
      return [d];
    }
    case 'layernorm':
    case 'rmsnorm':
      if (input[input.length - 1] !== node.features) throw new Error(`'${node.id}' normalises ${node.features} features but receives ${shape}`);
      return [...input];
    case 'attention': {
      const [q, k, v] = inputs.map((x) => sequence(node.id, x)) as [[number, number], [number, number], [number, number]];
      if (!(node.heads > 0 && node.kvHeads > 0 && node.heads % node.kvHeads === 0)) throw new Error(`'${node.id}': ${node.heads} query heads do not form groups over ${node.kvHeads} key/value heads`);
      if (node.rotary && node.headSize % 2 !== 0) throw new Error(`'${node.id}': rotary embeddings need an even head size, not ${node.headSize}`);
      if (q[1] !== node.heads * node.headSize) throw new Error(`'${node.id}' takes queries of ${node.heads}×${node.headSize} but receives [${q.join(', ')}]`);
      if (k[1] !== node.kvHeads * node.headSize) throw new Error(`'${node.id}' takes keys of ${node.kvHeads}×${node.headSize} but receives [${k.join(', ')}]`);
      if (v[1] !== node.kvHeads * node.valueSize) throw new Error(`'${node.id}' takes values of ${node.kvHeads}×${node.valueSize} but receives [${v.join(', ')}]`);
      if (k[0] !== v[0] || (node.causal && q[0] !== k[0])) throw new Error(`'${node.id}' receives ${q[0]} queries, ${k[0]} keys and ${v[0]} values`);
      return [q[0], node.heads * node.valueSize];
    }
  }
}

function sequence(id: string, input: readonly number[]): [number, number] {
  if (input.length !== 2) throw new Error(`'${id}' takes a sequence [positions, features] but receives [${input.join(', ')}]`);
  return input as [number, number];
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
