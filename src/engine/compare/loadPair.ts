import { openCheckpoint } from '../formats/openCheckpoint';
import { FormatError } from '../io/formatError';
import { readMlp } from '../model/inferMlp';
import type { Activation, Mlp } from '../model/mlp';
import type { Tensor32 } from '../model/params';
import type { CheckpointSummary } from '../../shared/compareReport';

export interface CheckpointPair {
  readonly a: Mlp;
  /** B's parameters under A's tensor names (layers matched by position), so one spec serves both. */
  readonly b: Mlp;
  /** B's own name for each of A's tensor names, for exports "with B's tensor names". */
  readonly bNames: ReadonlyMap<string, string>;
  /** Tensors B stores as [in, out] kernels (TensorFlow, JAX): exports transpose them back. */
  readonly bKernels: ReadonlySet<string>;
  readonly summaries: { readonly a: CheckpointSummary; readonly b: CheckpointSummary };
}

async function readOne(file: string, activation: Activation) {
  const checkpoint = await openCheckpoint(file);
  try {
    return { mlp: await readMlp(checkpoint, activation), format: checkpoint.format };
  } finally {
    await checkpoint.close();
  }
}

/**
 * Reads both checkpoints as MLPs and checks they have the same architecture, naming the first
 * tensor that differs. Names may differ (a PyTorch A against a TensorFlow.js B): layers are
 * matched by position.
 */
export async function loadCheckpointPair(fileA: string, fileB: string, activation: Activation): Promise<CheckpointPair> {
  const [a, b] = await Promise.all([readOne(fileA, activation), readOne(fileB, activation)]);
  const layersA = a.mlp.architecture.layers;
  const layersB = b.mlp.architecture.layers;
  if (layersA.length !== layersB.length) {
    throw new FormatError(
      fileB,
      `has ${layersB.length} linear layers but ${fileA} has ${layersA.length}; the two checkpoints must share one architecture`,
    );
  }
  const bNames = new Map<string, string>();
  const params = new Map<string, Tensor32>();
  layersA.forEach((la, l) => {
    const lb = layersB[l]!;
    if (la.inFeatures !== lb.inFeatures || la.outFeatures !== lb.outFeatures) {
      throw new FormatError(
        fileB,
        `tensor '${lb.weight}' is [${lb.outFeatures}, ${lb.inFeatures}] (out, in) but its counterpart '${la.weight}' in A is [${la.outFeatures}, ${la.inFeatures}]; the two checkpoints must share one architecture`,
      );
    }
    if ((la.bias === null) !== (lb.bias === null)) {
      throw new FormatError(fileB, `layer '${lb.name}' ${lb.bias ? 'has' : 'lacks'} a bias but its counterpart '${la.name}' in A ${la.bias ? 'has' : 'lacks'} one`);
    }
    bNames.set(la.weight, lb.weight);
    params.set(la.weight, b.mlp.params.get(lb.weight)!);
    if (la.bias && lb.bias) {
      bNames.set(la.bias, lb.bias);
      params.set(la.bias, b.mlp.params.get(lb.bias)!);
    }
  });
  const bKernels = new Set(b.mlp.layout.layers.filter((l) => l.layout === 'in-out').map((l) => l.weight));
  return {
    a: { architecture: a.mlp.architecture, params: a.mlp.params },
    b: { architecture: a.mlp.architecture, params },
    bNames,
    bKernels,
    summaries: { a: { file: fileA, format: a.format }, b: { file: fileB, format: b.format } },
  };
}
