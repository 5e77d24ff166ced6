import { basename } from 'node:path';
import { FormatError, clip, ensure } from '../io/formatError';
import type { Checkpoint } from '../formats/checkpoint';
import { openNpy } from '../formats/numpy/openNpy';
import { openNpz } from '../formats/numpy/openNpz';
import { openSafetensors } from '../formats/safetensors/openSafetensors';
import { DTYPES } from '../tensors/dtype';
import { toClassLabels, type LabelValues } from './classLabels';
import type { Dataset, DatasetFormat } from './dataset';
import { ensureLabelBytes, ensureSameCount, exampleLayout } from './datasetChecks';
import { dtypeName, scaleInputs } from './inputScaling';
import { EXPECTED_PAIRS, findKeyPairs, npyPartnerNames } from './pairNames';
import { findSibling, quoteList } from './siblingFiles';
import { findTokenKeys, readTokenDataset, TOKEN_KEYS } from './tokenDatasets';

/** A tensor in an open checkpoint. */
interface TensorRef {
  readonly checkpoint: Checkpoint;
  readonly name: string;
  /** How messages and notes call it. */
  readonly what: string;
}

/** Values streamed into the float32 inputs at most this many at a time. */
const STREAM_ELEMENTS = 1 << 20;

function ensureReal(file: string, ref: TensorRef): void {
  const { dtype } = ref.checkpoint.info(ref.name);
  ensure(DTYPES[dtype].kind !== 'complex', file, () => `${ref.what} are ${dtypeName(dtype)}; real values are expected`);
}

/**
 * Label values exactly as stored: integers in their own type (int64 as BigInt64Array), float32
 * and float64 as they are, narrower floats widened to float32 (exactly).
 */
async function labelValues(ref: TensorRef): Promise<LabelValues> {
  const { dtype } = ref.checkpoint.info(ref.name);
  if (DTYPES[dtype].kind === 'float' && dtype !== 'F32' && dtype !== 'F64') return ref.checkpoint.readFloat32(ref.name);
  return (await ref.checkpoint.read(ref.name)).data;
}

/** Builds the dataset from two tensors, checking shapes and sizes before reading either. */
async function datasetFromTensors(file: string, format: DatasetFormat, inputs: TensorRef, labels: TensorRef, notes: readonly string[]): Promise<Dataset> {
  const inputInfo = inputs.checkpoint.info(inputs.name);
  const labelInfo = labels.checkpoint.info(labels.name);
  const layout = exampleLayout(file, inputs.what, inputInfo.shape);
  ensure(labelInfo.shape.length > 0, file, `${labels.what} are a single value (rank 0); one label per example is expected`);
  ensureSameCount(file, layout.count, labelInfo.shape[0]!);
  ensureLabelBytes(file, labels.what, labelInfo.byteSize);
  ensureReal(file, inputs);
  ensureReal(file, labels);

  const values = new Float32Array(layout.count * layout.size);
  let filled = 0;
  await inputs.checkpoint.streamFloat32(inputs.name, STREAM_ELEMENTS, (chunk) => {
    values.set(chunk, filled);
    filled += chunk.length;
  });
  const scaling = scaleInputs(inputInfo.dtype, values, inputs.what);
  const classes = toClassLabels(file, labels.what, labelInfo.shape, await labelValues(labels));
  const layoutNotes = [...layout.notes];
  const shape = layout.inputShape;
  if (shape.length === 3 && (shape[2] === 1 || shape[2] === 3) && shape[0]! > 4) {
    layoutNotes.push(`each example is [${clip(shape.join(', '))}], which looks channels-last; kept as stored (a model expecting [${shape[2]}, ${shape[0]}, ${shape[1]}] needs it transposed)`);
  }
  return {
    file,
    format,
    count: layout.count,
    inputShape: shape,
    inputs: values,
    labels: classes.labels,
    numClasses: classes.numClasses,
    notes: [...notes, ...layoutNotes, scaling, ...classes.notes],
  };
}

/**
 * Opens an .npz or .safetensors file holding inputs and labels under paired keys (x/y,
 * inputs/labels, images/labels, data/targets, data/labels, features/labels, case-insensitive,
 * also with a split as in x_test/y_test); the test split is preferred when there are several.
 * A file with input_ids holds token sequences instead (see readTokenDataset); one holding both
 * kinds is refused rather than guessed at.
 */
export async function openKeyedDataset(file: string, format: 'npz' | 'safetensors'): Promise<Dataset> {
  const checkpoint = format === 'npz' ? await openNpz(file) : await openSafetensors(file);
  try {
    const keys = checkpoint.tensors.map((t) => t.name);
    const pairs = findKeyPairs(keys);
    const tokens = findTokenKeys(keys);
    const [chosen, ...others] = pairs;
    if (tokens !== undefined) {
      if (chosen !== undefined) {
        throw new FormatError(file, `holds both token sequences ('${clip(tokens.ids)}') and an inputs/labels pair ('${clip(chosen.inputs)}'/'${clip(chosen.labels)}'); keep one kind of data per file`);
      }
      const used = new Set<string>([tokens.ids, tokens.mask ?? '', tokens.labels ?? '']);
      return await readTokenDataset(checkpoint, tokens, format, keys.filter((k) => !used.has(k)));
    }
    if (chosen === undefined) {
      throw new FormatError(
        file,
        `has no inputs/labels pair of arrays: it holds ${keys.length === 0 ? 'no arrays' : quoteList(keys)}; expected ${EXPECTED_PAIRS}, or token sequences under '${TOKEN_KEYS.ids}'`,
      );
    }
    const notes = [`inputs from '${clip(chosen.inputs)}', labels from '${clip(chosen.labels)}'`];
    if (others.length > 0) {
      notes.push(`other pairs left aside: ${others.map((p) => `'${clip(p.inputs)}'/'${clip(p.labels)}'`).join(', ')} (the test split is preferred, then validation, then unnamed, then train)`);
    }
    return await datasetFromTensors(
      file,
      format,
      { checkpoint, name: chosen.inputs, what: `inputs '${clip(chosen.inputs)}'` },
      { checkpoint, name: chosen.labels, what: `labels '${clip(chosen.labels)}'` },
      notes,
    );
  } finally {
    await checkpoint.close();
  }
}

/** The one array of a .npy file. */
function onlyTensor(checkpoint: Checkpoint): string {
  const [tensor] = checkpoint.tensors;
  ensure(tensor !== undefined, checkpoint.file, 'holds no array');
  return tensor.name;
}

/**
 * Opens a pair of .npy files from either half: the other is found beside it by name (x_test.npy
 * ↔ y_test.npy, images.npy ↔ labels.npy, data.npy ↔ targets.npy or labels.npy, ...).
 */
export async function openNpyDataset(file: string): Promise<Dataset> {
  const partner = npyPartnerNames(basename(file));
  if (partner === undefined) {
    throw new FormatError(file, `is a lone .npy whose name says neither inputs nor labels, so its partner cannot be found; name the pair as ${EXPECTED_PAIRS}, or save both in one .npz`);
  }
  const other = await findSibling(file, partner.candidates);
  if (other === undefined) {
    const missing = partner.role === 'inputs' ? 'labels' : 'inputs';
    throw new FormatError(file, `is taken for the ${partner.role}, but no ${missing} file lies beside it (tried ${quoteList(partner.candidates)})`);
  }
  const [inputsFile, labelsFile] = partner.role === 'inputs' ? [file, other] : [other, file];
  const inputs = await openNpy(inputsFile);
  try {
    const labels = await openNpy(labelsFile);
    try {
      return await datasetFromTensors(
        file,
        'npy',
        { checkpoint: inputs, name: onlyTensor(inputs), what: `inputs (${basename(inputsFile)})` },
        { checkpoint: labels, name: onlyTensor(labels), what: `labels (${basename(labelsFile)})` },
        [`inputs from ${basename(inputsFile)}, labels from ${basename(labelsFile)} (paired by name)`],
      );
    } finally {
      await labels.close();
    }
  } finally {
    await inputs.close();
  }
}
