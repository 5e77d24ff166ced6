import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePyLiteral, type PyLiteral } from '../../../../src/engine/formats/numpy/pyLiteral';

/** A plain-JSON picture of a literal, tuples marked, so expectations read easily. */
function plain(value: PyLiteral): unknown {
  switch (value.kind) {
    case 'str': case 'int': case 'bool': return value.value;
    case 'list': return value.items.map(plain);
    case 'tuple': return { tuple: value.items.map(plain) };
    case 'dict': return Object.fromEntries([...value.entries].map(([k, v]) => [k, plain(v)]));
  }
}

test('a typical NumPy header parses to its dict', () => {
  const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }          \n";
  assert.deepEqual(plain(parsePyLiteral(header)), { descr: '<f4', fortran_order: false, shape: { tuple: [3, 4] } });
});

test('tuples: empty, one element with its comma, and parentheses that only group', () => {
  assert.deepEqual(plain(parsePyLiteral('()')), { tuple: [] });
  assert.deepEqual(plain(parsePyLiteral('(3,)')), { tuple: [3] });
  assert.deepEqual(plain(parsePyLiteral('( 3 , 4 , )')), { tuple: [3, 4] });
  assert.equal(plain(parsePyLiteral('(3)')), 3);
  assert.deepEqual(plain(parsePyLiteral('[1, [2, ()], True,]')), [1, [2, { tuple: [] }], true]);
});

test('strings in both quote styles with escapes; Python 2 long integers; negative integers', () => {
  assert.equal(plain(parsePyLiteral(`"it's"`)), "it's");
  assert.equal(plain(parsePyLiteral(`'say \\'hi\\' \\\\ \\x41'`)), "say 'hi' \\ A");
  assert.deepEqual(plain(parsePyLiteral('(3L, -2l)')), { tuple: [3, -2] });
  assert.deepEqual(plain(parsePyLiteral('{}')), {});
});

test('anything else is a syntax error that says where', () => {
  for (const [text, message] of [
    ["{'a': 1", /expected ',' but the text ended/],
    ["{'a' 1}", /expected ':' but found '1' at character 5/],
    ["{1: 2}", /dict keys must be strings at character 1/],
    ["{'a': 1, 'a': 2}", /key 'a' appears twice/],
    ["'open", /unterminated string/],
    ["'\\q'", /unsupported escape '\\q'/],
    ['None', /unexpected name 'None'/],
    ['__import__("os")', /unexpected name '__import__'/],
    ['1.5', /unexpected text after the value at character 1/],
    ['99999999999999999999', /integer 99999999999999999999 is too large/],
    ['(1, 2) 3', /unexpected text after the value/],
    ['', /expected a value at character 0/],
    ['('.repeat(1000), /nested more than 32 deep/],
  ] as const) {
    assert.throws(() => parsePyLiteral(text), message, text);
  }
});
