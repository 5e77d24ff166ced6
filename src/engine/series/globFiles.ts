/**
 * The files a shell-style pattern names, for `merge-lens series init 'runs/w{16,32}/seed?.pt'`
 * (quoted, so the pattern reaches us whole on every shell): `*` and `?` within one folder or file
 * name, `{a,b}` alternatives (nested too); no `**`. Like a shell, a wildcard does not match a
 * leading dot. Node 20 has no fs.glob, and a package for this little is not worth its weight.
 */
import { readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { InputError } from '../io/inputError';

/** Every alternative of the first `{…}` expanded, recursively: "a{b,c{d,e}}" → ab, acd, ace. */
export function expandBraces(pattern: string): string[] {
  const open = pattern.indexOf('{');
  if (open < 0) return [pattern];
  let depth = 0;
  const commas: number[] = [];
  for (let i = open; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '{') depth++;
    else if (c === '}' && --depth === 0) {
      const bounds = [open, ...commas, i];
      const head = pattern.slice(0, open);
      const tail = pattern.slice(i + 1);
      return bounds.slice(1).flatMap((end, k) => expandBraces(head + pattern.slice(bounds[k]! + 1, end) + tail));
    } else if (c === ',' && depth === 1) commas.push(i);
  }
  throw new InputError(`the pattern '${pattern}' opens a { it does not close`);
}

/** One folder or file name's pattern as a regular expression. */
function segmentPattern(segment: string): RegExp {
  const body = segment.replace(/[.+^$()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}

const hasWildcard = (segment: string) => /[*?]/.test(segment);

function entries(folder: string): string[] {
  try {
    return readdirSync(folder);
  } catch {
    return [];
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The files one brace-free pattern matches, relative to `cwd` unless absolute. */
function matchOne(pattern: string, cwd: string): string[] {
  if (pattern.split(/[\\/]/).includes('**')) throw new InputError(`'**' is not supported in '${pattern}'; name each folder level with * instead`);
  const absolute = isAbsolute(pattern);
  const segments = pattern.split(/[\\/]+/).filter((s, i) => s !== '' || i === 0);
  let found = [absolute ? resolve('/') : ''];
  for (const [i, segment] of segments.entries()) {
    if (absolute && i === 0) continue;
    const next: string[] = [];
    for (const base of found) {
      if (!hasWildcard(segment)) {
        next.push(base === '' ? segment : join(base, segment));
        continue;
      }
      const regex = segmentPattern(segment);
      for (const name of entries(resolve(cwd, base || '.')).sort()) {
        if (name.startsWith('.') && !segment.startsWith('.')) continue;
        if (regex.test(name)) next.push(base === '' ? name : join(base, name));
      }
    }
    found = next;
  }
  return found.filter((f) => isFile(resolve(cwd, f)));
}

/** The files `patterns` match (each may hold braces and wildcards), in order, without repeats; none is an error. */
export function globFiles(patterns: readonly string[], cwd: string = process.cwd()): string[] {
  const files = new Set<string>();
  for (const pattern of patterns) {
    const matched = expandBraces(pattern).flatMap((p) => matchOne(p, cwd));
    if (matched.length === 0) throw new InputError(`no file matches '${pattern}'`);
    for (const f of matched) files.add(f);
  }
  return [...files];
}
