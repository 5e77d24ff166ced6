import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './paths';

/** Runs the built merge-lens command line (bin/merge-lens.js) to its end: exit status, stdout, stderr. */
export function cli(args: readonly string[], options: { readonly cwd?: string; readonly timeoutMs?: number } = {}) {
  const run = spawnSync(process.execPath, [join(repoRoot(), 'bin', 'merge-lens.js'), ...args], {
    encoding: 'utf8',
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}
