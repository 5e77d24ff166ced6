import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FormatError } from '../../../src/engine/io/formatError';
import { InputError } from '../../../src/engine/io/inputError';

test('a FormatError quoting a name with line breaks and control characters stays one line', () => {
  const error = new FormatError('/data/odd\nname.pt', "the tensor 'a\r\nb\tc\u0000' has no storage");
  assert.equal(error.message, "odd\\nname.pt: the tensor 'a\\r\\nb\\tc\\u0000' has no storage");
  assert.equal(error.problem, "the tensor 'a\r\nb\tc\u0000' has no storage", 'the problem itself is kept as the reader wrote it');
});

test('an InputError is one line too', () => {
  assert.equal(new InputError('no file matches\n*.pt').message, 'no file matches\\n*.pt');
});
