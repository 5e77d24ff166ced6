import { randomBytes } from 'node:crypto';
import { lstat, open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { WriteError } from './writeError';

export interface AtomicWriteOptions {
  /** Replace `file` if it exists; without it an existing file is an error and is left alone. */
  readonly overwrite?: boolean;
}

async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

function refusal(file: string): WriteError {
  return new WriteError(file, 'already exists; choose another name or allow overwriting');
}

/**
 * The refusal writeAtomically would make, made now: a caller with minutes of work before the
 * write checks first, so an existing output costs no time.
 */
export async function refuseExisting(file: string, options: AtomicWriteOptions): Promise<void> {
  if (!options.overwrite && (await exists(file))) throw refusal(file);
}

function describe(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  if (code === 'ENOENT') return 'its folder does not exist';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOSPC') return 'the disk is full';
  return message;
}

/** Every temporary file this process makes for `file` starts so. */
function temporaryPrefix(file: string): string {
  return `.${basename(file)}.${process.pid}-`;
}

/**
 * Removes the temporary files this process left for `file`: a worker thread terminated in the
 * middle of a write (a cancelled export) cannot clean up after itself, so whoever terminated it
 * does. Worker threads share the process id, so the host finds its workers' files.
 */
export async function removeLeftoverTemporaries(file: string): Promise<void> {
  const prefix = temporaryPrefix(file);
  const names = await readdir(dirname(file)).catch(() => [] as string[]);
  await Promise.all(
    names.filter((name) => name.startsWith(prefix) && /^[0-9a-f]{8}\.tmp$/.test(name.slice(prefix.length))).map((name) => rm(join(dirname(file), name), { force: true })),
  );
}

/**
 * Writes `file` through `write`, which fills a temporary file in the same folder; the temporary
 * file is renamed over `file` only once it is complete and flushed, so a reader never sees a
 * half-written output, and on any error it is removed, leaving the folder as it was.
 */
export async function writeAtomically(
  file: string,
  options: AtomicWriteOptions,
  write: (handle: FileHandle) => Promise<void>,
): Promise<void> {
  await refuseExisting(file, options);

  // Same folder, so the final rename never crosses file systems; hidden, so it does not show as
  // a result while it is being written.
  const temp = join(dirname(file), `${temporaryPrefix(file)}${randomBytes(4).toString('hex')}.tmp`);
  let handle: FileHandle;
  try {
    handle = await open(temp, 'wx');
  } catch (error) {
    throw new WriteError(file, `cannot be written: ${describe(error)}`);
  }
  try {
    try {
      await write(handle);
      await handle.sync();
    } finally {
      await handle.close();
    }
    // Checked again at the end: the file may have appeared while this one was being written.
    await refuseExisting(file, options);
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    // System errors (disk full, permission) are the user's to fix; anything else is a bug and keeps its trace.
    if (typeof (error as NodeJS.ErrnoException).code === 'string') {
      throw new WriteError(file, `could not be written: ${describe(error)}`);
    }
    throw error;
  }
}
