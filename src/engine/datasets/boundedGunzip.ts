import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { openRegularFile } from '../io/byteSource';
import { FormatError, ensure } from '../io/formatError';

/**
 * Reads the declared size of the inflated data from its first bytes: undefined while more bytes
 * are needed, the total size (header included) once known; it throws a FormatError when the
 * header is bad or declares more than the caller will hold.
 */
export type DeclaredSize = (head: Uint8Array) => number | undefined;

/**
 * Inflates a gzip file, holding no more than the size its own header declares: the inflated
 * stream is cut off as soon as it runs past that size (a gzip bomb or a lying header), so memory
 * stays bounded whatever the compressed bytes say. `headLimit` bounds how many bytes
 * `declaredSize` may ask for.
 */
export async function gunzipDeclared(file: string, declaredSize: DeclaredSize, headLimit: number): Promise<Uint8Array> {
  const { handle } = await openRegularFile(file);
  // The stream closes the handle when the pipeline ends or is destroyed.
  const inflated = pipeline(handle.createReadStream(), createGunzip(), () => {
    // Errors reach the loop below through the last stream; an early exit is expected.
  });
  const chunks: Uint8Array[] = [];
  let total = 0;
  let expected: number | undefined;
  try {
    for await (const chunk of inflated as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      total += chunk.byteLength;
      if (expected === undefined) {
        const head = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
        expected = declaredSize(head);
        ensure(expected !== undefined || total <= headLimit, file, `the header is not complete within its first ${headLimit} inflated bytes`);
      }
      if (expected !== undefined && total > expected) {
        throw new FormatError(file, `inflates past the ${expected} bytes its header declares; stopped there (a gzip bomb, or a header that lies)`);
      }
    }
  } catch (error) {
    if (error instanceof FormatError) throw error;
    throw new FormatError(file, `is not valid gzip data (${(error as Error).message})`);
  } finally {
    inflated.destroy();
  }
  ensure(expected !== undefined, file, `inflates to only ${total} bytes, too few for its header`);
  ensure(total === expected, file, `inflates to ${total} bytes but its header declares ${expected}; the file is truncated`);
  return Buffer.concat(chunks, total);
}
