import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';

export interface SparseTensorSpec {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly bytes: number;
}

/**
 * Writes a safetensors header for tensors laid back to back and extends the file to its full
 * size without writing the data: a sparse file, so a test can have a multi-gigabyte checkpoint
 * that costs no disk and reads as zeros.
 */
export function writeSparseSafetensors(file: string, tensors: readonly SparseTensorSpec[]): number {
  const header: Record<string, unknown> = { __metadata__: { made_by: 'merge-lens tests' } };
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes] };
    offset += t.bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, prefix);
    writeSync(fd, json);
    ftruncateSync(fd, 8 + json.length + offset);
  } finally {
    closeSync(fd);
  }
  return 8 + json.length + offset;
}
