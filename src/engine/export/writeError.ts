import { basename } from 'node:path';

/**
 * An output file could not be written (it exists and may not be replaced, its folder is missing,
 * the disk refused, the tensors given are inconsistent). Like FormatError it names the file and
 * says why in one sentence, so the CLI and the extension show it as it is.
 */
export class WriteError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${basename(file)}: ${problem}`);
    this.name = 'WriteError';
  }
}
