import type { MlpArchitecture } from './mlp';
import type { ChannelSpaces } from './permutationSpec';

/**
 * An MLP's channel spaces: the input, each hidden layer's outputs (permutable, named after the
 * layer that writes them), and the logits.
 */
export function mlpChannelSpaces(architecture: MlpArchitecture): ChannelSpaces {
  const { layers } = architecture;
  const spaces = [
    { name: 'input', size: architecture.inputSize, permutable: false },
    ...layers.map((layer, i) => ({ name: layer.name, size: layer.outFeatures, permutable: i < layers.length - 1 })),
  ];
  // Layer l reads space l and writes space l + 1.
  const tensors = layers.flatMap((layer, l) => [
    { name: layer.weight, axes: [l + 1, l] },
    ...(layer.bias ? [{ name: layer.bias, axes: [l + 1] }] : []),
  ]);
  return { spaces, tensors };
}
