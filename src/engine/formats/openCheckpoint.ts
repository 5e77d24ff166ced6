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

/** Chooses the reader by the file's first bytes, falling back on its name where bytes cannot tell. */
function chooseReader(file: string, head: Uint8Array): Opener | undefined {
  const lower = file.toLowerCase();
  const ascii = String.fromCharCode(...head.subarray(0, 8));
  if (ascii.startsWith('\x93NUMPY')) return openNpy;
  if (ascii.startsWith('PK')) return lower.endsWith('.npz') ? openNpz : openPytorch;
  if (head[0] === 0x80) return openPytorch; // a bare pickle: the legacy torch.save format, which the reader explains
  const firstText = ascii.trimStart()[0];
  if (firstText === '{') return lower.endsWith('.safetensors.index.json') ? openShardedSafetensors : openTfjs;
  // safetensors: a little-endian u64 header length, then the JSON header's '{'.
  if (head.length > 8 && head[8] === 0x7b && head[6] === 0 && head[7] === 0) return openSafetensors;
  if (lower.endsWith('.safetensors')) return openSafetensors;
  return undefined;
}

/** Opens any supported checkpoint: safetensors (single or sharded), PyTorch, NumPy, TensorFlow.js. */
export async function openCheckpoint(file: string): Promise<Checkpoint> {
  const source = await openFileSource(file);
  let head: Uint8Array;
  try {
    head = await source.read(0, Math.min(16, source.size));
  } finally {
    await source.close();
  }
  const open = chooseReader(file, head);
  if (!open) {
    throw new FormatError(
      file,
      'is not a checkpoint format Merge Lens reads (safetensors, PyTorch .pt/.pth/.bin/.ckpt, NumPy .npy/.npz, TensorFlow.js model.json)',
    );
  }
  return open(file);
}
