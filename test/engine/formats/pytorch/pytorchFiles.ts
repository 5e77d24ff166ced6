import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Checkpoint } from '../../../../src/engine/formats/checkpoint';
import { openPytorch } from '../../../../src/engine/formats/pytorch/openPytorch';
import { FormatError } from '../../../../src/engine/io/formatError';
import { tempDir } from '../../../helpers/paths';

/** A tensor as the fixture scripts record what torch wrote (expected.json, expected_training.json). */
export interface ExpectedTensor {
  readonly name: string;
  readonly dtype: string;
  readonly shape: number[];
  readonly sha256: string;
  readonly values?: Array<number | string>;
  readonly first?: number[];
  readonly sum?: number;
}

/** Opens `file` as a PyTorch checkpoint for `use`, closing it whatever happens. */
export async function withCheckpoint<T>(file: string, use: (checkpoint: Checkpoint) => Promise<T>): Promise<T> {
  const checkpoint = await openPytorch(file);
  try {
    return await use(checkpoint);
  } finally {
    await checkpoint.close();
  }
}

/** Asserts that opening `file` is refused with one line matching `pattern`. */
export async function rejects(file: string, pattern: RegExp): Promise<void> {
  await assert.rejects(openPytorch(file), (error: unknown) => {
    assert.ok(error instanceof FormatError, `expected a FormatError, got ${String(error)}`);
    assert.match(error.message, pattern);
    assert.equal(error.message.split('\n').length, 1);
    return true;
  });
}

/** Writes `bytes` to a fresh temporary folder as `name`; returns the path. */
export function write(name: string, bytes: Uint8Array | string): string {
  const file = join(tempDir(), name);
  writeFileSync(file, bytes);
  return file;
}
