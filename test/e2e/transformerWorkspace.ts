/**
 * The workspace of the transformer scenario: the two tiny GPT-2 fixtures with the config.json
 * that gives their head count, and their token data. Its settings keep the comparison to two
 * methods, five α and 64 samples, so the scenario adds seconds, not minutes.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './codeServer';

export const TRANSFORMER_FILES = { a: 'gpt2_a.pt', b: 'gpt2_b.pt', data: 'modadd_eval.npz' } as const;

export function makeTransformerWorkspace(folder: string): string {
  mkdirSync(join(folder, '.vscode'), { recursive: true });
  writeFileSync(
    join(folder, '.vscode', 'settings.json'),
    JSON.stringify({ 'mergeLens.methods': ['naive', 'weight'], 'mergeLens.alphas': 5, 'mergeLens.maxSamples': 64 }, null, 2),
  );
  const fixtures = join(repoRoot, 'test', 'fixtures', 'transformers');
  for (const name of [TRANSFORMER_FILES.a, TRANSFORMER_FILES.b, 'config.json']) copyFileSync(join(fixtures, 'gpt2', name), join(folder, name));
  copyFileSync(join(fixtures, TRANSFORMER_FILES.data), join(folder, TRANSFORMER_FILES.data));
  return folder;
}
