import { InputError } from '../io/inputError';
import type { MemoryLimit } from './memoryLimit';
import { LLFC_VALUES_PER_BATCH } from '../metrics/pathEvaluator';
import { batchSizeFor } from '../model/forward';
import { nodeTensors, type Network } from '../model/network';
import { valueShapes } from '../model/networkShapes';
import { networkChannelSpaces } from '../model/networkSpaces';
import { derivePermutationSpec } from '../model/permutationSpec';

const MIB = 1 << 20;

/** What a comparison will hold, known from the checkpoints' headers and the data before any tensor is read. */
export interface ComparisonSize {
  /** A's network (B's is the same, or the comparison is refused after reading). */
  readonly network: Network;
  /** Float32 values of the larger of A's and B's parameters, as their headers declare them. */
  readonly parameters: number;
  /** Distinct alignments (a method and its REPAIR variant share one): each keeps its own π(B). */
  readonly alignments: number;
  /** The samples held and used; null when weights only. */
  readonly data: {
    /** Samples of the evaluation file, and of the fit file when it is another file (else 0). */
    readonly evaluation: number;
    readonly separateFit: number;
    /** Whether the inputs are normalised: a normalised copy of each file beside it. */
    readonly normalized: boolean;
    /** Fit samples used and evaluation samples measured on (the batches' size at most). */
    readonly fitSamples: number;
    readonly evaluationUsed: number;
  } | null;
  /** Compute helper threads (measuring threads − 1) that take per-layer barriers; 0 when there are none. */
  readonly helpers: number;
}

export interface MemoryEstimate {
  readonly bytes: number;
  /** The estimate's parts, for the message. */
  readonly parts: {
    readonly runtime: number;
    readonly parameters: number;
    readonly data: number;
    readonly activations: number;
    readonly matrices: number;
    readonly helpers: number;
  };
}

/**
 * The JavaScript runtime, TensorFlow.js and the wasm backend's own heap, per thread, before any of
 * our data: the fixture MLP's comparison on two threads peaks at 200 MB resident, about 15 MB of it data.
 */
const RUNTIME_BYTES = 64 * MIB;

/** Batches of activations alive at once: see `estimateComparisonMemory`. */
const ACTIVATION_SETS = 4;

/** Float32 values in a network's parameters, from each tensor's declared shape. */
export function networkParameters(network: Network, shapeOf: (name: string) => readonly number[]): number {
  let total = 0;
  for (const node of network.nodes) for (const name of nodeTensors(node)) total += shapeOf(name).reduce((x, y) => x * y, 1);
  return total;
}

/**
 * The comparison's peak memory, roughly and from above. Every part is float32 (4 bytes) except
 * the square matrices (float64, 8 bytes); P is `parameters`, D the input size of one sample.
 * - Parameters: 4·P·(2 + alignments + 3). A and B are read whole; each alignment's π(B) is kept
 *   for the report and the exports; while a path is measured the backend holds A's tensors, the
 *   π(B) being measured and one interpolated network.
 * - Data: 4·D·(evaluation + separate fit samples), twice when normalised (the copy beside the file),
 *   and 4 bytes per label (one per position for token sequences).
 * - Activations: three sets of a batch's values are alive at once (A's, π(B)'s and the
 *   interpolated network's, for LLFC), each capped as the path evaluator caps them, and a fourth
 *   for the backend's temporaries within a pass: 4·4·min(LLFC_VALUES_PER_BATCH, batch·V), V every
 *   node's values for one sample (and every attention's scores, heads·T²).
 * - Matrices: one assignment at a time, its gains in float32 and float64: 12·max n² over the
 *   groups of n units. With data, every group's unit correlations (kept) and the moments that
 *   accumulate them, 16·Σn², and Σ of every weighted layer's inputs (fan-in + 1 for the bias,
 *   kept for covariance matching and its W2): 8·Σ(fan-in + 1)².
 * - Helpers: each holds A and π(B) as sent and uploaded and an interpolated network (4·P·5), its
 *   own copy of the samples used (4·D·(fit + evaluation used)), activations as above, and a runtime.
 * Weight matching's scratch, the per-tensor conversions while reading and the report are small
 * beside these and ride in the runtime's share. Measured on two threads (peak resident memory,
 * which also holds the process itself): the fixture VGG 704 MB against an estimate of 652, the
 * ResNet 716 against 647, the MLP 200 against 161.
 */
export function estimateComparisonMemory(size: ComparisonSize): MemoryEstimate {
  const { network, parameters: p, data } = size;
  const shapes = valueShapes(network);
  const inputSize = network.input.reduce((x, y) => x * y, 1);
  // Attention's scores [heads, T, T] are no node's value but live while their node runs.
  const scores = network.nodes.reduce((sum, node, i) => sum + (node.op === 'attention' ? node.heads * shapes[i]![0]! ** 2 : 0), 0);
  const perSample = shapes.reduce((sum, shape) => sum + shape.reduce((x, y) => x * y, 1), inputSize) + scores;
  // Token data has a target per position.
  const labelsPerSample = network.nodes[0]?.op === 'embedding' ? inputSize : 1;
  const spec = derivePermutationSpec(networkChannelSpaces(network));

  const parameters = 4 * p * (2 + size.alignments + 3);
  const dataBytes = data ? (4 * inputSize * (data.normalized ? 2 : 1) + 4 * labelsPerSample) * (data.evaluation + data.separateFit) : 0;
  const batch = data ? Math.max(1, Math.min(batchSizeFor(network), Math.max(data.fitSamples, data.evaluationUsed))) : 0;
  const activations = 4 * ACTIVATION_SETS * Math.min(LLFC_VALUES_PER_BATCH, batch * perSample);
  const squares = spec.groups.map((group) => group.size ** 2);
  let matrices = 12 * Math.max(0, ...squares);
  if (data) {
    matrices += 16 * squares.reduce((x, y) => x + y, 0);
    for (const node of network.nodes) {
      const fanIn = node.op === 'linear' ? node.inFeatures : node.op === 'conv2d' ? node.inChannels * node.kernel[0] * node.kernel[1] : -1;
      if (fanIn >= 0) matrices += 8 * (fanIn + 1) ** 2;
    }
  }
  const helperData = data ? 4 * inputSize * (data.fitSamples + data.evaluationUsed) : 0;
  const helpers = size.helpers * (4 * p * 5 + helperData + activations + RUNTIME_BYTES);
  const parts = { runtime: RUNTIME_BYTES, parameters, data: dataBytes, activations, matrices, helpers };
  return { bytes: Object.values(parts).reduce((x, y) => x + y, 0), parts };
}

/** Megabytes for people: "5,210 MB". */
export const megabytes = (bytes: number): string => `${Math.ceil(bytes / MIB).toLocaleString('en-US')} MB`;

/**
 * The most compute helpers, up to `size.helpers`, with which the comparison fits within `limit`:
 * they change how fast, not what, so fewer is better than a refusal. When it does not fit even
 * without helpers, refuses before any tensor is read, naming what it needs, its largest part, the
 * limit and what to do.
 */
export function helpersWithinMemory(size: ComparisonSize, limit: MemoryLimit, what: string): number {
  const limitBytes = limit.mb * MIB;
  for (let helpers = size.helpers; helpers > 0; helpers--) if (estimateComparisonMemory({ ...size, helpers }).bytes <= limitBytes) return helpers;
  const estimate = estimateComparisonMemory({ ...size, helpers: 0 });
  if (estimate.bytes <= limitBytes) return 0;
  const words: Record<keyof MemoryEstimate['parts'], string> = {
    runtime: 'the runtime',
    parameters: 'copies of the parameters',
    data: 'the data',
    activations: 'activations',
    matrices: 'unit-by-unit matrices',
    helpers: 'the compute helpers',
  };
  const [largest, bytes] = Object.entries(estimate.parts).reduce((a, b) => (b[1] > a[1] ? b : a));
  const remedies = [
    ...(size.data ? ['use fewer samples'] : []),
    ...(limit.raise ? [limit.raise] : []),
    // Weight matching alone can hold one block at a time (streamingWeightMatching).
    ...(size.network.kind === 'transformer' && !size.data ? ["match the weights part by part with the command line's merge-lens compare --stream"] : []),
  ];
  throw new InputError(
    `comparing ${what} needs about ${megabytes(estimate.bytes)} (${megabytes(bytes)} of it ${words[largest as keyof typeof words]}) ` +
      `but the memory limit is ${megabytes(limitBytes)}${limit.raise ? '' : " (half this machine's memory)"}${remedies.length ? `; ${remedies.join(', or ')}` : ''}`,
  );
}
