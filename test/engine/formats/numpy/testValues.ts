import type { TensorData } from '../../../../src/engine/formats/checkpoint';

/** Values as expected.json writes them: 64-bit integers as decimal strings, everything else as numbers. */
export function valuesAsWritten(tensor: TensorData): (number | string)[] {
  return Array.from(tensor.data as ArrayLike<number | bigint>, (x) => (typeof x === 'bigint' ? String(x) : x));
}

export interface ExpectedTensor {
  name: string;
  descr: string;
  dtype: string;
  shape: number[];
  fortran: boolean;
  values: (number | string)[];
}

export interface ExpectedFile {
  version?: string;
  tensors: ExpectedTensor[];
}
