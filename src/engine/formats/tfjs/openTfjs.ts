import { concatSource, openFileSource, type ByteSource } from '../../io/byteSource';
import { FormatError, clip, ensure } from '../../io/formatError';
import { DTYPES, elementCount, isValidShape, type DType } from '../../tensors/dtype';
import { StoredCheckpoint, type StoredTensor } from '../../tensors/storedTensor';
import type { Checkpoint, TensorInfo } from '../checkpoint';
import { resolveSibling } from '../siblingPath';
import { isJsonObject, quoteJson, readJsonObjectFile } from '../strictJson';

/**
 * model.json carries the whole topology (a graph model's GraphDef as JSON), so it may be large;
 * this bound stays well under the longest string V8 can hold.
 */
const MAX_MODEL_JSON_BYTES = 256 * 1024 * 1024;

/** TensorFlow.js weight dtypes that have a fixed width. */
const WEIGHT_DTYPES: Readonly<Record<string, DType>> = { float32: 'F32', int32: 'I32', bool: 'BOOL', complex64: 'C64' };

const QUANTIZED_DTYPES: Readonly<Record<string, DType>> = { uint8: 'U8', uint16: 'U16', float16: 'F16' };

/** One weight's place in its group's bytes, as the manifest describes it. */
type Layout = Omit<StoredTensor, 'source' | 'byteOffset'>;

function describeWeight(file: string, where: string, spec: unknown): Layout {
  ensure(isJsonObject(spec), file, `${where} is not an object`);
  const { name, shape, dtype, quantization } = spec;
  ensure(typeof name === 'string', file, `${where} has no name`);
  const weight = `weight '${clip(name)}'`;
  ensure(isValidShape(shape), file, () => `${weight} has an invalid shape ${quoteJson(shape)}`);
  ensure(typeof dtype === 'string', file, `${weight} has no dtype`);
  // A string weight stores each element's length in front of it, so its size is known only by reading it all.
  ensure(dtype !== 'string', file, `${weight} has dtype string, whose size cannot be known without reading its bytes; Merge Lens reads numeric weights only`);
  const logical = WEIGHT_DTYPES[dtype];
  ensure(logical !== undefined, file, `${weight} has the unsupported dtype '${clip(dtype)}'`);
  const count = elementCount(shape);

  if (quantization === undefined || quantization === null) {
    const info: TensorInfo = { name, dtype: logical, shape, byteSize: count * DTYPES[logical].bytes };
    return { info, storedDtype: logical };
  }
  return describeQuantized(file, weight, name, shape, dtype, count, quantization);
}

function describeQuantized(
  file: string,
  weight: string,
  name: string,
  shape: number[],
  dtype: string,
  count: number,
  quantization: unknown,
): Layout {
  ensure(isJsonObject(quantization), file, `${weight} has a quantization entry that is not an object`);
  const { dtype: qname, scale, min } = quantization;
  const stored = typeof qname === 'string' ? QUANTIZED_DTYPES[qname] : undefined;
  ensure(stored !== undefined, file, () => `${weight} has the unknown quantization dtype ${quoteJson(qname)} (uint8, uint16 or float16 expected)`);
  const byteSize = count * DTYPES[stored].bytes;
  if (stored === 'F16') {
    ensure(dtype === 'float32', file, `${weight} is ${dtype} but float16 quantization applies only to float32 weights`);
    return { info: { name, dtype: 'F32', shape, byteSize, quantization: { dtype: 'F16' } }, storedDtype: 'F16' };
  }
  ensure(dtype === 'float32' || dtype === 'int32', file, `${weight} is ${dtype}, which TensorFlow.js does not dequantize`);
  ensure(
    typeof scale === 'number' && Number.isFinite(scale) && typeof min === 'number' && Number.isFinite(min),
    file,
    `${weight} is ${qname}-quantized but lacks a finite scale and min`,
  );
  return {
    info: { name, dtype: 'F32', shape, byteSize, quantization: { dtype: stored, scale, min } },
    storedDtype: stored,
    affine: { scale, min, round: dtype === 'int32' },
  };
}

async function openShard(modelJsonFile: string, group: number, path: unknown): Promise<ByteSource> {
  ensure(typeof path === 'string', modelJsonFile, `weightsManifest group ${group} lists a path that is not a string`);
  const resolved = resolveSibling(modelJsonFile, path, 'weight file');
  try {
    return await openFileSource(resolved);
  } catch (error) {
    const why = error instanceof FormatError ? error.problem : String(error);
    throw new FormatError(modelJsonFile, `weight file '${clip(path)}' of weightsManifest group ${group} cannot be read: ${why}`);
  }
}

/**
 * Refuses a weight file that the manifest lists twice, before any is opened. No converter writes
 * one, and a model.json that repeats one name a million times would otherwise have it opened a
 * million times (20,000 repeats of a 20-byte name already take seconds).
 */
function refuseRepeatedPaths(modelJsonFile: string, manifest: readonly unknown[]): void {
  const groupOf = new Map<string, number>();
  for (const [g, group] of manifest.entries()) {
    const paths = isJsonObject(group) && Array.isArray(group.paths) ? group.paths : [];
    for (const path of paths) {
      if (typeof path !== 'string') continue;
      const first = groupOf.get(path);
      if (first !== undefined) {
        const where = first === g ? `twice in weightsManifest group ${g}` : `in weightsManifest groups ${first} and ${g}`;
        throw new FormatError(modelJsonFile, `weight file '${clip(path)}' is listed ${where}; each weight file holds its own part of one group`);
      }
      groupOf.set(path, g);
    }
  }
}

/**
 * Opens a TensorFlow.js model (layers or graph) through its model.json. Within each manifest group
 * the weights lie back to back across the group's shard files, in manifest order.
 */
export async function openTfjs(modelJsonFile: string): Promise<Checkpoint> {
  const model = await readJsonObjectFile(modelJsonFile, MAX_MODEL_JSON_BYTES, 'model.json');
  const manifest = model.weightsManifest;
  ensure(Array.isArray(manifest), modelJsonFile, 'has no weightsManifest list, so it is not a TensorFlow.js model.json');

  refuseRepeatedPaths(modelJsonFile, manifest);
  const sources: ByteSource[] = [];
  try {
    const stored: StoredTensor[] = [];
    const quantized = new Map<string, number>();
    for (const [g, group] of manifest.entries()) {
      ensure(isJsonObject(group), modelJsonFile, `weightsManifest group ${g} is not an object`);
      const { paths, weights } = group;
      ensure(Array.isArray(paths), modelJsonFile, `weightsManifest group ${g} has no paths list`);
      ensure(Array.isArray(weights), modelJsonFile, `weightsManifest group ${g} has no weights list`);

      const layouts = weights.map((spec, i) => describeWeight(modelJsonFile, `weight ${i} of weightsManifest group ${g}`, spec));
      const described = layouts.reduce((sum, layout) => sum + layout.info.byteSize, 0);

      const parts: ByteSource[] = [];
      for (const path of paths) {
        const part = await openShard(modelJsonFile, g, path);
        parts.push(part);
        sources.push(part);
      }
      const source = concatSource(modelJsonFile, parts);
      if (described !== source.size) {
        const diff = described > source.size
          ? `${described - source.size} bytes more than its files hold`
          : `${source.size - described} bytes fewer than its files hold`;
        throw new FormatError(modelJsonFile, `weightsManifest group ${g} describes ${described} bytes of weights but its ${parts.length} file(s) hold ${source.size}: ${diff}`);
      }

      let offset = 0;
      for (const layout of layouts) {
        stored.push({ ...layout, source, byteOffset: offset });
        offset += layout.info.byteSize;
        const q = layout.info.quantization;
        if (q) quantized.set(q.dtype, (quantized.get(q.dtype) ?? 0) + 1);
      }
    }

    const metadata: Record<string, string> = {};
    for (const key of ['format', 'generatedBy', 'convertedBy']) {
      const value = model[key];
      if (typeof value === 'string') metadata[key] = value;
    }
    const notes = [...quantized].map(
      ([dtype, count]) => `${count} weight(s) are stored quantized as ${dtype} and are read dequantized to float32`,
    );
    return new StoredCheckpoint(modelJsonFile, 'tfjs', stored, metadata, notes, sources);
  } catch (error) {
    await Promise.all(sources.map((source) => source.close()));
    throw error;
  }
}
