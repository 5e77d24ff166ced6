/**
 * A network's parameters as the engine computes with them: float32, row-major, keyed by the
 * checkpoint's tensor names (PyTorch layout: a Linear weight is [out, in]).
 */
export interface Tensor32 {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export type Params = ReadonlyMap<string, Tensor32>;
