/**
 * What a comparison runs: the vocabulary its choices are made in, and the resolved request that
 * the engine runs, the result cache keys on, and the report records. The engine fills and checks
 * it (src/engine/compare/resolveRequest.ts); the CLI's flags, the VS Code settings and the worker
 * message each map their input to it.
 */
import type { MethodName } from './compareReport';

/**
 * The hidden nonlinearity; checkpoints do not store it, so the user chooses (a transformer's
 * config.json names its own). gelu is the exact erf form (nn.GELU); gelu_tanh its tanh
 * approximation (GPT-2's gelu_new); silu is x·sigmoid(x) (Llama's SwiGLU gate).
 */
export const ACTIVATIONS = ['relu', 'gelu', 'gelu_tanh', 'silu', 'tanh', 'sigmoid', 'leaky_relu'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/**
 * TensorFlow.js backends: 'auto' takes tfjs-node, else wasm, else cpu; tensorflow is
 * @tensorflow/tfjs-node (native), wasm is XNNPACK in WebAssembly, cpu is plain JavaScript.
 */
export const BACKEND_CHOICES = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
/** A backend that runs (what the report's `backend` names). */
export type BackendName = Exclude<BackendChoice, 'auto'>;

/** Per-channel input normalisation, x ← (x − mean[c]) / std[c], as torchvision's Normalize. */
export interface Normalization {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/** A comparison with every choice made: nothing left to a default further down. */
export interface CompareRequest {
  /** The checkpoints: B is aligned to A. */
  readonly a: string;
  readonly b: string;
  /** Evaluation data (path, barriers, LLFC); null: weights only. */
  readonly data: string | null;
  /** The data the data-driven methods fit on: `data` unless another file was chosen; null exactly when `data` is. */
  readonly fitData: string | null;
  /** Distinct, in the canonical order (`ALL_METHOD_NAMES`); REPAIR variants named as methods. */
  readonly methods: readonly MethodName[];
  /** Points on the α grid, 0 and 1 included. */
  readonly alphas: number;
  readonly activation: Activation;
  readonly backend: BackendChoice;
  /** Seeds weight matching's group order. */
  readonly seed: number;
  /** Weight matching runs from this many group orders (seeds seed, seed + 1, …) and keeps the best objective. */
  readonly restarts: number;
  /** An architecture description for both checkpoints; null: A's `.arch.json` beside it, else inference. */
  readonly description: string | null;
  /**
   * A transformer's number of attention heads, which its weights do not hold; null: from the
   * description's "config", else the config.json beside each checkpoint.
   */
  readonly heads: number | null;
  /** One sample's shape (C×H×W, or features); null: from the data, or the network's own. */
  readonly inputShape: readonly number[] | null;
  readonly normalization: Normalization | null;
  /** Recompute the BatchNorm statistics of every interpolated network on the fit data (networks with BatchNorm). */
  readonly bnReset: boolean;
  /** Measure every layer's barrier with only that layer interpolated. */
  readonly layerBarriers: boolean;
  /** Most fit samples the data-driven methods, BatchNorm reset and REPAIR use (the file's first). */
  readonly fitSamples: number;
  /** Most evaluation samples LLFC averages over (the file's first); 0: no LLFC. */
  readonly llfcSamples: number;
}
