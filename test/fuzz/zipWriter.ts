import { buildZip } from '../helpers/buildZip';

/** One member of a zip archive the fuzzer writes. */
export interface ZipMember {
  readonly name: string;
  readonly data: Uint8Array;
  readonly deflate?: boolean;
  /** The uncompressed size the headers declare, when it should lie (zip bombs and their reverse). */
  readonly declaredSize?: number;
}

/**
 * A plain zip archive (no zip64, no data descriptors), enough to rebuild a PyTorch archive or an
 * .npz around a mutated member. Sizes that do not fit 32 bits are written modulo 2^32, which is
 * itself a lie worth feeding the reader.
 */
export function writeZip(members: readonly ZipMember[]): Uint8Array {
  return buildZip(
    members.map((m) => ({
      name: m.name,
      data: m.data,
      method: m.deflate ? 'deflated' : 'stored',
      ...(m.declaredSize === undefined ? {} : { declaredSize: m.declaredSize }),
    })),
  ).bytes;
}
