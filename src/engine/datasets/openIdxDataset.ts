import { basename } from 'node:path';
import { FormatError } from '../io/formatError';
import { toClassLabels } from './classLabels';
import type { Dataset } from './dataset';
import { ensureLabelBytes, ensureSameCount, exampleLayout, type ExampleLayout } from './datasetChecks';
import { decodeIdx, readIdx } from './idxFile';
import { scaleInputs } from './inputScaling';
import { findSibling, quoteList } from './siblingFiles';

type Role = 'images' | 'labels';

/** Which half of the pair a file is, by its name (MNIST and its kin name both halves alike). */
function roleByName(name: string): Role | undefined {
  const lower = name.toLowerCase();
  if (/images|idx3/.test(lower)) return 'images';
  if (/labels|idx1/.test(lower)) return 'labels';
  return undefined;
}

/**
 * The names the other half of the pair may have: images ↔ labels and idx3 ↔ idx1 swapped,
 * with either separator before "idx" (train-images-idx3-ubyte, train-images.idx3-ubyte) and
 * with or without ".gz".
 */
export function idxPartnerNames(name: string, role: Role): string[] {
  const gz = /\.gz$/i.test(name);
  const stem = gz ? name.slice(0, -3) : name;
  const swapped = role === 'images'
    ? stem.replace(/images/i, 'labels').replace(/idx3/i, 'idx1')
    : stem.replace(/labels/i, 'images').replace(/idx1/i, 'idx3');
  if (swapped === stem) return [];
  const otherSeparator = swapped.replace(/([-.])(idx\d)/i, (_, sep: string, idx: string) => (sep === '-' ? '.' : '-') + idx);
  const stems = [...new Set([swapped, otherSeparator])];
  const suffixes = gz ? ['.gz', ''] : ['', '.gz'];
  return suffixes.flatMap((suffix) => stems.map((s) => s + suffix));
}

/** IDX images [n, H, W] gain a channel axis ([1, H, W]), as torchvision's MNIST gives them. */
function imageLayout(file: string, dims: readonly number[]): ExampleLayout {
  if (dims.length !== 3) return exampleLayout(file, 'images', dims);
  const [n, h, w] = dims as [number, number, number];
  const layout = exampleLayout(file, 'images', [n, 1, h, w]);
  return { ...layout, notes: [...layout.notes, `images [${n}, ${h}, ${w}] read as [${n}, 1, ${h}, ${w}] (one channel)`] };
}

/**
 * Opens an MNIST-style pair of IDX files (images idx3, labels idx1, plain or gzipped) from either
 * half; the other half is found by name in the same folder.
 */
export async function openIdxDataset(file: string): Promise<Dataset> {
  const name = basename(file);
  const role = roleByName(name);
  if (role === undefined) {
    throw new FormatError(file, "cannot tell from its name whether it holds images or labels; IDX files pair by name, as train-images-idx3-ubyte with train-labels-idx1-ubyte");
  }
  const candidates = idxPartnerNames(name, role);
  const partner = await findSibling(file, candidates);
  if (partner === undefined) {
    const other = role === 'images' ? 'labels' : 'images';
    throw new FormatError(file, `holds IDX ${role}, but no ${other} file lies beside it (tried ${quoteList(candidates)})`);
  }
  const [imagesFile, labelsFile] = role === 'images' ? [file, partner] : [partner, file];

  // Labels first: they are small, and their count must match what the images declare.
  const labelArray = await readIdx(labelsFile, (header) => ensureLabelBytes(labelsFile, 'labels', header.dataBytes));
  const labelCount = labelArray.dims[0]!;
  let layout: ExampleLayout | undefined;
  const imageArray = await readIdx(imagesFile, (header) => {
    layout = imageLayout(imagesFile, header.dims);
    ensureSameCount(file, layout.count, labelCount);
  });
  const { count, inputShape, size, notes: layoutNotes } = layout!;
  const inputs = decodeIdx(imageArray, new Float32Array(count * size));
  const scaling = scaleInputs(imageArray.dtype, inputs, 'images');
  const { labels, numClasses, notes: labelNotes } = toClassLabels(
    labelsFile,
    'labels',
    labelArray.dims,
    decodeIdx(labelArray, new Float64Array(labelArray.elements)),
  );
  return {
    file,
    format: 'mnist-idx',
    count,
    inputShape,
    inputs,
    labels,
    numClasses,
    notes: [
      `images from ${basename(imagesFile)}, labels from ${basename(labelsFile)} (paired by name)`,
      ...layoutNotes,
      scaling,
      ...labelNotes,
    ],
  };
}
