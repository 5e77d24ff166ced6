import { existsSync } from 'node:fs';

/** The description files looked for beside a checkpoint: `model.pt.arch.json`, then `model.arch.json`. */
export function descriptionCandidates(file: string): string[] {
  const stem = file.replace(/\.[^./\\]+$/, '');
  return [...new Set([`${file}.arch.json`, `${stem}.arch.json`])];
}

/** The description file beside a checkpoint that its network is read by, or null: then it is inferred. */
export function descriptionBeside(file: string): string | null {
  return descriptionCandidates(file).find((candidate) => existsSync(candidate)) ?? null;
}
