/**
 * The optional package that brings native TensorFlow. A report's `backendDetail` names it where
 * it was passed over ("wasm (SIMD, 1 thread); @tensorflow/tfjs-node is not installed"), and the
 * editor's hint (src/extension/backendHint.ts) reads that.
 */
export const NATIVE_BACKEND_PACKAGE = '@tensorflow/tfjs-node';

/** Why `auto` passed native TensorFlow over, from a report's backendDetail; null when it ran or was not tried. */
export function nativeBackendMissing(detail: string): string | null {
  return detail.split('; ').find((part) => part.startsWith(`${NATIVE_BACKEND_PACKAGE} `)) ?? null;
}
