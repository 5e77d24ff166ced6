import { deflateRawSync } from 'node:zlib';
import { crc32 } from '../../src/engine/io/crc32';

/** One member of a hand-built archive; every field a hostile test may want to falsify is overridable. */
export interface BuildMember {
  readonly name: string;
  readonly data: Uint8Array;
  readonly method?: 'stored' | 'deflated';
  /** Raw name bytes (defaults to the UTF-8 of `name`). */
  readonly nameBytes?: Uint8Array;
  /** The bytes written as the member's data (defaults to `data`, deflated when asked). */
  readonly payload?: Uint8Array;
  readonly declaredSize?: number;
  readonly declaredCompressedSize?: number;
  readonly crc?: number;
  readonly flags?: number;
  readonly methodCode?: number;
}

export interface BuiltZip {
  readonly bytes: Uint8Array;
  readonly localOffsets: readonly number[];
  readonly centralOffsets: readonly number[];
  readonly cdOffset: number;
  readonly eocdOffset: number;
}

/** A plain (non-ZIP64) archive, written the way the zip specification lays it out. */
export function buildZip(members: readonly BuildMember[], comment: Uint8Array = new Uint8Array(0)): BuiltZip {
  const chunks: Uint8Array[] = [];
  let length = 0;
  const push = (bytes: Uint8Array): void => {
    chunks.push(bytes);
    length += bytes.length;
  };
  const localOffsets: number[] = [];
  const central: { header: Uint8Array; name: Uint8Array }[] = [];
  for (const m of members) {
    const name = m.nameBytes ?? new TextEncoder().encode(m.name);
    const deflated = (m.method ?? 'stored') === 'deflated';
    const payload = m.payload ?? (deflated ? new Uint8Array(deflateRawSync(m.data)) : m.data);
    const fields = {
      flags: m.flags ?? 0x800,
      method: m.methodCode ?? (deflated ? 8 : 0),
      crc: m.crc ?? crc32(m.data),
      csize: m.declaredCompressedSize ?? payload.length,
      size: m.declaredSize ?? m.data.length,
    };
    localOffsets.push(length);
    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, 20, true);
    local.setUint16(6, fields.flags, true);
    local.setUint16(8, fields.method, true);
    local.setUint32(14, fields.crc, true);
    local.setUint32(18, fields.csize, true);
    local.setUint32(22, fields.size, true);
    local.setUint16(26, name.length, true);
    push(new Uint8Array(local.buffer));
    push(name);
    push(payload);
    const c = new DataView(new ArrayBuffer(46));
    c.setUint32(0, 0x02014b50, true);
    c.setUint16(4, 20, true);
    c.setUint16(6, 20, true);
    c.setUint16(8, fields.flags, true);
    c.setUint16(10, fields.method, true);
    c.setUint32(16, fields.crc, true);
    c.setUint32(20, fields.csize, true);
    c.setUint32(24, fields.size, true);
    c.setUint16(28, name.length, true);
    c.setUint32(42, localOffsets[localOffsets.length - 1]!, true);
    central.push({ header: new Uint8Array(c.buffer), name });
  }
  const cdOffset = length;
  const centralOffsets: number[] = [];
  for (const entry of central) {
    centralOffsets.push(length);
    push(entry.header);
    push(entry.name);
  }
  const eocdOffset = length;
  const e = new DataView(new ArrayBuffer(22));
  e.setUint32(0, 0x06054b50, true);
  e.setUint16(8, members.length, true);
  e.setUint16(10, members.length, true);
  e.setUint32(12, eocdOffset - cdOffset, true);
  e.setUint32(16, cdOffset, true);
  e.setUint16(20, comment.length, true);
  push(new Uint8Array(e.buffer));
  push(comment);
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return { bytes, localOffsets, centralOffsets, cdOffset, eocdOffset };
}
