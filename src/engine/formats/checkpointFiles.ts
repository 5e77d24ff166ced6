/**
 * Which file names the checkpoint readers accept. Kept apart from the readers so that the
 * extension host can filter files without bundling them. package.json's explorer-menu `when`
 * clause states the same rule as a regular expression: change both together.
 */

/** A glob for workspace searches, matching exactly the names `isCheckpointName` accepts. */
export const CHECKPOINT_GLOB = '**/{*.safetensors,*.pt,*.pth,*.bin,*.ckpt,*.npz,*.npy,model.json,*.safetensors.index.json}';

/** Whether a file name (or path) is one a checkpoint reader supports, whatever its case. */
export function isCheckpointName(path: string): boolean {
  const name = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1).toLowerCase();
  return name === 'model.json' || /\.(safetensors|pt|pth|bin|ckpt|npz|npy)$/.test(name) || name.endsWith('.safetensors.index.json');
}
