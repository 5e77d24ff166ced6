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
 * `text` with its control characters written as escapes. File names and the names a file holds
 * may contain line breaks; a message that quotes them must still be the one line it promises.
 */
export function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}

/** Throws a FormatError for `file` unless `condition` holds. */
export function ensure(condition: unknown, file: string, problem: string | (() => string)): asserts condition {
  if (!condition) throw new FormatError(file, typeof problem === 'string' ? problem : problem());
}

/** The longest piece of an untrusted value (a name, a dtype, a shape) a message quotes. */
const MAX_QUOTED = 60;

/** `text` cut to a short prefix with an ellipsis, so that a message never echoes a huge value. */
export function clip(text: string, max = MAX_QUOTED): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
