import { parse } from 'node:path';
import { openFileSource } from '../../io/byteSource';
import { StoredCheckpoint } from '../../tensors/storedTensor';
import type { Checkpoint } from '../checkpoint';
import { npyTensor } from './npyTensor';

/** A NumPy .npy file: one array, named after the file's stem. */
export async function openNpy(file: string): Promise<Checkpoint> {
  const source = await openFileSource(file);
  try {
    const { tensor, header } = await npyTensor(source, parse(file).name);
    return new StoredCheckpoint(
      file,
      'npy',
      [tensor],
      { 'npy version': header.version, descr: header.descr, fortran_order: header.fortranOrder ? 'True' : 'False' },
      [],
      [source],
    );
  } catch (error) {
    await source.close();
    throw error;
  }
}
