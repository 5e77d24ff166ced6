import type { CheckpointFormatId } from '../../shared/checkpointFormats';
import type { DType, TensorArray } from '../tensors/dtype';

/** The ids of src/shared/checkpointFormats.ts, the one list of formats. */
export type CheckpointFormat = CheckpointFormatId;

/** What a listing shows of one tensor, known from the header alone. */
export interface TensorInfo {
  readonly name: string;
  /** The tensor's logical element type (for quantized TensorFlow.js weights: the type they decode to). */
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Bytes the tensor occupies in the file, as stored. */
  readonly byteSize: number;
  /** How the bytes are quantized, when they are (TensorFlow.js). */
  readonly quantization?: { readonly dtype: DType; readonly scale?: number; readonly min?: number };
}

/** A tensor's values in its own element type, row-major (C order) whatever the file's layout. */
export interface TensorData {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: TensorArray;
}

/**
 * The one interface every checkpoint format offers. Opening one reads only headers and indexes;
 * tensor bytes are read when a tensor is asked for.
 */
export interface Checkpoint {
  readonly file: string;
  readonly format: CheckpointFormat;
  /** In the file's own order. */
  readonly tensors: readonly TensorInfo[];
  /** File-level metadata (safetensors `__metadata__`, PyTorch archive version, ...). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Things the reader decided that the user should know (e.g. which wrapper key held the state_dict). */
  readonly notes: readonly string[];
  /** The tensor's entry; a FormatError naming the file if there is none. */
  info(name: string): TensorInfo;
  read(name: string): Promise<TensorData>;
  /** Values as float32, the type all math runs in. */
  readFloat32(name: string): Promise<Float32Array>;
  /**
   * Visits the values as float32 in row-major order, at most `chunkElements` at a time, so that
   * statistics of a tensor larger than memory can be computed.
   */
  streamFloat32(name: string, chunkElements: number, visit: (chunk: Float32Array) => void): Promise<void>;
  close(): Promise<void>;
}
