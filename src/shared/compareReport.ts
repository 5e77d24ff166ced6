/**
 * The result of comparing two checkpoints: written by the engine, printed by the CLI, saved as
 * `merge-lens compare --json`, drawn by the HTML report and the webview. Documented in the README.
 */
import type { CompareRequest } from './compareRequest';

/** The alignments: how B's units are matched to A's. */
export type AlignmentName = 'naive' | 'weight' | 'activation' | 'covariance';
/**
 * A method: an alignment, measured along the plain linear path, or with REPAIR (Jordan et al.
 * 2023) correcting every interpolated network's channel statistics ("weight+repair").
 */
export type MethodName = AlignmentName | `${AlignmentName}+repair`;
/** The alignments, plain: what runs unless asked otherwise. */
export const METHOD_NAMES: readonly AlignmentName[] = ['naive', 'weight', 'activation', 'covariance'];
/** Every method name, the REPAIR variants after the plain ones. */
export const ALL_METHOD_NAMES: readonly MethodName[] = [...METHOD_NAMES, ...METHOD_NAMES.map((m) => `${m}+repair` as const)];
/** The methods that need no data: all a weights-only comparison can run (REPAIR measures on data). */
export const WEIGHTS_ONLY_METHODS: readonly MethodName[] = ['naive', 'weight'];

/** The alignment a method uses: 'weight' for 'weight+repair'. */
export function alignmentOf(method: MethodName): AlignmentName {
  return method.replace(/\+repair$/, '') as AlignmentName;
}

export function isRepaired(method: MethodName): boolean {
  return method.endsWith('+repair');
}

/** The methods with each plain one's REPAIR variant right after it (what --repair and mergeLens.repair ask for). */
export function withRepairVariants(methods: readonly MethodName[]): MethodName[] {
  return [...new Set(methods.flatMap((m) => (isRepaired(m) ? [m] : [m, `${alignmentOf(m)}+repair` as const])))];
}

export interface LayerSummary {
  /** The layer's name prefix in the checkpoint. */
  readonly name: string;
  readonly kind: 'linear' | 'conv';
  /** Output units (channels of a convolution). */
  readonly width: number;
  /** Whether its output units are permuted (hidden layers), or fixed (the logits). */
  readonly permuted: boolean;
  /** The permutation group its outputs lie in (several layers share one in a ResNet stage); null for the logits. */
  readonly group: string | null;
  /** The BatchNorm normalising its outputs, or null. */
  readonly batchNorm: string | null;
}

/** One permutation group: units that are permuted together, and every layer writing into them. */
export interface GroupSummary {
  /** The first layer writing into the group: what `matching[].layer` and the similarity requests name. */
  readonly name: string;
  readonly size: number;
  /** More than one for a residual stage. */
  readonly layers: readonly string[];
  /**
   * Transformers only: the residual stream (one group for the whole model), an MLP's hidden
   * units, or an attention's query/key or value/output units.
   */
  readonly role?: 'residual' | 'mlp' | 'query-key' | 'value-output';
  /** Transformers only: the block the group lies in (the block's name, as `LayerBarrier.layer` names it); absent for the residual stream. */
  readonly block?: string;
  /**
   * Attention's groups: the units come in `count` heads (key/value heads under grouped-query
   * attention) that move whole, with the `partner`
   * group's heads alike; `withinHead` false where units may not move within a head (rotary
   * embeddings on query/key units).
   */
  readonly heads?: {
    readonly count: number;
    /** The attention's query heads: `count` times the query heads each key/value head serves (equal to `count` without grouped-query attention). */
    readonly queryHeads: number;
    readonly withinHead: boolean;
    readonly partner: string;
  };
}

/**
 * One attention's heads under one alignment: how alike every head of A is to every head of B,
 * and which B head each A head was matched with.
 */
export interface HeadMatching {
  /** The attention (its node id, e.g. 'transformer.h.0.attn'). */
  readonly attention: string;
  /** The block it lies in. */
  readonly block: string;
  /** Its query/key group and its value/output group (`groups[].name`). */
  readonly queryKey: string;
  readonly valueOutput: string;
  /** Heads (key/value heads under grouped-query attention). */
  readonly count: number;
  /** A's head a is matched with B's head permutation[a]. */
  readonly permutation: readonly number[];
  /**
   * count × count, row-major: similarity[a·count + b], how alike A's head a and B's head b are:
   * the mean cosine of their units' weight vectors (as `UnitSimilarity` has them, B's other
   * groups aligned by the method) under the best within-head matching (the identity where units
   * may not move within a head), over the query/key and value/output units together.
   */
  readonly similarity: readonly number[];
}

/** REPAIR's variance collapse of one layer at α = 0.5 (Jordan et al. 2023). */
export interface VarianceCollapse {
  readonly layer: string;
  /**
   * Mean over channels of σ_merged / ((σ_A + σ_B) / 2), the channel standard deviations of the
   * layer's outputs on the fit data: below 1, the merged network's activations have collapsed.
   * Before: the interpolated network with the run's BatchNorm reset setting; after: with REPAIR.
   */
  readonly before: number;
  readonly after: number;
}

/** One layer's barrier when only that layer is interpolated, the rest held at A (Adilova et al.). */
export interface LayerBarrier {
  readonly layer: string;
  readonly loss: number;
  readonly accuracy: number;
  /** Loss and accuracy along α with only this layer interpolated. */
  readonly path: { readonly loss: readonly number[]; readonly accuracy: readonly number[] };
}

/** Layerwise linear feature connectivity of one hidden layer along the path (Zhou et al. 2023). */
export interface LlfcLayer {
  readonly layer: string;
  /** Per α: mean over samples of cos(f(θ(α)), (1−α)·f(θA) + α·f(π(θB))). */
  readonly cosine: readonly number[];
  /** Per α: c = ⟨f(θ(α)), mix⟩ / ‖mix‖², averaged over samples. */
  readonly scale: readonly number[];
  /** Mean over samples of cos(f(θA), f(π(θB))): how alike the endpoints' features are to begin with. */
  readonly baseline: number;
}

/** How well one hidden layer's units are matched, before (identity) and after alignment. */
export interface LayerMatching {
  readonly layer: string;
  /** ‖W_A − W_B‖ / ‖W_A‖ for the layer's weights, with no permutation. */
  readonly costBefore: number;
  /** ‖W_A − P·W_B·Qᵀ‖ / ‖W_A‖, with the output (P) and input (Q) permutations found. */
  readonly costAfter: number;
  /** Mean Pearson correlation of matched units' activations on the fit data; null without data. */
  readonly correlationBefore: number | null;
  readonly correlationAfter: number | null;
  /** A's unit i is matched with B's unit permutation[i]. */
  readonly permutation: readonly number[];
  /**
   * Per A unit i: ‖w_i^A − w_perm[i]^B‖ / ‖w_i^A‖ over every weight the unit's group touches
   * (its row and bias in this layer, its column in the next), B's other groups already permuted.
   */
  readonly unitCosts: readonly number[];
  /** The empirical Wasserstein-2 distance between the layer's neurons in A and in B (see NeuronWasserstein). */
  readonly wasserstein: Omit<NeuronWasserstein, 'layer'>;
}

/**
 * Ferbach et al.'s picture of a layer: its units as points, each the vector of every parameter
 * that writes it (its row of W, its bias, its BatchNorm's weight and bias), uniform weights on
 * each side; W2 = √((1/n)·Σ_i ‖a_i − b_σ(i)‖²).
 */
export interface NeuronWasserstein {
  readonly layer: string;
  /** σ the identity, B as it is: before alignment. */
  readonly identity: number;
  /** σ the method's permutation, B's inputs permuted by the method as well. */
  readonly aligned: number;
  /** The minimum over σ, B's inputs as the method permuted them: the distance itself (an exact assignment). */
  readonly optimal: number;
  /**
   * The covariance-weighted counterpart, the quantity covariance matching minimises: each unit the
   * row [w | b] it computes its output with (the BatchNorm after it folded in), the cost between
   * two units (a − b)ᵀ Σ (a − b), Σ the second moment of the layer's inputs (with the constant 1
   * the bias multiplies) on the fit data, summed over the group's layers; √((1/n)·Σ_i cost(i, σ(i)))
   * for the same three σ. Null when weights only (Σ is measured on the fit data).
   */
  readonly covariance: { readonly identity: number; readonly aligned: number; readonly optimal: number } | null;
}

/**
 * One measurement over the measured samples: of the whole flattened tensor, and the mean over
 * samples of each sample's own. NaN where no sample has a direction (all-zero features), which a
 * report written as JSON holds as null: readers take both.
 */
export interface FlatAndMean {
  readonly flat: number;
  readonly mean: number;
}

/**
 * Weak additivity of the activation σ at one activation (Zhou et al. 2023, section 5): with h̃_A
 * and h̃_B the pre-activations A and π(B) compute there on the same inputs, u = σ(h̃_A + h̃_B)
 * against v = σ(h̃_A) + σ(h̃_B).
 */
export interface WeakAdditivity {
  /** The activation, named as its LLFC entry (`LlfcLayer.layer`). */
  readonly layer: string;
  /** 1 − cos(u, v). */
  readonly dissimilarity: FlatAndMean;
  /** ⟨u, v⟩ / ‖v‖². */
  readonly coefficient: FlatAndMean;
  /** The same with B's samples shuffled against A's (A's sample i with B's sample i + 1, cyclically): what "small" means for this layer. */
  readonly shuffled: { readonly dissimilarity: FlatAndMean; readonly coefficient: FlatAndMean };
}

/**
 * Commutativity at one layer with weights (Zhou et al. 2023, section 5): H_A and H_B its inputs in
 * A and π(B) on the same samples, W_A and W_B its weights (biases cancel; a convolution applied as
 * it is, BatchNorm not folded), u = W_A·H_A + W_B·H_B against v = W_A·H_B + W_B·H_A.
 */
export interface Commutativity {
  /** The layer (`LayerSummary.name`). */
  readonly layer: string;
  /** ‖u − v‖ / ‖u‖ = ‖(W_A − W_B)(H_A − H_B)‖ / ‖W_A·H_A + W_B·H_B‖, over every sample at once. */
  readonly distance: number;
  /** 1 − cos(u, v). */
  readonly dissimilarity: FlatAndMean;
  /** The same with B's samples shuffled against A's, as for weak additivity. */
  readonly shuffled: { readonly distance: number; readonly dissimilarity: FlatAndMean };
}

/** Why LLFC holds or fails, layer by layer: the two conditions Zhou et al. derive it from, on the LLFC samples. */
export interface LlfcConditions {
  /** Evaluation samples measured on: the first `request.llfcSamples`. */
  readonly samples: number;
  /** Per activation, in network order. */
  readonly additivity: readonly WeakAdditivity[];
  /** Per layer with weights, in network order. */
  readonly commutativity: readonly Commutativity[];
}

export interface MethodResult {
  readonly method: MethodName;
  /** Along `alphas`: θ(α) = (1−α)·θA + α·π(θB). Null when weights only (no evaluation data). */
  readonly path: { readonly loss: readonly number[]; readonly accuracy: readonly number[] } | null;
  /** Null when weights only: a barrier is measured on the evaluation data. */
  readonly barrier: {
    /** max_α [L(α) − ((1−α)L(0) + αL(1))]. */
    readonly loss: number;
    /** max_α [((1−α)Acc(0) + αAcc(1)) − Acc(α)]. */
    readonly accuracy: number;
  } | null;
  /**
   * Per layer with weights (with its BatchNorm); for a transformer, per part: 'embeddings', each
   * block's attention (named by its attention, e.g. 'transformer.h.0.attn') and MLP
   * ('transformer.h.0.mlp'), each whole block ('transformer.h.0'), and the head ('lm_head').
   * Empty when weights only, and for REPAIR methods.
   */
  readonly layerBarriers: readonly LayerBarrier[];
  /**
   * Per activation (an MLP's hidden layers; every ReLU of a convolutional network, flattened); a
   * transformer's per MLP (its hidden units) and per block (the residual stream after it, named as
   * the block). Empty when weights only.
   */
  readonly llfc: readonly LlfcLayer[];
  /**
   * LLFC's two conditions at the endpoints, B aligned by this method's alignment (a REPAIR variant
   * shares its plain method's); null when weights only or with no LLFC samples.
   */
  readonly conditions: LlfcConditions | null;
  readonly matching: readonly LayerMatching[];
  /**
   * π(B) reproduces B's outputs (relative difference below 1e-5) on the inputs `equivalenceInputs`
   * names; false marks the result invalid.
   */
  readonly equivalent: boolean;
  /** The largest relative output difference between π(B) and B on the sample inputs. */
  readonly equivalenceError: number;
  /** Wall-clock seconds the alignment took. */
  readonly seconds: number;
  /** Method-specific facts: sweeps of weight matching, its objective, ... */
  readonly details: Readonly<Record<string, number | string>>;
  /** REPAIR methods only: per repaired layer; empty when weights only. */
  readonly varianceCollapse?: readonly VarianceCollapse[];
  /** Transformers only: per attention, in network order. */
  readonly heads?: readonly HeadMatching[];
}

export interface CheckpointSummary {
  readonly file: string;
  readonly format: string;
}

export interface DatasetSummary {
  readonly file: string;
  /** Examples: images, rows, or token sequences. */
  readonly count: number;
  /** One example's shape; [T] for token sequences. */
  readonly inputShape: readonly number[];
  /** The largest label + 1; for token sequences, the largest token id or target + 1. */
  readonly numClasses: number;
  /** Token sequences only: the positions whose next token is scored (the loss and accuracy are means over these). */
  readonly scoredPositions?: number;
}

/** Dim(S) of one layer: tr(S)² / tr(S²), S the covariance of its units' weight vectors (Ferbach et al.). */
export interface LayerDimension {
  readonly layer: string;
  readonly a: number;
  readonly b: number;
}

/** The schema version this Merge Lens writes, and the only one its views and cache read. */
export const REPORT_VERSION = 3;

export interface CompareReport {
  /** The schema's version: 2 added the matching entries' `wasserstein`; 3 its `covariance` and the methods' `conditions`. */
  readonly version: typeof REPORT_VERSION;
  readonly createdAt: string;
  readonly tool: string;
  /** What was run, every default filled: the same request runs the same comparison again. */
  readonly request: CompareRequest;
  readonly checkpoints: { readonly a: CheckpointSummary; readonly b: CheckpointSummary };
  /**
   * The evaluation data (path, barriers, LLFC) and the fit data (activation and covariance
   * matching, unit correlations). Null for a weights-only comparison: then every path, barrier and
   * LLFC is null or empty, correlations are null, and only naive and weight matching can run.
   */
  readonly data: { readonly evaluation: DatasetSummary; readonly fit: DatasetSummary } | null;
  /**
   * What the equivalence check fed B and π(B): 'evaluation', the first 256 evaluation samples;
   * 'random', weights only, 256 seeded standard-normal inputs (a permutation preserves the function
   * on every input, so any inputs that reach every unit will do).
   */
  readonly equivalenceInputs: 'evaluation' | 'random';
  readonly architecture: {
    readonly kind: 'mlp' | 'conv' | 'transformer';
    /** The activation of an inferred network (a description file names its own). */
    readonly activation: string;
    readonly inputSize: number;
    /** One sample's shape: [features], or [channels, height, width]. */
    readonly inputShape: readonly number[];
    readonly outputSize: number;
    /** The architecture description file A's layout came from, or null when it was inferred. */
    readonly description: string | null;
    /** What inference assumed about the layers the checkpoint does not store (empty for a description file or an MLP). */
    readonly notes: readonly string[];
    /** Per-channel input normalisation applied to the data, or null. */
    readonly normalization: { readonly mean: readonly number[]; readonly std: readonly number[] } | null;
  };
  /** The layers with weights, in network order. */
  readonly layers: readonly LayerSummary[];
  /** The permutation groups, in the order of `matching`. */
  readonly groups: readonly GroupSummary[];
  /**
   * Whether every interpolated network had its BatchNorm statistics recomputed on the fit data
   * before evaluation (the endpoints included); null when the network has no BatchNorm or no
   * path was measured.
   */
  readonly bnReset: boolean | null;
  /** The α grid of every path, 0 and 1 included (the grid asked for, even when weights only measures no path). */
  readonly alphas: readonly number[];
  /** The TensorFlow.js backend that ran: 'tensorflow' (tfjs-node), 'wasm' or 'cpu'. */
  readonly backend: string;
  /** What ran and why a faster backend did not, e.g. "wasm (SIMD, 1 thread); @tensorflow/tfjs-node is not installed". */
  readonly backendDetail: string;
  readonly methods: Partial<Record<MethodName, MethodResult>>;
  /** Per layer with weights; a transformer's attentions add one entry each for their heads as points ('transformer.h.0.attn heads'). */
  readonly dimS: readonly LayerDimension[];
  /** Things the user must see: failed equivalence checks, skipped samples, ... */
  readonly warnings: readonly string[];
}
