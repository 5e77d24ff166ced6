import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, ftruncateSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { openTfjs } from '../../../../src/engine/formats/tfjs/openTfjs';

type Spec = tf.io.WeightsManifestEntry;

function concat(parts: readonly ArrayBuffer[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(new Uint8Array(part), at);
    at += part.byteLength;
  }
  return out;
}

/** A copy of `bytes` as its own ArrayBuffer, which is what tf.io.decodeWeights takes. */
function arrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return Uint8Array.prototype.slice.call(bytes).buffer as ArrayBuffer;
}

interface Group {
  weights: Spec[];
  data: Uint8Array;
  /** Where the converter-style shards end (the last one ends at data.length). */
  cuts: number[];
  prefix: string;
}

/**
 * Writes model.json and its shard files as the TensorFlow.js converter lays them out: each
 * group's weight bytes concatenated, then cut into shards named groupN-shardKofM.bin.
 */
function writeModel(groups: Group[], extra: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'merge-lens-'));
  const weightsManifest = groups.map((group) => {
    const ends = [...group.cuts, group.data.length];
    const paths = ends.map((_, k) => `${group.prefix}-shard${k + 1}of${ends.length}.bin`);
    let start = 0;
    ends.forEach((end, k) => {
      writeFileSync(join(dir, paths[k]!), group.data.subarray(start, end));
      start = end;
    });
    return { paths, weights: group.weights };
  });
  const file = join(dir, 'model.json');
  writeFileSync(file, JSON.stringify({ modelTopology: {}, ...extra, weightsManifest }));
  return file;
}

/** A small Keras-style model with random weights, saved by TensorFlow.js itself. */
async function savedModel(): Promise<{ specs: Spec[]; data: Uint8Array; generatedBy: string; values: Float32Array[] }> {
  const model = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [5], units: 7, activation: 'relu' }), tf.layers.dense({ units: 3 })],
  });
  model.setWeights(model.getWeights().map((w, i) => tf.randomNormal(w.shape, 0, 1, 'float32', 7 + i)));
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (saved) => {
      artifacts = saved;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const weightData = artifacts!.weightData!;
  const data = concat(Array.isArray(weightData) ? weightData : [weightData]);
  const values = model.getWeights().map((w) => w.dataSync() as Float32Array);
  return { specs: artifacts!.weightSpecs!, data, generatedBy: artifacts!.generatedBy!, values };
}

test('a layers model saved by TensorFlow.js, its weights straddling shard files, reads back exactly', async () => {
  const { specs, data, generatedBy, values } = await savedModel();
  assert.equal(data.length, (35 + 7 + 21 + 3) * 4);
  // 100-byte shards: the first kernel (bytes 0..140) straddles the first cut, the second (168..252) the next.
  assert.deepEqual(specs.map((s) => s.shape), [[5, 7], [7], [7, 3], [3]]);
  const file = writeModel([{ weights: specs, data, cuts: [100, 200], prefix: 'group1' }], {
    format: 'layers-model',
    generatedBy,
    convertedBy: null,
  });
  const decoded = tf.io.decodeWeights(arrayBuffer(data), specs);
  const checkpoint = await openTfjs(file);
  try {
    assert.equal(checkpoint.format, 'tfjs');
    assert.deepEqual(checkpoint.metadata, { format: 'layers-model', generatedBy });
    assert.deepEqual(checkpoint.tensors.map((t) => t.name), specs.map((s) => s.name));
    for (const [i, spec] of specs.entries()) {
      assert.deepEqual(checkpoint.info(spec.name), { name: spec.name, dtype: 'F32', shape: spec.shape, byteSize: spec.shape.reduce((a, b) => a * b, 1) * 4 });
      const read = await checkpoint.read(spec.name);
      assert.equal(read.dtype, 'F32');
      assert.deepEqual(Array.from(read.data as Float32Array), Array.from(decoded[spec.name]!.dataSync()), spec.name);
      assert.deepEqual(Array.from(await checkpoint.readFloat32(spec.name)), Array.from(values[i]!), `${spec.name} vs model.getWeights()`);
    }
  } finally {
    await checkpoint.close();
  }
});

test('int32, bool and float32 weights encoded by tf.io.encodeWeights, in a second group', async () => {
  const { specs, data } = await savedModel();
  const encoded = await tf.io.encodeWeights({
    counts: tf.tensor2d([[1, -2], [3, 2147483647]], undefined, 'int32'),
    mask: tf.tensor1d([true, false, true], 'bool'),
    scale: tf.scalar(0.5),
  });
  const extra = concat([encoded.data as ArrayBuffer]);
  const file = writeModel([
    { weights: specs, data, cuts: [132], prefix: 'group1' },
    { weights: encoded.specs, data: extra, cuts: [5], prefix: 'group2' },
  ]);
  const decoded = tf.io.decodeWeights(arrayBuffer(extra), encoded.specs);
  const checkpoint = await openTfjs(file);
  try {
    assert.deepEqual(checkpoint.tensors.map((t) => [t.name, t.dtype]), [
      ...specs.map((s) => [s.name, 'F32']),
      ['counts', 'I32'],
      ['mask', 'BOOL'],
      ['scale', 'F32'],
    ]);
    const counts = await checkpoint.read('counts');
    assert.ok(counts.data instanceof Int32Array);
    assert.deepEqual(Array.from(counts.data), Array.from(decoded.counts!.dataSync()));
    assert.deepEqual(Array.from((await checkpoint.read('mask')).data as Uint8Array), Array.from(decoded.mask!.dataSync()));
    assert.deepEqual((await checkpoint.read('scale')).shape, []);
    assert.deepEqual(Array.from(await checkpoint.readFloat32('scale')), [0.5]);
    assert.deepEqual(Array.from(await checkpoint.readFloat32('counts')), [1, -2, 3, 2147483648]);
  } finally {
    await checkpoint.close();
  }
});

/** IEEE half bits of a float32 value, rounding to nearest even (the converter's float16 quantization). */
function toHalfBits(x: number): number {
  const bits = new Uint32Array(new Float32Array([x]).buffer)[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  let mantissa = bits & 0x7fffff;
  if (exponent >= 31) return sign | 0x7c00;
  let shift = 13;
  let half = (exponent << 10) | (mantissa >> 13);
  if (exponent <= 0) {
    if (exponent < -10) return sign;
    mantissa |= 0x800000;
    shift = 14 - exponent;
    half = mantissa >> shift;
  }
  const rest = mantissa & ((1 << shift) - 1);
  const halfway = 1 << (shift - 1);
  if (rest > halfway || (rest === halfway && half & 1)) half++;
  return sign | half;
}

/** Quantizes `values` the way the converter does: affine uint8/uint16 over [min, max], or float16. */
function quantize(name: string, values: ArrayLike<number>, shape: number[], dtype: 'uint8' | 'uint16' | 'float16', original: 'float32' | 'int32' = 'float32'): { spec: Spec; bytes: Uint8Array } {
  if (dtype === 'float16') {
    const halves = Uint16Array.from(Array.from(values, toHalfBits));
    return { spec: { name, shape, dtype: original, quantization: { dtype } }, bytes: new Uint8Array(halves.buffer) };
  }
  const levels = dtype === 'uint8' ? 255 : 65535;
  const min = Math.min(...Array.from(values));
  const scale = (Math.max(...Array.from(values)) - min) / levels;
  const q = Array.from(values, (v) => Math.min(levels, Math.max(0, Math.round((v - min) / scale))));
  const array = dtype === 'uint8' ? Uint8Array.from(q) : Uint16Array.from(q);
  return { spec: { name, shape, dtype: original, quantization: { dtype, scale, min } }, bytes: new Uint8Array(array.buffer) };
}

test('uint8, uint16 and float16 quantized weights dequantize exactly as tf.io.decodeWeights does', async () => {
  const { specs, values } = await savedModel();
  const parts = [
    quantize('k_u8', values[0]!, specs[0]!.shape, 'uint8'),
    quantize('b_u16', values[1]!, specs[1]!.shape, 'uint16'),
    quantize('k_f16', [...values[2]!.slice(0, 19), 3e-6, -65504], specs[2]!.shape, 'float16'),
    quantize('ints_u8', [-7, 0, 3, 100, 251], [5], 'uint8', 'int32'),
  ];
  const data = concat(parts.map((p) => arrayBuffer(p.bytes)));
  const quantizedSpecs = parts.map((p) => p.spec);
  const file = writeModel([{ weights: quantizedSpecs, data, cuts: [33], prefix: 'group1' }]);
  const decoded = tf.io.decodeWeights(arrayBuffer(data), quantizedSpecs);
  const checkpoint = await openTfjs(file);
  try {
    for (const { spec, bytes } of parts) {
      const info = checkpoint.info(spec.name);
      const q = spec.quantization!;
      assert.equal(info.dtype, 'F32');
      assert.equal(info.byteSize, bytes.length);
      assert.deepEqual(info.quantization, { uint8: { dtype: 'U8', scale: q.scale, min: q.min }, uint16: { dtype: 'U16', scale: q.scale, min: q.min }, float16: { dtype: 'F16' } }[q.dtype]);
      const want = Array.from(decoded[spec.name]!.dataSync());
      assert.deepEqual(Array.from(await checkpoint.readFloat32(spec.name)), want, spec.name);
      const read = await checkpoint.read(spec.name);
      assert.equal(read.dtype, 'F32');
      assert.deepEqual(Array.from(read.data as Float32Array), want, spec.name);
    }
    // The int32 weight rounds after dequantizing, as TensorFlow.js does; the integers come back.
    assert.deepEqual(Array.from(await checkpoint.readFloat32('ints_u8')), [-7, 0, 3, 100, 251]);
    assert.match(checkpoint.notes.join('\n'), /2 weight\(s\) are stored quantized as U8/);
    assert.match(checkpoint.notes.join('\n'), /1 weight\(s\) are stored quantized as F16/);
  } finally {
    await checkpoint.close();
  }
});

// ---- hostile model.json files, built here ----

/** model.json with one float32[4] weight `w` (overridden by `spec`), and `create` files of `bytes` bytes each. */
const oneWeight = (spec: Record<string, unknown>, bytes = 16, paths = ['w.bin'], create = paths): string => {
  const dir = mkdtempSync(join(tmpdir(), 'merge-lens-'));
  for (const path of create) writeFileSync(join(dir, path), new Uint8Array(bytes));
  const file = join(dir, 'model.json');
  writeFileSync(file, JSON.stringify({ weightsManifest: [{ paths, weights: [{ name: 'w', shape: [4], dtype: 'float32', ...spec }] }] }));
  return file;
};

async function refuses(file: string, message: RegExp): Promise<void> {
  await assert.rejects(openTfjs(file), (error: Error) => {
    assert.equal(error.name, 'FormatError', String(error));
    assert.match(error.message, /^model\.json: /);
    assert.match(error.message, message);
    return true;
  });
}

test('refuses a manifest whose byte total differs from its files, saying by how much', async () => {
  await refuses(oneWeight({}, 15), /weightsManifest group 0 describes 16 bytes of weights but its 1 file\(s\) hold 15: 1 bytes more than its files hold/);
  await refuses(oneWeight({}, 20), /describes 16 bytes of weights but its 1 file\(s\) hold 20: 4 bytes fewer than its files hold/);
  await refuses(oneWeight({ quantization: { dtype: 'uint8', scale: 1, min: 0 } }, 16), /describes 4 bytes .* hold 16/);
});

test('refuses string weights, unknown dtypes and broken quantization', async () => {
  await refuses(oneWeight({ dtype: 'string' }), /weight 'w' has dtype string, whose size cannot be known without reading its bytes/);
  await refuses(oneWeight({ dtype: 'float64' }), /weight 'w' has the unsupported dtype 'float64'/);
  await refuses(oneWeight({ shape: [-4] }), /weight 'w' has an invalid shape \[-4\]/);
  await refuses(oneWeight({ name: 3 }), /weight 0 of weightsManifest group 0 has no name/);
  await refuses(oneWeight({ quantization: { dtype: 'int4' } }), /weight 'w' has the unknown quantization dtype "int4"/);
  await refuses(oneWeight({ quantization: { dtype: 'uint8', scale: 0.5 } }), /weight 'w' is uint8-quantized but lacks a finite scale and min/);
  await refuses(oneWeight({ dtype: 'int32', quantization: { dtype: 'float16' } }), /float16 quantization applies only to float32 weights/);
  await refuses(oneWeight({ dtype: 'bool', quantization: { dtype: 'uint8', scale: 1, min: 0 } }), /weight 'w' is bool, which TensorFlow.js does not dequantize/);
});

test('refuses weight files outside the folder, and names missing ones', async () => {
  await refuses(oneWeight({}, 16, ['../w.bin'], []), /weight file '\.\.\/w\.bin' climbs out of the folder/);
  await refuses(oneWeight({}, 16, ['/etc/hostname'], []), /weight file '\/etc\/hostname' is an absolute path/);
  await refuses(oneWeight({}, 16, ['w.bin', 'missing.bin'], ['w.bin']), /weight file 'missing\.bin' of weightsManifest group 0 cannot be read: does not exist \(ENOENT\)/);
});

test('refuses a model.json that is not one, or is too large to be one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'merge-lens-'));
  const file = join(dir, 'model.json');
  const cases: [string, RegExp][] = [
    ['{"weightsManifest": [', /model\.json is not valid JSON/],
    ['[]', /model\.json is an array, not a JSON object/],
    ['{"modelTopology": {}}', /has no weightsManifest list/],
    ['{"weightsManifest": [3]}', /weightsManifest group 0 is not an object/],
    ['{"weightsManifest": [{"weights": []}]}', /weightsManifest group 0 has no paths list/],
    ['{"weightsManifest": [{"paths": [7], "weights": []}]}', /group 0 lists a path that is not a string/],
  ];
  for (const [text, message] of cases) {
    writeFileSync(file, text);
    await refuses(file, message);
  }
  const big = openSync(file, 'w');
  ftruncateSync(big, 256 * 1024 * 1024 + 1);
  closeSync(big);
  await refuses(file, /model\.json is 268435457 bytes, above the 268435456-byte limit/);
});

test('refuses the same weight name twice across groups', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'merge-lens-'));
  writeFileSync(join(dir, 'a.bin'), new Uint8Array(4));
  writeFileSync(join(dir, 'b.bin'), new Uint8Array(4));
  const weights = [{ name: 'w', shape: [1], dtype: 'float32' }];
  writeFileSync(join(dir, 'model.json'), JSON.stringify({ weightsManifest: [{ paths: ['a.bin'], weights }, { paths: ['b.bin'], weights }] }));
  await refuses(join(dir, 'model.json'), /tensor 'w' appears twice/);
});

test('refuses a weight file listed twice before opening any (found by the fuzzer: 20,000 repeats took seconds)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'merge-lens-'));
  writeFileSync(join(dir, 'a.bin'), new Uint8Array(4));
  const weights = [{ name: 'w', shape: [1], dtype: 'float32' }];
  const write = (weightsManifest: unknown) => writeFileSync(join(dir, 'model.json'), JSON.stringify({ weightsManifest }));
  write([{ paths: new Array(200_000).fill('a.bin'), weights }]);
  await refuses(join(dir, 'model.json'), /weight file 'a\.bin' is listed twice in weightsManifest group 0; each weight file holds its own part of one group/);
  write([{ paths: ['a.bin'], weights }, { paths: ['a.bin'], weights: [{ ...weights[0], name: 'v' }] }]);
  await refuses(join(dir, 'model.json'), /weight file 'a\.bin' is listed in weightsManifest groups 0 and 1/);
});
