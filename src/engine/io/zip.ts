import { constants, inflateRaw } from 'node:zlib';
import { promisify } from 'node:util';
import { sliceSource, type ByteSource } from './byteSource';
import { crc32 } from './crc32';
import { FormatError, clip } from './formatError';

/**
 * A reader for zip archives (PyTorch checkpoints, NumPy .npz). It trusts nothing the archive
 * says: every count, size and offset is checked against the file before anything is allocated,
 * and inflation is bounded by the member's declared size.
 */

export interface ZipEntry {
  readonly name: string;
  readonly method: 'stored' | 'deflated';
  readonly compressedSize: number;
  /** Uncompressed. */
  readonly size: number;
  readonly localHeaderOffset: number;
}

export interface ZipArchive {
  readonly file: string;
  readonly entries: readonly ZipEntry[];
  find(name: string): ZipEntry | undefined;
  /**
   * A member's bytes. Stored: a sliceSource of the file (no copy, lazily read). Deflated:
   * inflated into memory when first read (bounded by the declared size, CRC-checked), the archive
   * keeping at most one inflated member; reads that stay near the start of a large member (a
   * header) inflate only as far as they need.
   */
  open(entry: ZipEntry): Promise<ByteSource>;
  /** Closes the underlying source. */
  close(): Promise<void>;
}

export interface ZipOptions {
  /** Largest uncompressed size of a deflated member (default 2 GiB); lowered by tests. */
  readonly maxInflatedBytes?: number;
}

export const DEFAULT_MAX_INFLATED_BYTES = 2 ** 31;

const EOCD_SIGNATURE = 0x06054b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
const LOCATOR_SIGNATURE = 0x07064b50;
const LOCATOR_SIZE = 20;
const EOCD64_SIGNATURE = 0x06064b50;
const EOCD64_SIZE = 56;
const CENTRAL_SIGNATURE = 0x02014b50;
const CENTRAL_SIZE = 46;
const LOCAL_SIGNATURE = 0x04034b50;
const LOCAL_SIZE = 30;
const ZIP64_EXTRA_ID = 0x0001;
/** Deflate cannot expand data more than about 1032 to 1; a member claiming more lies. */
const MAX_DEFLATE_RATIO = 1032;
/** A central directory is ~100 bytes a member; this allows millions of members. */
const MAX_CENTRAL_DIRECTORY_BYTES = 2 ** 28;
/** Reads ending within this many bytes of a large deflated member's start inflate only a prefix. */
const HEAD_BYTES = 2 ** 21;
const HEAD_INFLATE_MIN_MEMBER = 4 * HEAD_BYTES;

const METHOD_NAMES: Readonly<Record<number, string>> = {
  1: 'shrink', 2: 'reduce', 3: 'reduce', 4: 'reduce', 5: 'reduce', 6: 'implode', 9: 'deflate64',
  10: 'PKWARE DCL implode', 12: 'bzip2', 14: 'LZMA', 18: 'IBM TERSE', 19: 'IBM LZ77', 93: 'Zstandard',
  95: 'xz', 96: 'JPEG', 97: 'WavPack', 98: 'PPMd',
};

/** Bytes 0x80..0xFF of code page 437, the encoding of names without the UTF-8 flag. */
const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐' +
  '└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

const inflateRawAsync = promisify(inflateRaw);
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Whether a file starts like a zip archive (a local header, or the end record of an empty one). */
export function looksLikeZip(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b &&
    ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6));
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function u64(file: string, v: DataView, at: number, what: string): number {
  const value = v.getBigUint64(at, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new FormatError(file, `the ${what} ${value} is impossibly large`);
  return Number(value);
}

function decodeCp437(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b < 0x80 ? String.fromCharCode(b) : CP437_HIGH[b - 0x80]!;
  return out;
}

interface EndRecord {
  readonly count: number;
  readonly cdOffset: number;
  readonly cdSize: number;
  /** Where the central directory must end: the ZIP64 end record or the end record. */
  readonly cdLimit: number;
}

async function readEndRecord(source: ByteSource): Promise<EndRecord> {
  const { file, size } = source;
  if (size < EOCD_SIZE) throw new FormatError(file, `is too short to be a zip archive (${size} bytes)`);
  const tailLength = Math.min(size, EOCD_SIZE + MAX_COMMENT);
  const tailStart = size - tailLength;
  const tail = await source.read(tailStart, tailLength);
  const t = view(tail);
  // The comment may itself contain the signature: prefer a record whose comment ends exactly at
  // the end of the file, then the last one whose comment at least fits.
  let found = -1;
  for (let i = tailLength - EOCD_SIZE; i >= 0; i--) {
    if (t.getUint32(i, true) !== EOCD_SIGNATURE) continue;
    const end = i + EOCD_SIZE + t.getUint16(i + 20, true);
    if (end === tailLength) {
      found = i;
      break;
    }
    if (end < tailLength && found < 0) found = i;
  }
  if (found < 0) {
    throw new FormatError(file, 'has no zip end-of-central-directory record in its last 65,557 bytes; it is truncated or not a zip archive');
  }
  const eocdOffset = tailStart + found;
  const disk = t.getUint16(found + 4, true);
  const cdDisk = t.getUint16(found + 6, true);
  const diskEntries = t.getUint16(found + 8, true);
  let record: EndRecord & { disk: number; cdDisk: number; diskEntries: number } = {
    disk, cdDisk, diskEntries,
    count: t.getUint16(found + 10, true),
    cdSize: t.getUint32(found + 12, true),
    cdOffset: t.getUint32(found + 16, true),
    cdLimit: eocdOffset,
  };

  const locatorOffset = eocdOffset - LOCATOR_SIZE;
  const locator = locatorOffset >= 0 ? view(await source.read(locatorOffset, LOCATOR_SIZE)) : undefined;
  if (locator && locator.getUint32(0, true) === LOCATOR_SIGNATURE) {
    const eocd64Disk = locator.getUint32(4, true);
    const eocd64Offset = u64(file, locator, 8, 'ZIP64 end record offset');
    const disks = locator.getUint32(16, true);
    if (eocd64Disk !== 0 || disks > 1) throw new FormatError(file, `spans ${disks} disks; multi-part zip archives are not supported`);
    if (eocd64Offset + EOCD64_SIZE > locatorOffset) {
      throw new FormatError(file, `the ZIP64 end record offset ${eocd64Offset} leaves no room for the record before its locator at byte ${locatorOffset}`);
    }
    const r = view(await source.read(eocd64Offset, EOCD64_SIZE));
    if (r.getUint32(0, true) !== EOCD64_SIGNATURE) throw new FormatError(file, `has no ZIP64 end record at byte ${eocd64Offset}, where its locator points`);
    const recordSize = u64(file, r, 4, 'ZIP64 end record size');
    if (recordSize < EOCD64_SIZE - 12 || eocd64Offset + 12 + recordSize > locatorOffset) {
      throw new FormatError(file, `the ZIP64 end record claims ${recordSize} bytes, which does not fit between byte ${eocd64Offset} and its locator`);
    }
    record = {
      disk: r.getUint32(16, true),
      cdDisk: r.getUint32(20, true),
      diskEntries: u64(file, r, 24, 'entry count'),
      count: u64(file, r, 32, 'entry count'),
      cdSize: u64(file, r, 40, 'central directory size'),
      cdOffset: u64(file, r, 48, 'central directory offset'),
      cdLimit: eocd64Offset,
    };
  } else if (record.cdOffset === 0xffffffff || record.cdSize === 0xffffffff) {
    throw new FormatError(file, 'its end record defers to a ZIP64 end record, but no ZIP64 locator precedes it');
  }

  if (record.disk !== 0 || record.cdDisk !== 0 || record.diskEntries !== record.count) {
    throw new FormatError(file, 'spans several disks; multi-part zip archives are not supported');
  }
  if (record.cdOffset + record.cdSize > record.cdLimit) {
    throw new FormatError(
      file,
      `the central directory (${record.cdSize} bytes at offset ${record.cdOffset}) runs past its end record at byte ${record.cdLimit}; the archive is truncated or corrupt`,
    );
  }
  if (record.count * CENTRAL_SIZE > record.cdSize) {
    throw new FormatError(file, `claims ${record.count} members, more than its ${record.cdSize}-byte central directory can hold`);
  }
  if (record.cdSize > MAX_CENTRAL_DIRECTORY_BYTES) {
    throw new FormatError(file, `its central directory of ${record.cdSize} bytes exceeds the ${MAX_CENTRAL_DIRECTORY_BYTES}-byte limit`);
  }
  return record;
}

/** The ZIP64 extended information extra field supplies, in order, each value the header set to all ones. */
function applyZip64Extra(
  file: string,
  name: string,
  extra: DataView,
  fields: { size: number; compressedSize: number; localHeaderOffset: number; diskStart: number },
): void {
  let at = 0;
  while (at + 4 <= extra.byteLength) {
    const id = extra.getUint16(at, true);
    const length = extra.getUint16(at + 2, true);
    const start = at + 4;
    if (start + length > extra.byteLength) throw new FormatError(file, `member '${clip(name)}' has an extra field running past its header`);
    if (id === ZIP64_EXTRA_ID) {
      let p = start;
      const next = (what: string, bytes: 8 | 4): number => {
        if (p + bytes > start + length) throw new FormatError(file, `member '${clip(name)}' has a ZIP64 extra field too short to hold its ${what}`);
        const value = bytes === 8 ? u64(file, extra, p, `${what} of '${clip(name)}'`) : extra.getUint32(p, true);
        p += bytes;
        return value;
      };
      if (fields.size === 0xffffffff) fields.size = next('size', 8);
      if (fields.compressedSize === 0xffffffff) fields.compressedSize = next('compressed size', 8);
      if (fields.localHeaderOffset === 0xffffffff) fields.localHeaderOffset = next('header offset', 8);
      if (fields.diskStart === 0xffff) fields.diskStart = next('disk number', 4);
    }
    at = start + length;
  }
}

interface Member {
  readonly entry: ZipEntry;
  readonly crc: number;
  readonly nameLength: number;
  /** The member's data must end before this offset (the next member's header or the central directory). */
  limit: number;
  dataStart?: number;
}

function parseCentralDirectory(file: string, cd: Uint8Array, record: EndRecord, maxInflated: number): Member[] {
  const v = view(cd);
  const members: Member[] = [];
  const names = new Set<string>();
  let p = 0;
  for (let i = 0; i < record.count; i++) {
    if (p + CENTRAL_SIZE > cd.length || v.getUint32(p, true) !== CENTRAL_SIGNATURE) {
      throw new FormatError(file, `central directory entry ${i} at byte ${record.cdOffset + p} is missing or corrupt`);
    }
    const flags = v.getUint16(p + 8, true);
    const methodCode = v.getUint16(p + 10, true);
    const crc = v.getUint32(p + 16, true);
    const nameLength = v.getUint16(p + 28, true);
    const extraLength = v.getUint16(p + 30, true);
    const commentLength = v.getUint16(p + 32, true);
    const fields = {
      compressedSize: v.getUint32(p + 20, true),
      size: v.getUint32(p + 24, true),
      diskStart: v.getUint16(p + 34, true),
      localHeaderOffset: v.getUint32(p + 42, true),
    };
    const nameStart = p + CENTRAL_SIZE;
    const end = nameStart + nameLength + extraLength + commentLength;
    if (end > cd.length) throw new FormatError(file, `central directory entry ${i} runs past the end of the central directory`);
    const nameBytes = cd.subarray(nameStart, nameStart + nameLength);
    let name: string;
    if (flags & 0x800) {
      try {
        name = utf8.decode(nameBytes);
      } catch {
        throw new FormatError(file, `the name of member ${i} is flagged UTF-8 but is not valid UTF-8`);
      }
    } else {
      name = decodeCp437(nameBytes);
    }
    applyZip64Extra(file, name, new DataView(cd.buffer, cd.byteOffset + nameStart + nameLength, extraLength), fields);
    p = end;

    if (flags & 0x41 || methodCode === 99) throw new FormatError(file, `member '${clip(name)}' is encrypted; encrypted archives are not supported`);
    if (methodCode !== 0 && methodCode !== 8) {
      const known = METHOD_NAMES[methodCode];
      throw new FormatError(file, `member '${clip(name)}' uses compression method ${methodCode}${known ? ` (${known})` : ''}; only stored and deflated members are supported`);
    }
    if (fields.diskStart !== 0) throw new FormatError(file, `member '${clip(name)}' lies on disk ${fields.diskStart}; multi-part zip archives are not supported`);
    if (names.has(name)) throw new FormatError(file, `member '${clip(name)}' appears twice`);
    names.add(name);
    const { size, compressedSize, localHeaderOffset } = fields;
    const method = methodCode === 0 ? 'stored' : 'deflated';
    if (method === 'stored' && size !== compressedSize) {
      throw new FormatError(file, `stored member '${clip(name)}' declares ${compressedSize} bytes stored but ${size} uncompressed; they must agree`);
    }
    if (method === 'deflated') {
      if (size > MAX_DEFLATE_RATIO * compressedSize) {
        throw new FormatError(file, `member '${clip(name)}' claims to inflate ${compressedSize} bytes to ${size}, beyond what deflate can do; its size is a lie`);
      }
      if (size > maxInflated || compressedSize > maxInflated) {
        throw new FormatError(
          file,
          `compressed member '${clip(name)}' would inflate to ${size} bytes, more than the ${maxInflated}-byte limit for inflating in memory; save it uncompressed (np.savez rather than np.savez_compressed)`,
        );
      }
    }
    if (localHeaderOffset + LOCAL_SIZE + nameLength + compressedSize > record.cdOffset) {
      throw new FormatError(
        file,
        `member '${clip(name)}' (${compressedSize} bytes, header at byte ${localHeaderOffset}) runs into the central directory at byte ${record.cdOffset}`,
      );
    }
    const entry: ZipEntry = Object.freeze({ name, method, compressedSize, size, localHeaderOffset });
    members.push({ entry, crc, nameLength, limit: record.cdOffset });
  }
  if (p !== record.cdSize) {
    throw new FormatError(file, `its central directory holds ${record.cdSize} bytes but its ${record.count} entries fill ${p}`);
  }
  // Overlapping members let a small archive expand enormously (and hide data): refuse them.
  const byOffset = [...members].sort((a, b) => a.entry.localHeaderOffset - b.entry.localHeaderOffset);
  for (let i = 1; i < byOffset.length; i++) {
    const previous = byOffset[i - 1]!;
    const next = byOffset[i]!;
    previous.limit = next.entry.localHeaderOffset;
    if (previous.entry.localHeaderOffset + LOCAL_SIZE + previous.nameLength + previous.entry.compressedSize > previous.limit) {
      throw new FormatError(file, `members '${clip(previous.entry.name)}' and '${clip(next.entry.name)}' overlap`);
    }
  }
  return members;
}

class Archive implements ZipArchive {
  readonly file: string;
  readonly entries: readonly ZipEntry[];
  private readonly byName = new Map<string, Member>();
  private readonly byEntry = new Map<ZipEntry, Member>();
  /** The one inflated member kept, so streaming reads of a member inflate it once. */
  private inflated?: { readonly member: Member; readonly bytes: Promise<Uint8Array> };

  constructor(
    private readonly source: ByteSource,
    members: readonly Member[],
  ) {
    this.file = source.file;
    this.entries = members.map((m) => m.entry);
    for (const member of members) {
      this.byName.set(member.entry.name, member);
      this.byEntry.set(member.entry, member);
    }
  }

  find(name: string): ZipEntry | undefined {
    return this.byName.get(name)?.entry;
  }

  async open(entry: ZipEntry): Promise<ByteSource> {
    const member = this.byEntry.get(entry);
    if (!member) throw new FormatError(this.file, `has no member '${clip(entry.name)}' (the entry belongs to another archive)`);
    const dataStart = await this.dataStart(member);
    return entry.method === 'stored'
      ? sliceSource(this.source, dataStart, entry.size)
      : this.deflatedSource(member, dataStart);
  }

  close(): Promise<void> {
    this.inflated = undefined;
    return this.source.close();
  }

  /** The local header's own name and extra lengths (which may differ from the central ones) place the data. */
  private async dataStart(member: Member): Promise<number> {
    if (member.dataStart !== undefined) return member.dataStart;
    const { entry } = member;
    const header = view(await this.source.read(entry.localHeaderOffset, LOCAL_SIZE));
    if (header.getUint32(0, true) !== LOCAL_SIGNATURE) {
      throw new FormatError(this.file, `member '${clip(entry.name)}' has no local header at byte ${entry.localHeaderOffset}`);
    }
    const method = header.getUint16(8, true);
    if (method !== (entry.method === 'stored' ? 0 : 8)) {
      throw new FormatError(this.file, `member '${clip(entry.name)}' has compression method ${method} in its local header but ${entry.method} in the central directory`);
    }
    const dataStart = entry.localHeaderOffset + LOCAL_SIZE + header.getUint16(26, true) + header.getUint16(28, true);
    if (dataStart + entry.compressedSize > member.limit) {
      throw new FormatError(
        this.file,
        `member '${clip(entry.name)}' has data at bytes ${dataStart}..${dataStart + entry.compressedSize}, past the start of what follows it at byte ${member.limit}`,
      );
    }
    member.dataStart = dataStart;
    return dataStart;
  }

  private deflatedSource(member: Member, dataStart: number): ByteSource {
    const { file } = this;
    const { size } = member.entry;
    return {
      file,
      size,
      read: async (offset, length) => {
        if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
          throw new FormatError(file, `bytes ${offset}..${offset + length} lie outside member '${clip(member.entry.name)}' (${size} bytes)`);
        }
        const end = offset + length;
        const bytes = end <= HEAD_BYTES && size >= HEAD_INFLATE_MIN_MEMBER
          ? await this.inflateHead(member, dataStart, end)
          : await this.inflateWhole(member, dataStart);
        return bytes.subarray(offset, end);
      },
      close: async () => {},
    };
  }

  private inflateWhole(member: Member, dataStart: number): Promise<Uint8Array> {
    if (this.inflated?.member !== member) this.inflated = { member, bytes: this.inflate(member, dataStart) };
    return this.inflated.bytes;
  }

  private async inflate(member: Member, dataStart: number): Promise<Uint8Array> {
    const { entry } = member;
    const out = await this.runInflate(entry, await this.source.read(dataStart, entry.compressedSize), false);
    if (out.length !== entry.size) {
      throw new FormatError(this.file, `member '${clip(entry.name)}' inflates to ${out.length} bytes, not the ${entry.size} its header declares`);
    }
    if (crc32(out) !== member.crc) {
      throw new FormatError(this.file, `member '${clip(entry.name)}' fails its CRC-32 check; the archive is corrupt`);
    }
    return out;
  }

  /**
   * The first `want` or more bytes of a member, inflating growing prefixes of its compressed data
   * (a sync flush yields what a prefix decodes to) rather than the whole member. The first prefix
   * is small because highly compressible weights expand a thousandfold.
   */
  private async inflateHead(member: Member, dataStart: number, want: number): Promise<Uint8Array> {
    const { entry } = member;
    for (let take = Math.min(entry.compressedSize, 2 ** 10); ; take = Math.min(entry.compressedSize, take * 8)) {
      const out = await this.runInflate(entry, await this.source.read(dataStart, take), true);
      if (out.length >= want) return out;
      if (take === entry.compressedSize) {
        throw new FormatError(this.file, `member '${clip(entry.name)}' inflates to ${out.length} bytes, not the ${entry.size} its header declares`);
      }
    }
  }

  private async runInflate(entry: ZipEntry, compressed: Uint8Array, partial: boolean): Promise<Uint8Array> {
    try {
      const out = await inflateRawAsync(compressed, {
        // zlib refuses a limit of 0; an empty member is checked by length afterwards.
        maxOutputLength: Math.max(1, entry.size),
        ...(partial ? { finishFlush: constants.Z_SYNC_FLUSH } : {}),
      });
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new FormatError(this.file, `member '${clip(entry.name)}' inflates to more than the ${entry.size} bytes its header declares`);
      }
      throw new FormatError(this.file, `member '${clip(entry.name)}' is not valid deflate data (${(error as Error).message})`);
    }
  }
}

/** Reads a zip archive's directory; member data is read only when a member is opened and read. */
export async function openZip(source: ByteSource, options: ZipOptions = {}): Promise<ZipArchive> {
  const maxInflated = options.maxInflatedBytes ?? DEFAULT_MAX_INFLATED_BYTES;
  const record = await readEndRecord(source);
  const cd = await source.read(record.cdOffset, record.cdSize);
  return new Archive(source, parseCentralDirectory(source.file, cd, record, maxInflated));
}
