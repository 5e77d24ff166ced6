import type { ByteSource } from '../../io/byteSource';
import { FormatError, clip } from '../../io/formatError';
import { DTYPES, elementCount } from '../../tensors/dtype';
import type { StoredTensor } from '../../tensors/storedTensor';
import { readNpyHeader, type NpyHeader } from './npyHeader';

/** Column-major element strides: the first index varies fastest. */
function fortranStrides(shape: readonly number[]): number[] {
  const strides: number[] = [];
  let step = 1;
  for (const d of shape) {
    strides.push(step);
    step *= d;
  }
  return strides;
}

/**
 * The one array held by the .npy data in `source`, named `name`. The data section must hold
 * exactly the array's bytes: fewer means a truncated file, more a header that lies about the shape.
 * `context` prefixes every message (an .npz names the member).
 */
export async function npyTensor(source: ByteSource, name: string, context = ''): Promise<{ tensor: StoredTensor; header: NpyHeader }> {
  const header = await readNpyHeader(source, context);
  const { shape, dtype } = header;
  const byteSize = elementCount(shape) * DTYPES[dtype].bytes;
  const available = source.size - header.dataOffset;
  const describe = `shape (${clip(shape.join(', '))}) of ${clip(header.descr)}`;
  if (!Number.isSafeInteger(byteSize)) throw new FormatError(source.file, `${context}${describe} needs more bytes than can be addressed`);
  if (available < byteSize) {
    throw new FormatError(source.file, `${context}the data holds ${available} bytes but ${describe} needs ${byteSize}; the file is truncated`);
  }
  if (available > byteSize) {
    throw new FormatError(source.file, `${context}${available - byteSize} trailing bytes follow the ${byteSize} that ${describe} needs; the header does not match the data`);
  }
  const tensor: StoredTensor = {
    info: { name, dtype, shape, byteSize },
    source,
    byteOffset: header.dataOffset,
    storedDtype: dtype,
    ...(header.fortranOrder && shape.length > 1 ? { strides: fortranStrides(shape) } : {}),
    ...(header.bigEndian ? { bigEndian: true } : {}),
  };
  return { tensor, header };
}
