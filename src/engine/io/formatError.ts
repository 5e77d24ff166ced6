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
    super(`${basename(file)}: ${problem}`);
    this.name = 'FormatError';
  }
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
