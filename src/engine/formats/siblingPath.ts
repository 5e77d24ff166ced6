import { dirname, isAbsolute, resolve } from 'node:path';
import { FormatError, clip } from '../io/formatError';

/**
 * Resolves a file name that an index file lists (a safetensors shard, a TensorFlow.js weight
 * file) against the index's folder. Names that are absolute or climb out of that folder are
 * refused: a downloaded index must not make Merge Lens read arbitrary files.
 */
export function resolveSibling(indexFile: string, name: string, what: string): string {
  const bad = (why: string): never => {
    throw new FormatError(indexFile, `${what} '${clip(name)}' ${why}; files it lists must lie in its own folder`);
  };
  if (name === '' || name.includes('\0')) bad('is not a usable file name');
  // Both separators count on every platform: an index written on Windows may say "..\\x".
  if (isAbsolute(name) || /^[\\/]/.test(name) || /^[A-Za-z]:/.test(name)) bad('is an absolute path');
  if (name.split(/[\\/]/).includes('..')) bad("climbs out of the folder with '..'");
  return resolve(dirname(indexFile), name);
}
