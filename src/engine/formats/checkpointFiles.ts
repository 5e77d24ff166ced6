/**
 * Which file names the checkpoint readers accept. Kept apart from the readers so that the
 * extension host can filter files without bundling them.
 */

/** A glob for workspace searches; `isCheckpointName` then narrows the JSON files. */
export const CHECKPOINT_GLOB = '**/*.{safetensors,pt,pth,bin,ckpt,npz,npy,json}';

/** Whether a file name is one any reader supports (JSON only as model.json or a safetensors index). */
export function isCheckpointName(name: string): boolean {
  const lower = name.toLowerCase();
  if (lower.endsWith('.json')) return lower.endsWith('model.json') || lower.endsWith('.safetensors.index.json');
  return /\.(safetensors|pt|pth|bin|ckpt|npz|npy)$/.test(lower);
}
