import type { Activation } from '../../shared/compareRequest';
import type { Params } from './params';


/** One fully connected layer: y = x · Wᵀ + b, with W stored [out, in] as PyTorch does. */
export interface DenseLayer {
  /** The layer's name prefix in the checkpoint ("fc1", "layers.0", "net.3"). */
  readonly name: string;
  readonly weight: string;
  readonly bias: string | null;
  readonly inFeatures: number;
  readonly outFeatures: number;
}

/**
 * A multi-layer perceptron: dense layers in order, the activation after every one but the last.
 * Inputs are flattened to `inputSize`.
 */
export interface MlpArchitecture {
  readonly kind: 'mlp';
  readonly layers: readonly DenseLayer[];
  readonly activation: Activation;
  readonly inputSize: number;
  readonly outputSize: number;
}

export interface Mlp {
  readonly architecture: MlpArchitecture;
  readonly params: Params;
}
