/**
 * Element types, named as the safetensors spec names them; every reader maps its own names
 * (PyTorch storages, NumPy descrs, TensorFlow.js dtypes) onto these. The names alone: sizes,
 * kinds and decoding live with the engine (src/engine/tensors/dtype.ts).
 */
export type DType =
  | 'F64' | 'F32' | 'F16' | 'BF16' | 'F8_E4M3' | 'F8_E5M2'
  | 'I64' | 'I32' | 'I16' | 'I8'
  | 'U64' | 'U32' | 'U16' | 'U8'
  | 'BOOL'
  | 'C64' | 'C128';
