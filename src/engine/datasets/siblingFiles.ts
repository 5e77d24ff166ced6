import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FormatError, clip } from '../io/formatError';

/**
 * The first of `candidates` (file names) that exists in `file`'s folder, matched without regard
 * to case, as its real path; undefined if none does.
 */
export async function findSibling(file: string, candidates: readonly string[]): Promise<string | undefined> {
  const folder = dirname(file);
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (error) {
    throw new FormatError(file, `cannot list its folder to find the file that pairs with it (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const own = basename(file).toLowerCase();
  const byLower = new Map(names.map((name) => [name.toLowerCase(), name]));
  for (const candidate of candidates) {
    const lower = candidate.toLowerCase();
    const found = lower !== own ? byLower.get(lower) : undefined;
    if (found !== undefined) return join(folder, found);
  }
  return undefined;
}

/** Names in quotes for messages, each name and the list cut short when long. */
export function quoteList(names: readonly string[], limit = 20): string {
  const shown = names.slice(0, limit).map((name) => `'${clip(name)}'`).join(', ');
  return names.length > limit ? `${shown} and ${names.length - limit} more` : shown;
}
