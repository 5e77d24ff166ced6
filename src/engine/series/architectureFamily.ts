/**
 * A series compares one architecture family: every checkpoint has the first one's layers, named
 * and of the same kinds in the same order, though widths may differ (a width series). Checked from
 * the checkpoints' headers before any comparison runs, so a stray file fails the series at once,
 * naming its entry, instead of after the pairs before it.
 */
import { basename, dirname, relative } from 'node:path';
import type { SampleShape } from '../architecture/inputShape';
import { networkLayout } from '../architecture/loadNetwork';
import { openDataset } from '../datasets/openDataset';
import { openCheckpoint } from '../formats/openCheckpoint';
import { FormatError } from '../io/formatError';
import { InputError } from '../io/inputError';
import type { NetworkNode } from '../model/network';
import type { CompareRequest } from '../../shared/compareRequest';

/** A layer as the family knows it: its name and what it does, not its size. */
function layerKind(node: NetworkNode): string {
  return node.op === 'activation' ? node.fn : node.op === 'linear' || node.op === 'conv2d' ? `${node.op} layer` : node.op;
}

interface Family {
  readonly layers: readonly { readonly id: string; readonly kind: string }[];
}

async function familyOf(file: string, request: CompareRequest, sample: SampleShape | null): Promise<Family> {
  const checkpoint = await openCheckpoint(file);
  try {
    const { network } = await networkLayout(checkpoint, { activation: request.activation, description: request.description, heads: request.heads, sample });
    return { layers: network.nodes.map((node) => ({ id: node.id, kind: layerKind(node) })) };
  } finally {
    await checkpoint.close();
  }
}

/** The first difference between two families, in words, or null when they are one. */
function difference(first: Family, other: Family): string | null {
  const count = Math.min(first.layers.length, other.layers.length);
  for (let i = 0; i < count; i++) {
    const a = first.layers[i]!;
    const b = other.layers[i]!;
    if (a.id !== b.id || a.kind !== b.kind) return `its layer ${i + 1} is '${b.id}' (${b.kind}) where the first has '${a.id}' (${a.kind})`;
  }
  if (first.layers.length !== other.layers.length) return `it has ${other.layers.length} layers where the first has ${first.layers.length}`;
  return null;
}

export interface FamilyEntry {
  /** "pairs[3].b". */
  readonly entry: string;
  readonly file: string;
  readonly request: CompareRequest;
}

/**
 * Checks every entry's checkpoint against the first entry's (each file read once, headers only),
 * throwing an InputError that names the first entry that differs and how. A checkpoint that
 * cannot be read at all fails as its FormatError, with the entry named in front.
 * `manifest` names the series in messages.
 */
export async function checkArchitectureFamily(entries: readonly FamilyEntry[], manifest: string | null, signal?: AbortSignal): Promise<void> {
  const first = entries[0];
  if (!first) return;
  const name = manifest === null ? 'the series' : basename(manifest);
  const shown = (file: string) => (manifest === null ? file : relative(dirname(manifest), file) || file);
  // A network that flattens a feature map needs its input size, which only the data (or a given
  // shape) tells: the data is opened, once, only when a header alone does not say.
  const { request } = first;
  const given: SampleShape | null = request.inputShape ? { shape: request.inputShape, file: null } : null;
  let fromData: Promise<SampleShape> | undefined;
  const dataSample = (file: string) => (fromData ??= openDataset(file).then((data) => ({ shape: data.inputShape, file: data.file })));
  const layout = async (file: string, r: CompareRequest): Promise<Family> => {
    try {
      return await familyOf(file, r, given);
    } catch (error) {
      if (!(error instanceof FormatError) || given !== null || r.data === null) throw error;
      return familyOf(file, r, await dataSample(r.data));
    }
  };
  const families = new Map<string, Family>();
  const read = async ({ entry, file, request: r }: FamilyEntry): Promise<Family> => {
    let family = families.get(file);
    if (!family) {
      signal?.throwIfAborted();
      try {
        family = await layout(file, r);
      } catch (error) {
        if (error instanceof FormatError) throw new FormatError(manifest ?? error.file, `${entry} (${shown(file)}): ${error.message}`);
        throw error;
      }
      families.set(file, family);
    }
    return family;
  };
  const reference = await read(first);
  for (const item of entries.slice(1)) {
    const differs = difference(reference, await read(item));
    if (differs !== null) {
      throw new InputError(
        `${name}: ${item.entry}: ${shown(item.file)} is not of the series' architecture (that of ${first.entry}, ${shown(first.file)}): ${differs}; a series compares one architecture, its widths free to change`,
      );
    }
  }
}
