import { CHECKPOINT_FORMATS, CHECKPOINT_FORMATS_PROSE, checkpointFormatOfName, type CheckpointFormatId } from '../../shared/checkpointFormats';
import { openFileSource, type ByteSource } from '../io/byteSource';
import { FormatError } from '../io/formatError';
import type { Checkpoint } from './checkpoint';
import { contentEvidence } from './contentFormat';
import { openNpy } from './numpy/openNpy';
import { openNpz } from './numpy/openNpz';
import { openPytorch } from './pytorch/openPytorch';
import { openSafetensors } from './safetensors/openSafetensors';
import { openShardedSafetensors } from './safetensors/openShardedSafetensors';
import { openTfjs } from './tfjs/openTfjs';

type Opener = (file: string) => Promise<Checkpoint>;

/** One reader per format of the registry: a format listed there without a reader here does not compile. */
const OPENERS: Readonly<Record<CheckpointFormatId, Opener>> = {
  safetensors: openSafetensors,
  'safetensors-sharded': openShardedSafetensors,
  pytorch: openPytorch,
  npz: openNpz,
  npy: openNpy,
  tfjs: openTfjs,
};

/**
 * Chooses the reader: bytes that surely are one format decide over the name (a safetensors file
 * saved as .pt opens as safetensors); bytes that only start like a format must agree with the name.
 */
async function chooseFormat(file: string, source: ByteSource): Promise<CheckpointFormatId | undefined> {
  const named = checkpointFormatOfName(file);
  const evidence = await contentEvidence(source, named);
  // Bytes that say nothing: the reader the name asks for best explains why the file is not one
  // (which magic number is missing, where the JSON breaks).
  if (evidence === undefined) return named;
  if (evidence.strong || named === undefined || named === evidence.format) return evidence.format;
  const label = CHECKPOINT_FORMATS.find((f) => f.id === named)!.label;
  throw new FormatError(file, `the file name says ${label} but the bytes say ${evidence.description}; neither is certain, so it is not opened as either`);
}

/** Opens any checkpoint of a format in src/shared/checkpointFormats.ts. */
export async function openCheckpoint(file: string): Promise<Checkpoint> {
  const source = await openFileSource(file);
  let format: CheckpointFormatId | undefined;
  try {
    format = await chooseFormat(file, source);
  } finally {
    await source.close();
  }
  if (!format) {
    throw new FormatError(file, source.size === 0 ? 'is empty (0 bytes)' : `is not a checkpoint format Merge Lens reads: ${CHECKPOINT_FORMATS_PROSE}`);
  }
  return OPENERS[format](file);
}
