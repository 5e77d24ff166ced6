import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareCheckpoints } from '../../src/engine/compare/compareCheckpoints';
import { comparedPairOf, exportRequestFor } from '../../src/engine/compare/followUpRequests';
import { resolveCompareRequest } from '../../src/engine/compare/resolveRequest';
import { loadCheckpointPair } from '../../src/engine/compare/loadPair';
import { openCheckpoint } from '../../src/engine/formats/openCheckpoint';
import { mergedModel } from '../../src/engine/metrics/mergedModel';
import { unitSimilarity } from '../../src/engine/metrics/unitSimilarity';
import { applyPermutation } from '../../src/engine/model/applyPermutation';
import { networkChannelSpaces } from '../../src/engine/model/networkSpaces';
import { derivePermutationSpec } from '../../src/engine/model/permutationSpec';
import type { CompareReport } from '../../src/shared/compareReport';
import type { CompareRequest } from '../../src/shared/compareRequest';
import type { JobName, JobParams } from '../../src/shared/workerProtocol';
import { JobCancelled, JobError, runJob } from '../../src/extension/runJob';
import { fixture, repoRoot, tempDir } from '../helpers/paths';

/** Every job here runs in the real worker bundle, on the trained fixture networks. */
const workerScript = join(repoRoot(), 'dist', 'worker.js');
const A = fixture('compare', 'a.pt');
const B = fixture('compare', 'b.pt');
const EVAL = fixture('compare', 'eval.npz');
const request = resolveCompareRequest({ a: A, b: B, data: EVAL, methods: ['naive', 'weight', 'activation', 'covariance'], alphas: 5, fitSamples: 300, llfcSamples: 300 });

const inProcess = compareCheckpoints(request);
const weightPermutations = async () => (await inProcess).report.methods.weight!.matching.map((m) => m.permutation);
const compared = async () => comparedPairOf((await inProcess).report);

/** The report without what differs between two runs of the same comparison: the clock. */
function measured(report: CompareReport) {
  return {
    ...report,
    createdAt: undefined,
    methods: Object.fromEntries(Object.entries(report.methods).map(([name, m]) => [name, { ...m, seconds: undefined }])),
  };
}

async function rejectsAsInput<K extends JobName>(job: K, params: JobParams<K>, message: RegExp): Promise<void> {
  await assert.rejects(runJob(workerScript, job, params), (error: unknown) => {
    assert.ok(error instanceof JobError, String(error));
    assert.equal(error.kind, 'input', `${error.message}\n${error.detail ?? ''}`);
    assert.match(error.message, message);
    return true;
  });
}

test('compare in the worker: the in-process report\'s numbers, progress in words and in order, fractions rising to 1', async () => {
  const progress: [string, number | undefined][] = [];
  // One thread, so the stages come in plan order (helperThreads.test.ts covers progress from several).
  const report = await runJob(workerScript, 'compare', { request, threads: 1 }, {
    onProgress: (stage, fraction) => progress.push([stage, fraction]),
  });
  assert.deepEqual(measured(report), measured((await inProcess).report));

  const stages = progress.map(([s]) => s);
  const order = ['reading data', 'reading checkpoints', 'unit correlations on the fit data', 'naive (no alignment)', 'weight matching',
    'weight matching: sweep 1', 'weight: equivalence check', 'weight path and LLFC: batch 1/1',
    // The conditions and matching run on this thread between the path and its share of the per-layer barriers.
    'weight: LLFC conditions: batch 1/1', 'weight: matching costs',
    'weight per-layer barriers: layer 1/3 (0): batch 1/1', 'weight per-layer barriers: layer 3/3 (4): batch 1/1',
    'activation matching', 'covariance matching', 'Dim(S)', 'done'];
  let at = -1;
  for (const stage of order) {
    const next = stages.indexOf(stage, at + 1);
    assert.ok(next > at, `'${stage}' missing or out of order in: ${stages.join(' | ')}`);
    at = next;
  }
  const fractions = progress.map(([, f]) => f);
  assert.ok(fractions.every((f) => typeof f === 'number'), 'every stage carries a fraction');
  assert.equal(fractions[0], 0);
  assert.equal(fractions.at(-1), 1);
  fractions.forEach((f, i) => assert.ok(i === 0 || f! >= fractions[i - 1]!, `fraction fell at '${stages[i]}'`));
});

test('compare without data in the worker: a weights-only report', async () => {
  const report = await runJob(workerScript, 'compare', { request: resolveCompareRequest({ a: A, b: B, methods: ['weight'] }), threads: 0 });
  assert.equal(report.data, null);
  assert.equal(report.methods.weight!.barrier, null);
  assert.deepEqual(report.methods.weight!.matching.map((m) => m.permutation), await weightPermutations());
});

test('cancelling a compare mid-way stops the worker: it rejects as cancelled and reports nothing more', async () => {
  const abort = new AbortController();
  let settled = false;
  let lateReports = 0;
  const job = runJob(workerScript, 'compare', { request, threads: 0 }, {
    signal: abort.signal,
    onProgress: (stage) => {
      if (settled) lateReports++;
      if (!abort.signal.aborted && stage.includes('path and LLFC')) abort.abort();
    },
  });
  await assert.rejects(job, JobCancelled);
  settled = true;
  assert.ok(abort.signal.aborted);
  // A worker (or a compute helper) still running would go on reporting batches.
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal(lateReports, 0);
});

test('similarity in the worker: the engine\'s UnitSimilarity, typed arrays intact', async () => {
  const permutations = await weightPermutations();
  const result = await runJob(workerScript, 'similarity', { ...(await compared()), method: 'weight', layer: '2', permutations });
  const pair = await loadCheckpointPair(A, B, { activation: 'relu' });
  const spec = derivePermutationSpec(networkChannelSpaces(pair.network));
  const direct = await unitSimilarity(pair.a.params, pair.b.params, spec, permutations.map((p) => Int32Array.from(p)), 1, 'weight');
  assert.ok(result.cosine instanceof Float32Array && result.normsA instanceof Float32Array && result.normsB instanceof Float32Array);
  assert.equal(result.size, 64);
  assert.equal(result.cosine.length, 64 * 64);
  assert.deepEqual(result, direct);
});

test('similarity: a layer the model lacks, and permutations that do not fit, are input errors naming the file', async () => {
  const permutations = await weightPermutations();
  const pairParams = await compared();
  await rejectsAsInput('similarity', { ...pairParams, method: 'weight', layer: 'fc9', permutations }, /^a\.pt: has no hidden layer 'fc9' \(its hidden layers: '0', '2'\)$/);
  await rejectsAsInput('similarity', { ...pairParams, method: 'weight', layer: '0', permutations: [permutations[0]!] },
    /^b\.pt: has 2 hidden layers but 1 permutations were given/);
  await rejectsAsInput('similarity', { ...pairParams, method: 'weight', layer: '0', permutations: [permutations[0]!, permutations[0]!.map(() => 0)] },
    /^b\.pt: the permutation given for layer '2' is not a reordering of its 64 units/);
});

async function tensorsOf(file: string): Promise<Map<string, Float32Array>> {
  const checkpoint = await openCheckpoint(file);
  const out = new Map<string, Float32Array>();
  for (const t of checkpoint.tensors) out.set(t.name, await checkpoint.readFloat32(t.name));
  await checkpoint.close();
  return out;
}

test('export in the worker: π(B) exactly as applyPermutation makes it, and the merged model (1−α)·A + α·π(B)', async () => {
  const permutations = await weightPermutations();
  const { report } = await inProcess;
  const dir = tempDir();
  const alignedFile = join(dir, 'aligned.safetensors');
  const mergedFile = join(dir, 'merged.safetensors');
  const result = await runJob(workerScript, 'export', exportRequestFor(report, 'weight', null, alignedFile, false));
  const merged = await runJob(workerScript, 'export', exportRequestFor(report, 'weight', 0.25, mergedFile, false));
  assert.deepEqual([merged.batchNorm, merged.repaired], [null, false]);

  const pair = await loadCheckpointPair(A, B, { activation: 'relu' });
  const spec = derivePermutationSpec(networkChannelSpaces(pair.network));
  const expected = applyPermutation(pair.b.params, spec, permutations.map((p) => Int32Array.from(p)));
  const aligned = await tensorsOf(alignedFile);
  assert.deepEqual(result, { file: alignedFile, tensors: 6, bytes: readFileSync(alignedFile).length, batchNorm: null, repaired: false });
  assert.deepEqual([...aligned.keys()].sort(), [...expected.keys()].sort());
  for (const [name, values] of aligned) assert.deepEqual(values, expected.get(name)!.data, name);

  for (const [name, values] of await tensorsOf(mergedFile)) {
    const a = pair.a.params.get(name)!.data;
    const b = expected.get(name)!.data;
    values.forEach((v, k) => assert.ok(Math.abs(v - (0.75 * a[k]! + 0.25 * b[k]!)) < 1e-6, `${name}[${k}]`));
  }
  assert.deepEqual(readdirSync(dir).sort(), ['aligned.safetensors', 'merged.safetensors']);
});

test('a merged export of a ResNet in the worker carries the comparison\'s BatchNorm reset and REPAIR: the in-process merged model\'s tensors', async () => {
  const method = 'weight+repair';
  const conv = { a: fixture('conv', 'resnet_a.pt'), b: fixture('conv', 'resnet_b.pt'), activation: 'relu' as const };
  const { report, pair, aligned, fit } = await compareCheckpoints({
    ...conv, data: EVAL, methods: [method], alphas: 3, backend: 'auto', seed: 0, bnReset: true, layerBarriers: false, fitSamples: 300, llfcSamples: 0,
  });
  const expected = await mergedModel(pair.network, pair.a.params, aligned.get(method)!, 0.5, { fit: fit!, bnReset: true, repair: true });
  const out = join(tempDir(), 'merged.safetensors');
  // What the host sends: the request the report recorded, so the worker reads the fit data as the comparison did.
  const exported = await runJob(workerScript, 'export', exportRequestFor(JSON.parse(JSON.stringify(report)), method, 0.5, out, false));
  assert.deepEqual([exported.batchNorm, exported.repaired], ['reset', true]);
  const written = await tensorsOf(out);
  for (const [name, tensor] of expected.params) {
    const values = written.get(name)!;
    tensor.data.forEach((v, k) => assert.ok(Math.abs(values[k]! - v) <= 1e-5 * Math.max(1, Math.abs(v)), `${name}[${k}]: ${values[k]} vs ${v}`));
  }
  const checkpoint = await openCheckpoint(out);
  assert.equal(checkpoint.metadata?.batchnorm_statistics, 'recomputed on the fit data at alpha');
  assert.equal(checkpoint.metadata?.repair, 'folded into the layers it corrects');
  await checkpoint.close();
});

test('export refuses an existing file unless overwrite, as an input error naming it; a cancelled export leaves nothing', async () => {
  const permutations = await weightPermutations();
  const dir = tempDir();
  const out = join(dir, 'taken.safetensors');
  writeFileSync(out, 'mine');
  const params = { ...exportRequestFor((await inProcess).report, 'weight', null, out, false), permutations };
  await rejectsAsInput('export', params, /^taken\.safetensors: already exists; choose another name or allow overwriting$/);
  assert.equal(readFileSync(out, 'utf8'), 'mine');
  await runJob(workerScript, 'export', { ...params, overwrite: true });
  assert.equal((await tensorsOf(out)).size, 6);
  await rejectsAsInput('export', { ...params, out: join(dir, 'm.safetensors'), alpha: 1.5 }, /α must lie between 0 and 1, not 1\.5/);

  const cancelled = join(dir, 'cancelled.safetensors');
  const abort = new AbortController();
  await assert.rejects(
    runJob(workerScript, 'export', { ...params, out: cancelled }, { signal: abort.signal, onProgress: () => abort.abort() }),
    JobCancelled,
  );
  assert.ok(!existsSync(cancelled));
  assert.deepEqual(readdirSync(dir), ['taken.safetensors']);
});

test('fingerprint in the worker: node\'s SHA-256 of each file; a missing file is an input error naming it', async () => {
  const files = [A, EVAL];
  const { sha256 } = await runJob(workerScript, 'fingerprint', { files });
  assert.deepEqual(sha256, files.map((f) => createHash('sha256').update(readFileSync(f)).digest('hex')));
  const empty = join(tempDir(), 'empty.bin');
  writeFileSync(empty, '');
  assert.deepEqual((await runJob(workerScript, 'fingerprint', { files: [empty] })).sha256, ['e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']);
  await rejectsAsInput('fingerprint', { files: [join(tempDir(), 'gone.pt')] }, /^gone\.pt: does not exist \(ENOENT\); check the path$/);
});

test('bad inputs to compare come back as input errors whose message names the file', async () => {
  const compare = (overrides: Partial<CompareRequest>): JobParams<'compare'> => ({ request: { ...request, ...overrides }, threads: 0 });
  const notCheckpoint = join(tempDir(), 'notes.pt');
  writeFileSync(notCheckpoint, 'these are my notes, not a checkpoint');
  await rejectsAsInput('compare', compare({ b: notCheckpoint }), /^notes\.pt: /);
  await rejectsAsInput('compare', compare({ b: fixture('compare', 'tanh_b.pt') }), /^tanh_b\.pt: tensor '0\.weight' is \[32, 784\]/);
  await rejectsAsInput('compare', compare({ data: fixture('datasets', 'cifar', 'test_batch.bin') }), /^test_batch\.bin: evaluation inputs are 3×32×32/);
  await rejectsAsInput('compare', compare({ data: null, fitData: null }), /^activation and covariance matching fit on data, and none was given/);
  // The worker checks the message as the host does: out-of-bounds choices are refused by name.
  await rejectsAsInput('compare', compare({ alphas: 2 }), /^points on the α grid must be a whole number from 3 to 201, not 2$/);
});
