import type { CheckpointFormatId } from '../../shared/checkpointFormats';
import type { ByteSource } from '../io/byteSource';
import { looksLikeZip } from '../io/zip';
import { isPickleOpcode } from './pytorch/pickle';
import { MAX_HEADER_BYTES } from './safetensors/openSafetensors';

/**
 * What a file's bytes say it is. Strong evidence is structure that another format's file would
 * match only by an unlikely accident (a safetensors header whose JSON spans exactly its declared
 * length); weak evidence is a first byte or two that a file of another format can share (a
 * safetensors header length whose low byte is 0x80 starts like a pickle's PROTO opcode).
 */
export interface ContentEvidence {
  readonly format: CheckpointFormatId;
  readonly strong: boolean;
  /** For people, after "the bytes say": "a pickle of protocol 2". */
  readonly description: string;
}

const HEAD_BYTES = 64;
const SPACE_SCAN_CHUNK = 1 << 16;
const JSON_SPACE: ReadonlySet<number> = new Set([0x20, 0x09, 0x0a, 0x0d]);
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const PROTO = 0x80;
const FRAME = 0x95;

/**
 * The first byte of [from, to) that is not JSON whitespace, scanning from the end when `fromEnd`;
 * undefined when all are. Reads at most to - from bytes, in chunks.
 */
async function edgeByte(source: ByteSource, from: number, to: number, fromEnd: boolean): Promise<number | undefined> {
  for (let done = 0; done < to - from; ) {
    const length = Math.min(SPACE_SCAN_CHUNK, to - from - done);
    const bytes = await source.read(fromEnd ? to - done - length : from + done, length);
    for (let i = 0; i < length; i++) {
      const byte = bytes[fromEnd ? length - 1 - i : i]!;
      if (!JSON_SPACE.has(byte)) return byte;
    }
    done += length;
  }
  return undefined;
}

/** Why the bytes are not a whole safetensors header, or undefined when they are one. */
async function safetensorsFlaw(source: ByteSource, head: Uint8Array): Promise<string | undefined> {
  const declared = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
  if (declared > BigInt(Math.min(source.size - 8, MAX_HEADER_BYTES))) {
    return `its declared header length ${declared} does not fit the file (${source.size} bytes)`;
  }
  const length = Number(declared);
  if ((await edgeByte(source, 8, 8 + length, false)) !== OPEN_BRACE) return `its ${length}-byte header does not start with '{'`;
  if ((await edgeByte(source, 8, 8 + length, true)) !== CLOSE_BRACE) return `its ${length}-byte header does not end with '}'`;
  return undefined;
}

/** Why the bytes are not the start of a pickle of protocol 2–5 (torch.save's), or undefined when they are. */
function pickleFlaw(size: number, head: Uint8Array): string | undefined {
  const protocol = head[1];
  if (protocol === undefined || protocol < 2 || protocol > 5) return `its protocol byte ${protocol ?? '(missing)'} is none of 2–5`;
  const next = head[2];
  if (next === undefined) return 'nothing follows its protocol';
  if (!isPickleOpcode(next)) return `the byte after its protocol, 0x${next.toString(16).padStart(2, '0')}, is not a pickle opcode`;
  if (next === FRAME) {
    if (head.length < 11) return 'its first frame has no length';
    const frame = new DataView(head.buffer, head.byteOffset + 3, 8).getBigUint64(0, true);
    if (frame > BigInt(size - 11)) return `its first frame (${frame} bytes) runs past the end of the file (${size} bytes)`;
  }
  return undefined;
}

/**
 * The format a file's bytes say, with how sure they are; undefined when they say nothing.
 * `named` is the format the file's name says: it tells apart formats whose bytes look alike
 * (a PyTorch archive and an .npz are both zip archives; a sharded safetensors index and a
 * TensorFlow.js manifest are both JSON).
 */
export async function contentEvidence(source: ByteSource, named: CheckpointFormatId | undefined): Promise<ContentEvidence | undefined> {
  const head = await source.read(0, Math.min(HEAD_BYTES, source.size));
  // Before any magic number: a header length's low bytes can be anything, '\x80', '{' or 'PK' included.
  const safetensors = head.length > 8 ? await safetensorsFlaw(source, head) : 'it is too short';
  if (safetensors === undefined) return { format: 'safetensors', strong: true, description: 'a safetensors header' };
  if (String.fromCharCode(...head.subarray(0, 6)) === '\x93NUMPY') return { format: 'npy', strong: true, description: 'a NumPy array' };
  if (looksLikeZip(head)) return { format: named === 'npz' ? 'npz' : 'pytorch', strong: true, description: 'a zip archive' };
  if (head[0] === PROTO) {
    const flaw = pickleFlaw(source.size, head);
    if (flaw === undefined) return { format: 'pytorch', strong: true, description: `a pickle of protocol ${head[1]}` };
    // A safetensors header cut short or damaged still reads best as one when its '{' is where it belongs.
    if (head[6] !== 0 || head[7] !== 0 || head[8] !== OPEN_BRACE) {
      return { format: 'pytorch', strong: false, description: `the start of a pickle (0x80), but ${flaw}` };
    }
  }
  if (head.length > 8 && head[6] === 0 && head[7] === 0 && head[8] === OPEN_BRACE) {
    return { format: 'safetensors', strong: false, description: `the start of a safetensors file, but ${safetensors}` };
  }
  if (head.find((b) => !JSON_SPACE.has(b)) === OPEN_BRACE) {
    return { format: named === 'safetensors-sharded' ? named : 'tfjs', strong: false, description: 'JSON text' };
  }
  return undefined;
}
