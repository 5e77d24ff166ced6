import { contentEvidence } from '../formats/contentFormat';
import { openFileSource, type ByteSource } from '../io/byteSource';
import { FormatError } from '../io/formatError';
import { describeData } from '../../shared/presentation/describeData';
import { scoredCount, type Dataset } from './dataset';
import { datasetKind, type DatasetKind } from './datasetFiles';
import { openCifar10 } from './openCifar10';
import { openIdxDataset } from './openIdxDataset';
import { openKeyedDataset, openNpyDataset } from './tensorDatasets';

type Opener = (file: string) => Promise<Dataset>;

const openNpz: Opener = (file) => openKeyedDataset(file, 'npz');
const openSafetensorsDataset: Opener = (file) => openKeyedDataset(file, 'safetensors');

const readers: Record<DatasetKind, Opener> = {
  npz: openNpz,
  npy: openNpyDataset,
  safetensors: openSafetensorsDataset,
  idx: openIdxDataset,
  cifar10: openCifar10,
};

/** IDX: two zero bytes, a known type byte, a rank byte (contentEvidence knows checkpoint formats only). */
function looksLikeIdx(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0 && head[1] === 0 && [0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e].includes(head[2]!) && head[3]! > 0;
}

/**
 * The reader a file's bytes ask for, when its name says nothing. The safetensors, NumPy and zip
 * checks are contentEvidence's (the one owner of what bytes say); a zip archive among datasets can
 * only be an .npz. Strong evidence comes before the IDX check, weak safetensors evidence after it,
 * so that the safetensors reader explains a damaged header.
 */
async function readerByContent(source: ByteSource): Promise<Opener | undefined> {
  const evidence = await contentEvidence(source, 'npz');
  if (evidence?.strong) {
    if (evidence.format === 'safetensors') return openSafetensorsDataset;
    if (evidence.format === 'npy') return openNpyDataset;
    if (evidence.format === 'npz') return openNpz;
  }
  if (looksLikeIdx(await source.read(0, Math.min(4, source.size)))) return openIdxDataset;
  return evidence?.format === 'safetensors' ? openSafetensorsDataset : undefined;
}

/**
 * Opens evaluation data: NumPy .npz / .npy, safetensors, MNIST IDX (plain or gzipped) or a
 * CIFAR-10 binary batch, chosen by the file's name and, failing that, its first bytes. The
 * result is all in memory; every decision the reader took is in `notes`.
 */
export async function openDataset(file: string): Promise<Dataset> {
  const kind = datasetKind(file);
  let open = kind === undefined ? undefined : readers[kind];
  if (open === undefined) {
    const source = await openFileSource(file);
    try {
      open = await readerByContent(source);
    } finally {
      await source.close();
    }
  }
  if (open === undefined) {
    throw new FormatError(
      file,
      'is not a dataset format Merge Lens reads (NumPy .npz/.npy, safetensors, MNIST IDX *-images-idx3-ubyte / *-labels-idx1-ubyte, CIFAR-10 data_batch_N.bin / test_batch.bin)',
    );
  }
  return open(file);
}

/** One line: "10000 examples, input 1×28×28, 10 classes (mnist-idx)", or "256 sequences of 4 tokens, 256 positions scored, ids below 32 (npz)". */
export function describeDataset(d: Dataset): string {
  const scored = d.sequence ? { scoredPositions: scoredCount(d.labels) } : {};
  return `${describeData({ count: d.count, inputShape: d.inputShape, numClasses: d.numClasses, ...scored })} (${d.format})`;
}
