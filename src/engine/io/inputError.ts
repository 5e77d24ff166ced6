import { oneLine } from './formatError';

/**
 * What was asked cannot be done, though every file read is fine: a method that needs data with
 * none given, a layer the model lacks. Like FormatError it is one sentence for the user, shown as
 * it is (the worker sends it as an 'input' error), never a bug.
 */
export class InputError extends Error {
  constructor(message: string) {
    super(oneLine(message));
    this.name = 'InputError';
  }
}
