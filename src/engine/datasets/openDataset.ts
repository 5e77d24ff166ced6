import { openFileSource } from '../io/byteSource';
import { FormatError } from '../io/formatError';
import type { Dataset } from './dataset';
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

/** The reader a file's first bytes ask for, when its name says nothing. */
function readerByMagic(head: Uint8Array): Opener | undefined {
  const ascii = String.fromCharCode(...head.subarray(0, 6));
  if (ascii === '\x93NUMPY') return openNpyDataset;
  if (ascii.startsWith('PK\x03\x04')) return openNpz;
  // IDX: two zero bytes, a known type byte, a rank byte.
  if (head.length >= 4 && head[0] === 0 && head[1] === 0 && [0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e].includes(head[2]!) && head[3]! > 0) {
    return openIdxDataset;
  }
  // safetensors: a little-endian u64 header length (far below 2^48), then the JSON header's '{'.
  if (head.length > 8 && head[6] === 0 && head[7] === 0 && head[8] === 0x7b) return openSafetensorsDataset;
  return undefined;
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
      open = readerByMagic(await source.read(0, Math.min(16, source.size)));
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

/** One line: "10000 examples, input 1×28×28, 10 classes (mnist-idx)". */
export function describeDataset(d: Dataset): string {
  const examples = `${d.count} example${d.count === 1 ? '' : 's'}`;
  const classes = `${d.numClasses} class${d.numClasses === 1 ? '' : 'es'}`;
  return `${examples}, input ${d.inputShape.join('×')}, ${classes} (${d.format})`;
}
