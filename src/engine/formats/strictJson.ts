import { openFileSource } from '../io/byteSource';
import { FormatError, clip } from '../io/formatError';

/** A parsed JSON object (not an array, not null). */
export type JsonObject = Record<string, unknown>;

/**
 * The deepest nesting of arrays and objects any reader accepts. No real header, index or manifest
 * nests more than a dozen levels (a Keras model.json's inbound_nodes are the deepest); a bound
 * keeps every later walk of the value (checks, JSON.stringify, structured clone to the webview)
 * far from the stack's limit, which ~10,000 levels in a 20 KB file reach.
 */
export const MAX_JSON_DEPTH = 64;

/** A parsed JSON value as a message shows it: compact, cut short, "nothing" when absent. */
export function quoteJson(value: unknown): string {
  if (value === undefined) return 'nothing';
  return clip(JSON.stringify(value));
}

/**
 * The deepest nesting of brackets in JSON `text`, outside strings, counted in one pass without
 * recursion. JSON.parse itself copes with deep nesting; what comes after it may not.
 */
function maxDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next character, a quote included
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Decodes `bytes` as UTF-8, refusing invalid sequences rather than replacing them, and parses them
 * as a JSON object. `what` names the text in messages ("header", "index").
 */
export function parseJsonObject(file: string, bytes: Uint8Array, what: string): JsonObject {
  let text: string;
  try {
    // A byte-order mark is kept, so that JSON.parse refuses it as the reference parsers do.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new FormatError(file, `the ${what} is not valid UTF-8`);
  }
  const depth = maxDepth(text);
  if (depth > MAX_JSON_DEPTH) throw new FormatError(file, `the ${what} nests ${depth} levels deep; at most ${MAX_JSON_DEPTH} are read`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new FormatError(file, `the ${what} is not valid JSON (${clip((error as Error).message.replace(/\s+/g, ' '), 120)})`);
  }
  if (!isJsonObject(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    throw new FormatError(file, `the ${what} is ${kind}, not a JSON object`);
  }
  return value;
}

/** Reads a whole JSON file, refusing one above `maxBytes` before reading it. */
export async function readJsonObjectFile(file: string, maxBytes: number, what: string): Promise<JsonObject> {
  const source = await openFileSource(file);
  try {
    if (source.size > maxBytes) {
      throw new FormatError(file, `the ${what} is ${source.size} bytes, above the ${maxBytes}-byte limit for a JSON ${what}`);
    }
    return parseJsonObject(file, await source.read(0, source.size), what);
  } finally {
    await source.close();
  }
}
