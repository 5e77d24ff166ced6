import { inflateRawSync } from 'node:zlib';
import { concat } from './pickleBytes';
import type { ZipMember } from './zipWriter';

/**
 * The fuzzer's own small parsers and writers for the seeds' formats: enough to take a valid seed
 * apart and put it back together with one part changed. They trust the seeds, which are valid;
 * on a file they cannot take apart they return undefined and the mutator falls back to bytes.
 */

const text = new TextDecoder();
const enc = new TextEncoder();

export interface SafetensorsParts {
  readonly header: Record<string, unknown>;
  readonly data: Uint8Array;
}

export function parseSafetensors(bytes: Uint8Array): SafetensorsParts | undefined {
  if (bytes.length < 8) return undefined;
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (length > bytes.length - 8) return undefined;
  try {
    const header = JSON.parse(text.decode(bytes.subarray(8, 8 + length))) as unknown;
    if (typeof header !== 'object' || header === null || Array.isArray(header)) return undefined;
    return { header: header as Record<string, unknown>, data: bytes.subarray(8 + length) };
  } catch {
    return undefined;
  }
}

/** A safetensors file of a header's JSON text (padded to 8 bytes, as the reference writes) and data. */
export function writeSafetensors(headerText: string, data: Uint8Array, declaredLength?: bigint): Uint8Array {
  const json = enc.encode(headerText + ' '.repeat((8 - (enc.encode(headerText).length % 8)) % 8));
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, declaredLength ?? BigInt(json.length), true);
  return concat([prefix, json, data]);
}

/** Tensors laid back to back: name → dtype, shape and bytes. */
export function safetensorsOf(tensors: readonly { name: string; dtype: string; shape: number[]; data: Uint8Array }[], metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.length] };
    offset += t.data.length;
  }
  return writeSafetensors(JSON.stringify(header), concat(tensors.map((t) => t.data)));
}

export interface NpyParts {
  readonly major: number;
  readonly headerText: string;
  readonly data: Uint8Array;
}

export function parseNpy(bytes: Uint8Array): NpyParts | undefined {
  if (bytes.length < 10 || text.decode(bytes.subarray(1, 6)) !== 'NUMPY') return undefined;
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) return undefined;
  const length = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lengthBytes;
  if (start + length > bytes.length) return undefined;
  return { major, headerText: text.decode(bytes.subarray(start, start + length)), data: bytes.subarray(start + length) };
}

/** An .npy file of a header dict's text (padded with spaces and a newline to 64 bytes) and data. */
export function writeNpy(headerText: string, data: Uint8Array, major = 1): Uint8Array {
  const lengthBytes = major === 1 ? 2 : 4;
  const unpadded = enc.encode(headerText.replace(/\s*\n?$/, '')).length + 1;
  const padded = headerText.replace(/\s*\n?$/, '') + ' '.repeat((64 - ((8 + lengthBytes + unpadded) % 64)) % 64) + '\n';
  const header = enc.encode(padded);
  const prefix = new Uint8Array(8 + lengthBytes);
  prefix.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(prefix.buffer);
  if (major === 1) view.setUint16(8, Math.min(header.length, 0xffff), true);
  else view.setUint32(8, header.length, true);
  return concat([prefix, header, data]);
}

export function npyOf(descr: string, shape: readonly number[], data: Uint8Array): Uint8Array {
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  return writeNpy(`{'descr': '${descr}', 'fortran_order': False, 'shape': ${tuple}, }`, data);
}

/** The members of a zip archive the seeds hold (no zip64, sizes in the central directory). */
export function readZip(bytes: Uint8Array): ZipMember[] | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let end = -1;
  for (let i = bytes.length - 22; i >= 0 && i >= bytes.length - 22 - 0xffff; i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end < 0) return undefined;
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  const members: ZipMember[] = [];
  try {
    for (let i = 0; i < count; i++) {
      if (view.getUint32(at, true) !== 0x02014b50) return undefined;
      const method = view.getUint16(at + 10, true);
      const compressed = view.getUint32(at + 20, true);
      const nameLength = view.getUint16(at + 28, true);
      const extraLength = view.getUint16(at + 30, true);
      const commentLength = view.getUint16(at + 32, true);
      const local = view.getUint32(at + 42, true);
      const name = text.decode(bytes.subarray(at + 46, at + 46 + nameLength));
      const localName = view.getUint16(local + 26, true);
      const localExtra = view.getUint16(local + 28, true);
      const start = local + 30 + localName + localExtra;
      const raw = bytes.subarray(start, start + compressed);
      members.push({ name, data: method === 8 ? new Uint8Array(inflateRawSync(raw)) : raw.slice(), deflate: method === 8 });
      at += 46 + nameLength + extraLength + commentLength;
    }
  } catch {
    return undefined;
  }
  return members;
}

/** Where each of the pickles laid in a row (a legacy torch.save file) ends, found by their STOP opcodes' positions given. */
export function splitAt(bytes: Uint8Array, ends: readonly number[]): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const end of ends) {
    pieces.push(bytes.subarray(start, end));
    start = end;
  }
  pieces.push(bytes.subarray(start));
  return pieces;
}
