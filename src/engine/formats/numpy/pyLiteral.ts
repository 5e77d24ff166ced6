import { clip } from '../../io/formatError';

/**
 * A strict parser for the small subset of Python literals a .npy header is written in: dicts,
 * strings (either quote), True/False, integers, tuples and lists. Nothing is evaluated; anything
 * else is a syntax error.
 */
export type PyLiteral =
  | { readonly kind: 'str'; readonly value: string }
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'tuple' | 'list'; readonly items: readonly PyLiteral[] }
  | { readonly kind: 'dict'; readonly entries: ReadonlyMap<string, PyLiteral> };

/** A literal that does not parse; the message says where and why. */
export class PyLiteralSyntaxError extends Error {}

/** Far deeper than any header needs; it keeps hostile nesting from exhausting the stack. */
const MAX_DEPTH = 32;

const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\', "'": "'", '"': '"', n: '\n', r: '\r', t: '\t' };

export function describeLiteral(value: PyLiteral): string {
  return value.kind === 'dict' ? 'a dict' : value.kind === 'int' ? 'an integer' : `a ${value.kind}`;
}

export function parsePyLiteral(text: string): PyLiteral {
  let at = 0;

  const fail: (problem: string) => never = (problem) => {
    throw new PyLiteralSyntaxError(`${problem} at character ${at}`);
  };
  const skipSpace = (): void => {
    while (at < text.length && ' \t\r\n'.includes(text[at]!)) at++;
  };
  const expect = (char: string): void => {
    skipSpace();
    if (text[at] !== char) fail(`expected '${char}'${at < text.length ? ` but found '${text[at]}'` : ' but the text ended'}`);
    at++;
  };
  /** After an item: true when the sequence closes with `close` (a trailing comma allowed). */
  const endOfItem = (close: string): { closed: boolean; comma: boolean } => {
    skipSpace();
    if (text[at] === close) return { closed: true, comma: false };
    expect(',');
    skipSpace();
    if (text[at] === close) return { closed: true, comma: true };
    return { closed: false, comma: true };
  };

  const parseString = (): PyLiteral => {
    const quote = text[at++]!;
    let value = '';
    for (;;) {
      if (at >= text.length) fail('unterminated string');
      const c = text[at++]!;
      if (c === quote) return { kind: 'str', value };
      if (c === '\n') fail('newline inside a string');
      if (c !== '\\') {
        value += c;
        continue;
      }
      const e = text[at++];
      if (e !== undefined && ESCAPES[e] !== undefined) {
        value += ESCAPES[e];
      } else if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(at, at + 2))) {
        value += String.fromCharCode(parseInt(text.slice(at, at + 2), 16));
        at += 2;
      } else {
        fail(`unsupported escape '\\${e ?? ''}'`);
      }
    }
  };

  const parseInteger = (): PyLiteral => {
    const match = /^-?[0-9]+[lL]?/.exec(text.slice(at, at + 40));
    if (!match) return fail('expected a value');
    at += match[0].length;
    const value = Number(match[0].replace(/[lL]$/, ''));
    if (!Number.isSafeInteger(value)) fail(`integer ${match[0]} is too large`);
    return { kind: 'int', value };
  };

  const parseSequence = (close: string, depth: number): { items: PyLiteral[]; comma: boolean } => {
    const items: PyLiteral[] = [];
    let comma = false;
    skipSpace();
    if (text[at] === close) {
      at++;
      return { items, comma };
    }
    for (;;) {
      items.push(parseValue(depth + 1));
      const end = endOfItem(close);
      comma ||= end.comma;
      if (end.closed) {
        at++;
        return { items, comma };
      }
    }
  };

  const parseDict = (depth: number): PyLiteral => {
    const entries = new Map<string, PyLiteral>();
    skipSpace();
    if (text[at] === '}') {
      at++;
      return { kind: 'dict', entries };
    }
    for (;;) {
      skipSpace();
      const keyAt = at;
      const key = parseValue(depth + 1);
      if (key.kind !== 'str') {
        at = keyAt;
        fail('dict keys must be strings');
      }
      if (entries.has(key.value)) {
        at = keyAt;
        fail(`key '${clip(key.value)}' appears twice`);
      }
      expect(':');
      entries.set(key.value, parseValue(depth + 1));
      if (endOfItem('}').closed) {
        at++;
        return { kind: 'dict', entries };
      }
    }
  };

  const parseValue = (depth: number): PyLiteral => {
    if (depth > MAX_DEPTH) fail(`values nested more than ${MAX_DEPTH} deep`);
    skipSpace();
    const c = text[at];
    if (c === "'" || c === '"') return parseString();
    if (c === '{') {
      at++;
      return parseDict(depth);
    }
    if (c === '[') {
      at++;
      return { kind: 'list', items: parseSequence(']', depth).items };
    }
    if (c === '(') {
      at++;
      const { items, comma } = parseSequence(')', depth);
      // Without a comma, parentheses around one value only group it: (3) is 3, (3,) a tuple.
      return items.length === 1 && !comma ? items[0]! : { kind: 'tuple', items };
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(at, at + 40))?.[0];
    if (word === 'True' || word === 'False') {
      at += word.length;
      return { kind: 'bool', value: word === 'True' };
    }
    if (word !== undefined) fail(`unexpected name '${clip(word)}'`);
    return parseInteger();
  };

  const value = parseValue(0);
  skipSpace();
  if (at < text.length) fail('unexpected text after the value');
  return value;
}
