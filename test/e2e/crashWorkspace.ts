/**
 * The workspace of the crash scenario: its settings hold each job's worker to 64 MB, and it has a
 * checkpoint whose header alone needs more than that to read, a pair whose comparison would need
 * more than that (refused before any tensor is read), and a small PyTorch checkpoint for the job
 * that must work after both.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './codeServer';
import { writeSparseSafetensors } from '../helpers/writeSafetensors';

export const CRASH_FILES = {
  /** 300,000 one-value tensors: a 24 MB header that a 64 MB heap cannot parse and list (about a second to run out). */
  manyTensors: 'many-tensors.safetensors',
  /** 784-4096-4096-10 MLPs, zeros in sparse files (80 MB each): their comparison needs about 715 MB. */
  wide: { a: 'wide-a.safetensors', b: 'wide-b.safetensors' },
  small: 'mlp.pt',
} as const;

export const CRASH_MEMORY_MB = 64;

export function makeCrashWorkspace(folder: string): string {
  mkdirSync(join(folder, '.vscode'), { recursive: true });
  writeFileSync(join(folder, '.vscode', 'settings.json'), JSON.stringify({ 'mergeLens.workerMemoryMb': CRASH_MEMORY_MB }, null, 2));
  writeSparseSafetensors(
    join(folder, CRASH_FILES.manyTensors),
    Array.from({ length: 300_000 }, (_, i) => ({ name: `layers.${i}.weight`, dtype: 'F32', shape: [1], bytes: 4 })),
  );
  const sizes = [784, 4096, 4096, 10];
  const layers = sizes.slice(1).map((out, l) => ({ name: `layers.${l}.weight`, dtype: 'F32', shape: [out, sizes[l]!], bytes: 4 * out * sizes[l]! }));
  for (const name of Object.values(CRASH_FILES.wide)) writeSparseSafetensors(join(folder, name), layers);
  copyFileSync(join(repoRoot, 'test', 'fixtures', 'pytorch', 'mlp.pt'), join(folder, CRASH_FILES.small));
  return folder;
}
