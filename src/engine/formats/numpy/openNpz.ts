import { openFileSource } from '../../io/byteSource';
import { clip, ensure } from '../../io/formatError';
import { looksLikeZip, openZip } from '../../io/zip';
import { StoredCheckpoint, type StoredTensor } from '../../tensors/storedTensor';
import type { Checkpoint } from '../checkpoint';
import { npyTensor } from './npyTensor';

/**
 * A NumPy .npz archive (np.savez or np.savez_compressed): each member NAME.npy is the tensor
 * NAME, in archive order. Other members are left out, with a note.
 */
export async function openNpz(file: string): Promise<Checkpoint> {
  const source = await openFileSource(file);
  try {
    ensure(looksLikeZip(await source.read(0, Math.min(4, source.size))), file, 'is not a zip archive, which an .npz file must be');
    const archive = await openZip(source);
    const tensors: StoredTensor[] = [];
    const notes: string[] = [];
    for (const entry of archive.entries) {
      if (!entry.name.endsWith('.npy')) {
        if (!entry.name.endsWith('/')) notes.push(`member '${clip(entry.name)}' is not a .npy array and was left out`);
        continue;
      }
      const member = await archive.open(entry);
      const { tensor } = await npyTensor(member, entry.name.slice(0, -'.npy'.length), `member '${clip(entry.name)}': `);
      tensors.push(tensor);
    }
    const compressed = archive.entries.filter((e) => e.method === 'deflated').length;
    const metadata = { members: String(archive.entries.length), compressed: String(compressed) };
    return new StoredCheckpoint(file, 'npz', tensors, metadata, notes, [source]);
  } catch (error) {
    await source.close();
    throw error;
  }
}
