/**
 * Debian's chromium, the only browser the tests drive (never one playwright downloads), and the
 * flags that keep it headless, offline and quiet in a container running as root.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * playwright-core, loaded from node_modules at run time rather than bundled into a test: it
 * resolves its own files (and optional modules) relative to itself, which a bundle breaks.
 */
export function playwright(): typeof import('playwright-core') {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: the browser tests need Debian's chromium (apt-get install chromium)`);
  return createRequire(__filename)('playwright-core') as typeof import('playwright-core');
}
