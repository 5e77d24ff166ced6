// Installs code-server (a real VS Code, served to a browser) into a cache folder of its own, never
// into the project's lock file: `npm ci` stays quick for everyone, and the e2e tests and
// `npm run sandbox` share one install. Idempotent: a second run with the same version does nothing.
//
//   node dist/e2e/installCodeServer.js          installs if needed, prints the entry script's path
//
// What makes it install on a machine without VS Code downloads (see the README):
// - npm_config_unsafe_perm: code-server's postinstall refuses to run as root otherwise;
// - npm_config_yes: node-pty's postinstall runs `npx node-gyp`;
// - npm_config_nodedir=/usr: build node-pty against the local Node headers (no header download);
// - Debian's libkrb5-dev: the kerberos module's build;
// - @vscode/ripgrep's download replaced by seeding its cache with Debian's /usr/bin/rg.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { repoRoot } from '../helpers/paths';

export const CODE_SERVER_VERSION = '4.100.3';
const RIPGREP_CACHE = 'vscode-ripgrep-cache-1.15.11';
const RIPGREP_ASSET = 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz';

export const installDir = process.env.MERGE_LENS_CODE_SERVER_DIR ?? join(repoRoot(), '.merge-lens-tmp', 'code-server', CODE_SERVER_VERSION);
export const codeServerBin = join(installDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');

function log(message: string): void {
  process.stderr.write(`[code-server] ${message}\n`);
}

function installedVersion(): string | undefined {
  try {
    const manifest = JSON.parse(readFileSync(join(installDir, 'node_modules', 'code-server', 'package.json'), 'utf8')) as { version: string };
    // The install is complete only once the marker is written (after npm succeeded).
    return existsSync(join(installDir, '.complete')) ? manifest.version : undefined;
  } catch {
    return undefined;
  }
}

function missingDebianPackages(): string[] {
  const missing: string[] = [];
  if (!existsSync('/usr/bin/rg')) missing.push('ripgrep');
  for (const [tool, pkg] of [['krb5-config', 'libkrb5-dev'], ['make', 'make'], ['g++', 'g++'], ['python3', 'python3']] as const) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) missing.push(pkg);
  }
  return missing;
}

/** Seeds @vscode/ripgrep's download cache with Debian's rg, so its postinstall never downloads. */
function seedRipgrep(): void {
  const cacheDir = join(process.env.TMPDIR || tmpdir(), RIPGREP_CACHE);
  const asset = join(cacheDir, RIPGREP_ASSET);
  if (existsSync(asset)) return;
  mkdirSync(cacheDir, { recursive: true });
  const stage = mkdtempSync(join(tmpdir(), 'merge-lens-rg-'));
  try {
    copyFileSync('/usr/bin/rg', join(stage, 'rg'));
    execFileSync('tar', ['-czf', `${asset}.partial`, '-C', stage, 'rg']);
    renameSync(`${asset}.partial`, asset);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

export function ensureCodeServer(): string {
  if (installedVersion() === CODE_SERVER_VERSION) return codeServerBin;
  const missing = missingDebianPackages();
  if (missing.length) {
    throw new Error(`code-server needs Debian packages that are missing: ${missing.join(' ')} (apt-get install -y ${missing.join(' ')})`);
  }
  seedRipgrep();
  log(`installing code-server@${CODE_SERVER_VERSION} into ${installDir} (about a minute)`);
  const started = Date.now();
  rmSync(installDir, { recursive: true, force: true });
  mkdirSync(installDir, { recursive: true });
  // A package.json of its own, so npm never walks up to the project's.
  writeFileSync(join(installDir, 'package.json'), JSON.stringify({ name: 'merge-lens-code-server', private: true }, null, 2));
  const result = spawnSync(
    'npm',
    ['install', '--no-audit', '--no-fund', '--no-save', '--loglevel=error', `code-server@${CODE_SERVER_VERSION}`],
    {
      cwd: installDir,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: {
        ...process.env,
        npm_config_unsafe_perm: 'true',
        npm_config_yes: 'true',
        npm_config_nodedir: process.env.npm_config_nodedir || '/usr',
        npm_config_ignore_scripts: 'false',
        npm_config_update_notifier: 'false',
      },
    },
  );
  if (result.status !== 0) throw new Error(`npm install code-server@${CODE_SERVER_VERSION} failed (exit status ${result.status})`);
  if (!existsSync(codeServerBin)) throw new Error(`code-server installed but ${codeServerBin} is missing`);
  writeFileSync(join(installDir, '.complete'), `${CODE_SERVER_VERSION}\n`);
  log(`installed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return codeServerBin;
}

// Bundled into the scenarios and the sandbox too: only its own bundle's command line installs and prints.
if (basename(process.argv[1] ?? '') === 'installCodeServer.js') {
  try {
    process.stdout.write(`${ensureCodeServer()}\n`);
  } catch (error) {
    log(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}
