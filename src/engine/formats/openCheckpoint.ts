import { CHECKPOINT_FORMATS_PROSE, checkpointFormatOfName, type CheckpointFormatId } from '../../shared/checkpointFormats';
import { openFileSource } from '../io/byteSource';
import { FormatError } from '../io/formatError';
import type { Checkpoint } from './checkpoint';
import { openNpy } from './numpy/openNpy';
import { openNpz } from './numpy/openNpz';
import { openPytorch } from './pytorch/openPytorch';
import { openSafetensors } from './safetensors/openSafetensors';
import { openShardedSafetensors } from './safetensors/openShardedSafetensors';
import { openTfjs } from './tfjs/openTfjs';

type Opener = (file: string) => Promise<Checkpoint>;

/** One reader per format of the registry: a format listed there without a reader here does not compile. */
const OPENERS: Readonly<Record<CheckpointFormatId, Opener>> = {
  safetensors: openSafetensors,
  'safetensors-sharded': openShardedSafetensors,
  pytorch: openPytorch,
  npz: openNpz,
  npy: openNpy,
  tfjs: openTfjs,
};

/** Chooses the format by the file's first bytes, falling back on its name where bytes cannot tell. */
function chooseFormat(file: string, head: Uint8Array): CheckpointFormatId | undefined {
  const named = checkpointFormatOfName(file);
  const ascii = String.fromCharCode(...head.subarray(0, 8));
  if (ascii.startsWith('\x93NUMPY')) return 'npy';
  if (ascii.startsWith('PK')) return named === 'npz' ? 'npz' : 'pytorch';
  if (head[0] === 0x80) return 'pytorch'; // a bare pickle: the legacy torch.save format, which the reader explains
  const firstText = ascii.trimStart()[0];
  if (firstText === '{') return named === 'safetensors-sharded' ? 'safetensors-sharded' : 'tfjs';
  // safetensors: a little-endian u64 header length, then the JSON header's '{'.
  if (head.length > 8 && head[8] === 0x7b && head[6] === 0 && head[7] === 0) return 'safetensors';
  if (named === 'safetensors') return 'safetensors';
  return undefined;
}

/** Opens any checkpoint of a format in src/shared/checkpointFormats.ts. */
export async function openCheckpoint(file: string): Promise<Checkpoint> {
  const source = await openFileSource(file);
  let head: Uint8Array;
  try {
    head = await source.read(0, Math.min(16, source.size));
  } finally {
    await source.close();
  }
  const format = chooseFormat(file, head);
  if (!format) throw new FormatError(file, `is not a checkpoint format Merge Lens reads: ${CHECKPOINT_FORMATS_PROSE}`);
  return OPENERS[format](file);
}
