import { basename } from 'node:path';
import { streamingWeightMatching, type StreamingWeightMatchingOptions, type StreamingWeightMatchingResult, type TensorSource } from '../alignment/streamingWeightMatching';
import { engineShape, networkLayout, nonFiniteCount, type NetworkLayout } from '../architecture/loadNetwork';
import type { Checkpoint } from '../formats/checkpoint';
import { openCheckpoint } from '../formats/openCheckpoint';
import { FormatError } from '../io/formatError';
import { InputError } from '../io/inputError';
import { nodeTensors, type Network } from '../model/network';
import { valueShapes } from '../model/networkShapes';
import { networkChannelSpaces } from '../model/networkSpaces';
import { derivePermutationSpec, type PermutationSpec } from '../model/permutationSpec';
import type { ModelOptions } from './loadPair';

export interface StreamingComparison {
  readonly network: Network;
  readonly spec: PermutationSpec;
  readonly result: StreamingWeightMatchingResult;
}

/**
 * The network's tensors of a checkpoint, in the engine's shapes (engineShape: the same values),
 * read one at a time and checked finite. Values that the engine rearranges while reading (GPT-2's
 * packed c_attn, kernels stored [in, out]) are refused by name: streaming reads them as stored.
 */
function networkSource(checkpoint: Checkpoint, layout: NetworkLayout): TensorSource {
  const file = basename(checkpoint.file);
  const rearranged = [...layout.packed.values()].map((slice) => slice.stored).concat([...layout.transposed]);
  if (rearranged.length > 0) {
    throw new InputError(`${file} stores '${rearranged[0]}' in a layout the engine rearranges on reading (packed query/key/value or [in, out]); a comparison too large for memory streams only tensors used as stored (Llama-style checkpoints)`);
  }
  const { network } = layout;
  const shapes = valueShapes(network);
  const engine = new Map<string, readonly number[]>();
  for (const node of network.nodes) {
    for (const name of nodeTensors(node)) if (!engine.has(name)) engine.set(name, engineShape(network, shapes, node, name, checkpoint.info(name).shape));
  }
  return {
    tensors: checkpoint.tensors.flatMap((t) => (engine.has(t.name) ? [{ name: t.name, shape: engine.get(t.name)! }] : [])),
    readFloat32: async (name) => {
      const data = await checkpoint.readFloat32(name);
      const bad = nonFiniteCount(data);
      if (bad > 0) throw new FormatError(checkpoint.file, `tensor '${name}' holds ${bad} NaN or infinite value${bad === 1 ? '' : 's'}; the network cannot be compared`);
      return data;
    },
  };
}

/**
 * Weight matching of two checkpoints of one network, part by part (streamingWeightMatching): the
 * network and its permutation groups from A's headers (and config.json), B's tensors under the
 * same names and shapes; nothing is held whole. Both files stay open until it returns.
 */
export async function streamingComparison(fileA: string, fileB: string, options: ModelOptions & StreamingWeightMatchingOptions): Promise<StreamingComparison> {
  const a = await openCheckpoint(fileA);
  try {
    const b = await openCheckpoint(fileB);
    try {
      const [layoutA, layoutB] = await Promise.all([networkLayout(a, options), networkLayout(b, options)]);
      const spec = derivePermutationSpec(networkChannelSpaces(layoutA.network));
      const result = await streamingWeightMatching(networkSource(a, layoutA), networkSource(b, layoutB), spec, options);
      return { network: layoutA.network, spec, result };
    } finally {
      await b.close();
    }
  } finally {
    await a.close();
  }
}
