/**
 * What every end-to-end run needs before a workbench opens: code-server installed (once, into its
 * cache) and the VSIX that `npm run package` wrote, so the tests run exactly what users install.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureCodeServer } from './installCodeServer';
import { repoRoot } from '../helpers/paths';

export function codeServerBin(): string {
  return ensureCodeServer();
}

/** merge-lens-VERSION.vsix at the repository root; missing: say which command makes it. */
export function packagedVsix(): string {
  const { version } = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { version: string };
  const vsix = join(repoRoot(), `merge-lens-${version}.vsix`);
  if (!existsSync(vsix)) throw new Error(`${vsix} is missing: run \`npm run package\` first (npm run test:e2e does)`);
  return vsix;
}
