import { DTYPES, type DType } from '../tensors/dtype';

const NUMPY_NAMES: Readonly<Record<DType, string>> = {
  F64: 'float64', F32: 'float32', F16: 'float16', BF16: 'bfloat16', F8_E4M3: 'float8_e4m3', F8_E5M2: 'float8_e5m2',
  I64: 'int64', I32: 'int32', I16: 'int16', I8: 'int8',
  U64: 'uint64', U32: 'uint32', U16: 'uint16', U8: 'uint8',
  BOOL: 'bool', C64: 'complex64', C128: 'complex128',
};

/** The dtype as people know it from NumPy, for notes and messages. */
export function dtypeName(dtype: DType): string {
  return NUMPY_NAMES[dtype];
}

/**
 * Applies the input convention in place and says what it did: uint8 values are pixels and go to
 * [0, 1] (divided by 255, as torchvision's ToTensor does); every other type is kept as it is,
 * since only uint8 has an agreed meaning (floats are usually normalized already, wider integers
 * are not pixels).
 */
export function scaleInputs(dtype: DType, values: Float32Array, what: string): string {
  if (dtype === 'U8') {
    // float32 / 255 rounded once, as the float32 division in PyTorch and NumPy is.
    for (let i = 0; i < values.length; i++) values[i] = values[i]! / 255;
    return `${what} are uint8: scaled to [0, 1] (divided by 255, as torchvision's ToTensor does)`;
  }
  if (DTYPES[dtype].kind === 'float') return `${what} are ${dtypeName(dtype)}: kept as they are (no scaling)`;
  return `${what} are ${dtypeName(dtype)}: converted to float32 unscaled (only uint8 inputs are taken for pixels)`;
}
