/**
 * Which file names the dataset readers recognise. Kept apart from the readers so that the
 * extension host can list dataset files without bundling them; openDataset dispatches on the
 * same rule.
 */

export type DatasetKind = 'npz' | 'npy' | 'safetensors' | 'idx' | 'cifar10';

/** A glob for workspace searches, matching at least every name `datasetKind` recognises. */
export const DATASET_GLOB = '**/{*.npz,*.npy,*.safetensors,*idx[13]*,*-ubyte,*-ubyte.gz,data_batch_*.bin,test_batch.bin}';

/** The dataset reader a file's name asks for, whatever its case; undefined when it says nothing. */
export function datasetKind(path: string): DatasetKind | undefined {
  const name = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1).toLowerCase();
  if (name.endsWith('.npz')) return 'npz';
  if (name.endsWith('.npy')) return 'npy';
  if (name.endsWith('.safetensors')) return 'safetensors';
  if (/idx[13]/.test(name) || /-ubyte(\.gz)?$/.test(name)) return 'idx';
  if (/^(data_batch_\d+|test_batch)\.bin$/.test(name)) return 'cifar10';
  return undefined;
}
