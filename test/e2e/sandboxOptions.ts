/**
 * What `npm run sandbox [-- FOLDER]` was asked: the folder to open (the user's own checkpoints;
 * none: the demo workspace) and the port. Apart from sandbox.ts so that a unit test can hold it
 * without starting code-server.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';

/** A fixed port by default, so a bookmark keeps working; MERGE_LENS_SANDBOX_PORT=0 takes any free one. */
const DEFAULT_PORT = 8737;

export const SANDBOX_USAGE = 'usage: npm run sandbox [-- FOLDER]   (FOLDER: your checkpoints; without it, the demo workspace)';

export interface SandboxOptions {
  readonly port: number;
  /** An existing folder, absolute; null: the demo workspace. */
  readonly folder: string | null;
}

/**
 * `args` are the arguments after the script's own (npm appends what follows `--`). npm runs the
 * script in the package's folder and says in INIT_CWD where it was invoked: a relative FOLDER is
 * read from there, as the user typed it.
 */
export function sandboxOptions(args: readonly string[], env: NodeJS.ProcessEnv, cwd: string): SandboxOptions {
  const requested = env.MERGE_LENS_SANDBOX_PORT;
  const port = requested === undefined ? DEFAULT_PORT : Number(requested);
  if (requested?.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`MERGE_LENS_SANDBOX_PORT=${requested} is not a port number`);
  const unknown = args.find((arg) => arg.startsWith('-'));
  if (unknown !== undefined) throw new Error(`unknown option ${unknown}; ${SANDBOX_USAGE}`);
  if (args.length > 1) throw new Error(`one folder at most, got ${args.length}; ${SANDBOX_USAGE}`);
  if (args.length === 0) return { port, folder: null };
  const folder = resolve(env.INIT_CWD || cwd, args[0]!);
  let isFolder: boolean;
  try {
    isFolder = statSync(folder).isDirectory();
  } catch {
    throw new Error(`${folder} does not exist; ${SANDBOX_USAGE}`);
  }
  if (!isFolder) throw new Error(`${folder} is not a folder (open the folder that holds your checkpoints); ${SANDBOX_USAGE}`);
  return { port, folder };
}
