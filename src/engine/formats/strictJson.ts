import { openFileSource } from '../io/byteSource';
import { FormatError } from '../io/formatError';

/** A parsed JSON object (not an array, not null). */
export type JsonObject = Record<string, unknown>;

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
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new FormatError(file, `the ${what} is not valid JSON (${(error as Error).message})`);
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
