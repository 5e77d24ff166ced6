import { createHash } from 'node:crypto';
import { openRegularFile } from './byteSource';
import { FormatError } from './formatError';

/**
 * The SHA-256 of a file's contents, hex: streamed in chunks, so a checkpoint of many gigabytes is
 * hashed in constant memory. A file that cannot be read is the user's to fix (a FormatError).
 */
export async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  const { handle } = await openRegularFile(file);
  try {
    // The stream closes the handle when it ends or fails.
    for await (const chunk of handle.createReadStream({ highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code === 'string') throw new FormatError(file, `cannot read the file (${code})`);
    throw error;
  }
  return hash.digest('hex');
}
