import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clip, FormatError } from '../../../src/engine/io/formatError';
import { InputError } from '../../../src/engine/io/inputError';

test('a FormatError quoting a name with line breaks and control characters stays one line', () => {
  const error = new FormatError('/data/odd\nname.pt', "the tensor 'a\r\nb\tc\u0000' has no storage");
  assert.equal(error.message, "odd\\nname.pt: the tensor 'a\\r\\nb\\tc\\u0000' has no storage");
  assert.equal(error.problem, "the tensor 'a\r\nb\tc\u0000' has no storage", 'the problem itself is kept as the reader wrote it');
});

test('an InputError is one line too', () => {
  assert.equal(new InputError('no file matches\n*.pt').message, 'no file matches\\n*.pt');
});

test('C1 controls, line separators and bidirectional overrides are escaped too', () => {
  const error = new FormatError('m.json', "weight file '\u202e../x\u0085\u2028' cannot be read");
  assert.equal(error.message, "m.json: weight file '\\u202e../x\\u0085\\u2028' cannot be read");
});

test('clip escapes before it cuts, so a quoted value is short however it is escaped', () => {
  assert.equal(clip('a\u0000b'), 'a\\u0000b');
  const zeros = clip('\u0000'.repeat(100));
  assert.ok(zeros.length <= 61, zeros);
  assert.ok(/^(\\u0000)+…$/.test(zeros), `no escape is split: ${zeros}`);
  assert.equal(clip('x'.repeat(100)), `${'x'.repeat(60)}…`);
});
