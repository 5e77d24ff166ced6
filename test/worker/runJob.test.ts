import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openCheckpoint } from '../../src/engine/formats/openCheckpoint';
import { inspectCheckpoint } from '../../src/engine/inspect/inspectCheckpoint';
import { JobCancelled, JobError, runJob } from '../../src/extension/runJob';
import { fixture, repoRoot, tempDir } from '../helpers/paths';
import { writeSparseSafetensors } from '../helpers/writeSafetensors';

const workerScript = join(repoRoot(), 'dist', 'worker.js');
const demo = fixture('pytorch', 'mlp.pt');

test('the worker bundle answers an inspect job with the report the engine builds in-process', async () => {
  const stages: string[] = [];
  const report = await runJob(workerScript, 'inspect', { file: demo, statsBudgetBytes: null }, { onProgress: (s) => stages.push(s) });
  const checkpoint = await openCheckpoint(demo);
  const direct = await inspectCheckpoint(checkpoint, { statsBudgetBytes: null });
  await checkpoint.close();
  assert.deepEqual(report, direct);
  assert.ok(stages.includes('statistics: tensor 6/6'), stages.join(' | '));
});

test('a bad file comes back as an input error with the reader\'s message', async () => {
  const bad = join(tempDir(), 'bad.npy');
  writeFileSync(bad, 'not numpy at all');
  await assert.rejects(
    runJob(workerScript, 'inspect', { file: bad, statsBudgetBytes: 0 }),
    (error: unknown) => error instanceof JobError && error.kind === 'input' && /^bad\.npy: /.test(error.message),
  );
});

test('aborting stops the worker at once', async () => {
  const big = join(tempDir(), 'big.safetensors');
  writeSparseSafetensors(big, [{ name: 'w', dtype: 'F32', shape: [2 ** 28], bytes: 2 ** 30 }]);
  const abort = new AbortController();
  const job = runJob(workerScript, 'inspect', { file: big, statsBudgetBytes: null }, {
    signal: abort.signal,
    onProgress: () => abort.abort(),
  });
  await assert.rejects(job, JobCancelled);
});
