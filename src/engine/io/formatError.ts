import { basename } from 'node:path';

/**
 * The one error every reader throws for bad input: it names the file and the broken rule in
 * one sentence, so the CLI and the extension can show it as it is, without a stack trace.
 */
export class FormatError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(oneLine(`${basename(file)}: ${problem}`));
    this.name = 'FormatError';
  }
}

/**
 * Characters a message writes as escapes: C0 and C1 controls (line breaks included), the Unicode
 * line and paragraph separators, and the bidirectional overrides that make a terminal show text in
 * another order than it is ('\u202e../x' would read as 'x/..').
 */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeChar(c: string): string {
  return c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/**
 * `text` with its unprintable characters written as escapes. File names and the names a file holds
 * may contain line breaks; a message that quotes them must still be the one line it promises.
 */
export function oneLine(text: string): string {
  return text.replace(UNPRINTABLE, escapeChar);
}

/** Throws a FormatError for `file` unless `condition` holds. */
export function ensure(condition: unknown, file: string, problem: string | (() => string)): asserts condition {
  if (!condition) throw new FormatError(file, typeof problem === 'string' ? problem : problem());
}

/** The longest piece of an untrusted value (a name, a dtype, a shape) a message quotes. */
const MAX_QUOTED = 60;

/**
 * `text` cut to a short prefix with an ellipsis, so that a message never echoes a huge value; its
 * unprintable characters are escaped first and count at their escaped length.
 */
export function clip(text: string, max = MAX_QUOTED): string {
  const shown = oneLine(text);
  if (shown.length <= max) return shown;
  // Cut before an escape that the limit would split.
  const cut = shown.slice(0, max).replace(/\\(u[0-9a-f]{0,3}|)$/, '');
  return `${cut}…`;
}
