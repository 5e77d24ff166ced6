import type { MlpArchitecture } from './mlp';
import { INPUT, type Network, type NetworkNode } from './network';

/** An MLP as a network graph: each dense layer a linear node, the activation after every one but the last. */
export function mlpNetwork(architecture: MlpArchitecture): Network {
  const nodes: NetworkNode[] = [];
  architecture.layers.forEach((layer, l) => {
    nodes.push({
      op: 'linear',
      id: layer.name,
      input: l === 0 ? INPUT : nodes.length - 1,
      weight: layer.weight,
      bias: layer.bias,
      inFeatures: layer.inFeatures,
      outFeatures: layer.outFeatures,
    });
    if (l < architecture.layers.length - 1) {
      nodes.push({ op: 'activation', id: `${layer.name}.${architecture.activation}`, input: nodes.length - 1, fn: architecture.activation });
    }
  });
  return { kind: 'mlp', input: [architecture.inputSize], nodes };
}
