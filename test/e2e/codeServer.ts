/**
 * A real VS Code for the end-to-end tests and the sandbox: code-server on loopback, its config,
 * user data, extensions and XDG folders all in one temporary folder (nothing lands in the home
 * folder), the VSIX installed the way a user installs it. Torn down by killing its process group.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot as findRepoRoot } from '../helpers/paths';

export const repoRoot = findRepoRoot();

export interface CodeServerOptions {
  /** The code-server entry script (installCodeServer.mjs prints it). */
  readonly bin: string;
  /** The VSIX to install first; none: only what `extensionDevelopmentPath` loads. */
  readonly vsix?: string;
  /** Port on 127.0.0.1; 0 or none: a free one. */
  readonly port?: number;
  /** User settings (settings.json). */
  readonly settings?: Record<string, unknown>;
  /** Where the temporary folder goes (default: the OS temp folder). */
  readonly parent?: string;
  /** Extra environment for code-server and so its extension host. */
  readonly env?: Record<string, string>;
  /** Lines of code-server's output (default: kept in `log`, echoed when MERGE_LENS_E2E_VERBOSE is set). */
  readonly onOutput?: (line: string) => void;
}

export interface CodeServer {
  readonly url: string;
  readonly port: number;
  /** The temporary folder holding config, user data and extensions. */
  readonly dir: string;
  /** Where the VSIX was unpacked by --install-extension (undefined without a VSIX). */
  readonly installedExtension: string | undefined;
  /** Everything code-server printed. */
  readonly log: string[];
  /** `/?folder=…` for a workspace folder, with extra query parameters. */
  urlFor(folder: string, query?: Record<string, string>): string;
  /** Kills the process group and removes the temporary folder. Safe to call twice. */
  stop(): Promise<void>;
}

/** Settings that keep the workbench quiet and predictable for a test: no welcome page, no tips. */
export const QUIET_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  'chat.commandCenter.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'window.commandCenter': false,
};

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Every running code-server and its temporary folder: both must go when this process does, however it ends. */
const live = new Map<ChildProcess, string>();

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // gone already
    }
  }
}

function killAll(): void {
  for (const [child, dir] of live) {
    killGroup(child, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
  live.clear();
}

let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

function layout(dir: string) {
  return {
    config: join(dir, 'config.yaml'),
    userData: join(dir, 'user-data'),
    extensions: join(dir, 'extensions'),
    xdg: { XDG_CONFIG_HOME: join(dir, 'xdg', 'config'), XDG_DATA_HOME: join(dir, 'xdg', 'data'), XDG_CACHE_HOME: join(dir, 'xdg', 'cache'), XDG_STATE_HOME: join(dir, 'xdg', 'state') },
  };
}

function baseEnv(dir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { xdg } = layout(dir);
  for (const folder of Object.values(xdg)) mkdirSync(folder, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, ...xdg, ...extra };
  // code-server reads these; none may leak in from the calling shell.
  delete env.PASSWORD;
  delete env.HASHED_PASSWORD;
  delete env.VSCODE_PROXY_URI;
  delete env.ELECTRON_RUN_AS_NODE;
  delete env.NODE_OPTIONS;
  return env;
}

/** `code-server --install-extension VSIX` into `dir`'s extensions folder; returns the unpacked folder. */
export function installVsix(bin: string, dir: string, vsix: string): string {
  const { config, userData, extensions } = layout(dir);
  const result = spawnSync(
    process.execPath,
    [bin, '--config', config, '--user-data-dir', userData, '--extensions-dir', extensions, '--install-extension', vsix, '--force'],
    { env: baseEnv(dir), encoding: 'utf8', timeout: 120_000 },
  );
  if (result.status !== 0) {
    throw new Error(`code-server --install-extension ${vsix} failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`);
  }
  const folder = readdirSync(extensions).find((name) => name.startsWith('merge-lens.merge-lens-'));
  if (!folder) throw new Error(`--install-extension succeeded but no merge-lens folder in ${extensions}:\n${result.stdout}`);
  return join(extensions, folder);
}

export async function startCodeServer(options: CodeServerOptions): Promise<CodeServer> {
  hookExit();
  const dir = mkdtempSync(join(options.parent ?? tmpdir(), 'merge-lens-code-server-'));
  const { config, userData, extensions } = layout(dir);
  mkdirSync(join(userData, 'User'), { recursive: true });
  mkdirSync(extensions, { recursive: true });
  writeFileSync(config, 'auth: none\ncert: false\n');
  writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify({ ...QUIET_SETTINGS, ...options.settings }, null, 2));

  let child: ChildProcess | undefined;
  const log: string[] = [];
  const stop = async () => {
    if (child) {
      const exited = new Promise<void>((done) => {
        if (child!.exitCode !== null || child!.signalCode !== null) done();
        else child!.once('exit', () => done());
      });
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => child && killGroup(child, 'SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
      // The group may hold more (the extension host, its workers): make sure of them too.
      killGroup(child, 'SIGKILL');
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // the whole group is gone
      }
      live.delete(child);
      child = undefined;
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const installedExtension = options.vsix ? installVsix(options.bin, dir, options.vsix) : undefined;
    const port = options.port || (await freePort());
    child = spawn(
      process.execPath,
      [
        options.bin,
        '--bind-addr', `127.0.0.1:${port}`,
        '--auth', 'none',
        '--disable-telemetry',
        '--disable-update-check',
        '--disable-workspace-trust',
        '--disable-getting-started-override',
        '--config', config,
        '--user-data-dir', userData,
        '--extensions-dir', extensions,
      ],
      // Its own process group, so that stop() reaches the extension host and its workers too.
      { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: baseEnv(dir, options.env) },
    );
    live.set(child, dir);
    const echo = options.onOutput ?? ((line: string) => process.env.MERGE_LENS_E2E_VERBOSE && process.stderr.write(`[code-server] ${line}\n`));
    await new Promise<void>((ready, failed) => {
      const timer = setTimeout(() => failed(new Error(`code-server did not listen on 127.0.0.1:${port} within 60 s:\n${log.join('\n')}`)), 60_000);
      const onData = (chunk: Buffer) => {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
          log.push(line);
          echo(line);
          if (line.includes('HTTP server listening on')) {
            clearTimeout(timer);
            ready();
          }
        }
      };
      child!.stdout!.on('data', onData);
      child!.stderr!.on('data', onData);
      child!.once('exit', (code, signal) => {
        clearTimeout(timer);
        failed(new Error(`code-server exited (${code ?? signal}) before listening:\n${log.join('\n')}`));
      });
    });
    const url = `http://127.0.0.1:${port}`;
    return {
      url,
      port,
      dir,
      installedExtension,
      log,
      urlFor: (folder, query = {}) => `${url}/?${new URLSearchParams({ folder, ...query }).toString()}`,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
