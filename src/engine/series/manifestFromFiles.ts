/**
 * A series guessed from checkpoint paths, for the user to check: `merge-lens series init` and the
 * editor's "Compare Series…" on selected files. The variable is read from the paths' words:
 * `w64`, `width64`, `width=64` (width); `child3`, `spawn3` (spawn epoch); `epoch3`, `ep3` (epoch);
 * `seed1`, `seed=1` (seed), each a whole word of a folder or file name (words split at / _ - . and
 * spaces). Files that share a value of the variable pair up (by seed); files that differ only in
 * their seed make every pair among them.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import { InputError } from '../io/inputError';
import { SERIES_VARIABLES, type SeriesManifest, type SeriesPair } from '../../shared/seriesReport';

interface Word {
  /** What a manifest calls it. */
  readonly variable: string;
  /** Other names a user may give it (`--variable`). */
  readonly aliases: readonly string[];
  readonly pattern: RegExp;
}

/** The words a path's value is read from; the earlier of two that both change wins no tie (that is an error). */
const WORDS = {
  spawn: { variable: SERIES_VARIABLES.spawn, aliases: ['spawn', 'child'], pattern: /^(?:child|spawn)=?(\d+)$/i },
  width: { variable: SERIES_VARIABLES.width, aliases: ['w'], pattern: /^(?:w|width)=?(\d+)$/i },
  epoch: { variable: SERIES_VARIABLES.epoch, aliases: ['ep', 'training epoch'], pattern: /^(?:ep|epoch)=?(\d+)$/i },
  seed: { variable: SERIES_VARIABLES.seed, aliases: ['seeds'], pattern: /^seed=?(\d+)$/i },
} as const satisfies Record<string, Word>;

type Key = keyof typeof WORDS;
const KEYS = Object.keys(WORDS) as Key[];

interface Named {
  /** As the manifest will name it. */
  readonly name: string;
  /** Per word found in the path: its number and the word as written ("seed1"). */
  readonly words: Partial<Record<Key, { readonly value: number; readonly text: string }>>;
}

function fail(problem: string): never {
  throw new InputError(`could not tell which files pair up: ${problem}; write the manifest by hand, see the README's Series section`);
}

function wordsOf(name: string): Named['words'] {
  const words: Partial<Record<Key, { value: number; text: string }>> = {};
  // The extension is no word of the name ("seed1.pt"): only the last component's is dropped.
  const tokens = name.replace(/\.[A-Za-z][A-Za-z0-9]*$/, '').split(/[\\/_.\s-]+/);
  for (const token of tokens) {
    for (const key of KEYS) {
      const match = WORDS[key].pattern.exec(token);
      if (match && words[key] === undefined) words[key] = { value: Number(match[1]), text: token };
    }
  }
  return words;
}

function list(names: readonly string[]): string {
  return names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;
}

/** Seed order, then name order: A is the lower seed. */
function bySeed(x: Named, y: Named): number {
  return (x.words.seed?.value ?? -1) - (y.words.seed?.value ?? -1) || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0);
}

/** Every unordered pair of `files`, in order. */
function allPairs(files: readonly Named[], value: (a: Named, b: Named) => number | string): SeriesPair[] {
  return files.flatMap((a, i) => files.slice(i + 1).map((b) => ({ value: value(a, b), a: a.name, b: b.name })));
}

/** Files that share a value of `key` pair up: every pair among each value's files. */
function pairsAlong(files: readonly Named[], key: Key): SeriesPair[] {
  const missing = files.filter((f) => f.words[key] === undefined);
  if (missing.length > 0) fail(`${list(missing.map((f) => f.name))} ${missing.length === 1 ? 'has' : 'have'} no ${WORDS[key].variable} in ${missing.length === 1 ? 'its path' : 'their paths'} while others do`);
  const values = [...new Set(files.map((f) => f.words[key]!.value))].sort((x, y) => x - y);
  return values.flatMap((value) => {
    const group = files.filter((f) => f.words[key]!.value === value).sort(bySeed);
    if (group.length < 2) fail(`${WORDS[key].variable} ${value} has one file (${group[0]!.name}) and a pair needs two`);
    return allPairs(group, () => value);
  });
}

/** Files that differ only in their seed: every pair among them. */
function pairsAmongSeeds(files: readonly Named[]): SeriesPair[] {
  const missing = files.filter((f) => f.words.seed === undefined);
  if (missing.length > 0) fail(`nothing in the paths changes from file to file that names a width, spawn, epoch or seed (${list(missing.map((f) => f.name))})`);
  const seen = new Map<number, string>();
  for (const f of files) {
    const other = seen.get(f.words.seed!.value);
    if (other !== undefined) fail(`${other} and ${f.name} have the same seed and nothing else tells them apart`);
    seen.set(f.words.seed!.value, f.name);
  }
  return allPairs([...files].sort(bySeed), (a, b) => `${a.words.seed!.text} × ${b.words.seed!.text}`);
}

/** The word `--variable` names, if it is one of those paths are read by. */
function namedKey(variable: string): Key | undefined {
  const wanted = variable.trim().toLowerCase();
  return KEYS.find((key) => WORDS[key].variable === wanted || key === wanted || (WORDS[key].aliases as readonly string[]).includes(wanted));
}

/** The word whose values change across the files (seeds aside), or null when only seeds do. */
function guessedKey(files: readonly Named[]): Key | null {
  const changing = KEYS.filter((key) => key !== 'seed' && new Set(files.flatMap((f) => (f.words[key] ? [f.words[key]!.value] : []))).size > 1);
  if (changing.length > 1) fail(`${changing.map((k) => WORDS[k].variable).join(' and ')} both change across the files; say which is the variable (--variable)`);
  return changing[0] ?? null;
}

/**
 * The manifest the paths suggest: `variable` and `pairs` only (the caller adds data and choices).
 * Paths are written relative to `folder` (where the manifest goes) when it is given and they lie
 * inside it, with `/`.
 */
export function manifestFromFiles(files: readonly string[], options: { readonly variable?: string; readonly folder?: string } = {}): SeriesManifest {
  const unique = [...new Set(files)];
  if (unique.length < 2) fail(unique.length === 0 ? 'no files were given' : `only one file was given (${unique[0]}) and a pair needs two`);
  const named: Named[] = unique.map((file) => {
    const name = options.folder === undefined ? file.replace(/\\/g, '/') : manifestPath(options.folder, file);
    return { name, words: wordsOf(name) };
  });
  const given = options.variable?.trim() ? options.variable.trim() : undefined;
  const key = given !== undefined ? namedKey(given) ?? guessedKey(named) : guessedKey(named);
  const pairs = key === null || key === 'seed' ? pairsAmongSeeds(named) : pairsAlong(named, key);
  return { variable: given ?? (key === null ? WORDS.seed.variable : WORDS[key].variable), pairs };
}

/** `file` relative to `folder` when it lies inside it; otherwise absolute, which says where it is more plainly than a climb of `..`. */
export function manifestPath(folder: string, file: string): string {
  const absolute = resolve(file);
  const rel = relative(resolve(folder), absolute);
  return (isAbsolute(rel) || rel.split(/[\\/]/)[0] === '..' ? absolute : rel).replace(/\\/g, '/');
}
