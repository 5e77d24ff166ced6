import { constants, type Stats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { FormatError } from './formatError';

/**
 * Random access to the bytes of one file (or of a part of one, or of several shards laid end to
 * end). Readers parse headers through it and fetch a tensor's bytes only when asked, so a
 * multi-gigabyte checkpoint is never read whole.
 */
export interface ByteSource {
  /** The file the bytes come from, for error messages. */
  readonly file: string;
  readonly size: number;
  /** Exactly `length` bytes from `offset`; a FormatError if that runs past the end. */
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Node refuses single reads above 2 GiB; larger ones go in pieces. */
const MAX_READ = 1 << 30;

function checkRange(source: ByteSource, offset: number, length: number, what = 'data'): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new FormatError(source.file, `invalid byte range for ${what}: offset ${offset}, length ${length}`);
  }
  if (offset + length > source.size) {
    throw new FormatError(
      source.file,
      `${what} at bytes ${offset}..${offset + length} lies past the end of the file (${source.size} bytes); the file is truncated or its header lies`,
    );
  }
}

class FileSource implements ByteSource {
  constructor(
    readonly file: string,
    readonly size: number,
    private readonly handle: FileHandle,
  ) {}

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length);
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const want = Math.min(MAX_READ, length - done);
      const { bytesRead } = await this.handle.read(out, done, want, offset + done);
      if (bytesRead === 0) throw new FormatError(this.file, `the file ended early while reading bytes ${offset}..${offset + length}`);
      done += bytesRead;
    }
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

/** What a path that is not a regular file is, for the refusal. */
function fileKind(stat: Stats): string {
  if (stat.isFIFO()) return 'a named pipe';
  if (stat.isDirectory()) return 'a directory';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  return 'something else';
}

/** Why the system refused to open a file, in words, for the errors a user can act on. */
const OPEN_FAILURES: Readonly<Record<string, string>> = {
  ENOENT: 'does not exist (ENOENT); check the path',
  ENOTDIR: 'does not exist: a folder on its path is a file (ENOTDIR); check the path',
  EACCES: 'cannot be opened: permission denied (EACCES); check its permissions',
  EPERM: 'cannot be opened: operation not permitted (EPERM); check its permissions',
  ELOOP: 'cannot be opened: its symbolic links form a loop (ELOOP)',
  ENAMETOOLONG: 'cannot be opened: its path is too long (ENAMETOOLONG)',
  EMFILE: 'cannot be opened: too many files are open (EMFILE); close some and retry',
};

function cannotOpen(file: string, error: unknown): FormatError {
  const code = (error as NodeJS.ErrnoException).code;
  return new FormatError(file, (code && OPEN_FAILURES[code]) ?? `cannot open the file (${code ?? String(error)})`);
}

/**
 * Opens `file` for reading, refusing anything but a regular file. Every reader opens its files
 * here: opening a named pipe blocks until a writer comes (forever, for a shard or a partner file
 * someone replaced with one), so the path is stat-ed first, which never blocks. The open itself
 * is non-blocking and the handle checked again, in case the path changed in between.
 */
export async function openRegularFile(file: string): Promise<{ handle: FileHandle; size: number }> {
  let before: Stats;
  try {
    before = await stat(file);
  } catch (error) {
    throw cannotOpen(file, error);
  }
  if (!before.isFile()) throw new FormatError(file, `is ${fileKind(before)}, not a regular file`);
  let handle: FileHandle;
  try {
    // O_NONBLOCK only changes how a pipe or device opens; Windows has no such flag (nor FIFOs).
    handle = await open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    throw cannotOpen(file, error);
  }
  let now: Stats;
  try {
    now = await handle.stat();
  } catch (error) {
    await handle.close();
    throw cannotOpen(file, error);
  }
  if (!now.isFile()) {
    await handle.close();
    throw new FormatError(file, `is ${fileKind(now)}, not a regular file`);
  }
  return { handle, size: now.size };
}

/** Opens `file` for random access; a missing, unreadable or irregular file becomes a FormatError. */
export async function openFileSource(file: string): Promise<ByteSource> {
  const { handle, size } = await openRegularFile(file);
  return new FileSource(file, size, handle);
}

/** Bytes already in memory (an inflated zip member, a test's hand-made file). */
export function memorySource(file: string, bytes: Uint8Array): ByteSource {
  const source: ByteSource = {
    file,
    size: bytes.byteLength,
    read: async (offset, length) => {
      checkRange(source, offset, length);
      return bytes.subarray(offset, offset + length);
    },
    close: async () => {},
  };
  return source;
}

/**
 * A window `[offset, offset + length)` of `parent` (a stored zip member, the data section of a
 * safetensors file). Closing it leaves the parent open: its owner closes that.
 */
export function sliceSource(parent: ByteSource, offset: number, length: number, file = parent.file): ByteSource {
  checkRange(parent, offset, length, `the section for ${file}`);
  const source: ByteSource = {
    file,
    size: length,
    read: async (at, count) => {
      checkRange(source, at, count);
      return parent.read(offset + at, count);
    },
    close: async () => {},
  };
  return source;
}

/**
 * Several sources laid end to end (TensorFlow.js weight shards, which a weight may straddle).
 * Closing it closes every part.
 */
export function concatSource(file: string, parts: readonly ByteSource[]): ByteSource {
  const starts: number[] = [];
  let size = 0;
  for (const part of parts) {
    starts.push(size);
    size += part.size;
  }
  const source: ByteSource = {
    file,
    size,
    read: async (offset, length) => {
      checkRange(source, offset, length);
      const out = new Uint8Array(length);
      let written = 0;
      for (let i = 0; i < parts.length && written < length; i++) {
        const partStart = starts[i]!;
        const partEnd = partStart + parts[i]!.size;
        const from = offset + written;
        if (from >= partEnd) continue;
        const count = Math.min(partEnd, offset + length) - from;
        out.set(await parts[i]!.read(from - partStart, count), written);
        written += count;
      }
      return out;
    },
    close: async () => {
      await Promise.all(parts.map((part) => part.close()));
    },
  };
  return source;
}
