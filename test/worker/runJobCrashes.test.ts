import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JobError, runJob } from '../../src/extension/runJob';
import { MIN_MEMORY_MB } from '../../src/engine/compare/memoryLimit';
import { fixture, repoRoot, tempDir } from '../helpers/paths';
import { writeSparseSafetensors } from '../helpers/writeSafetensors';

const workerScript = join(repoRoot(), 'dist', 'worker.js');
const mlp = fixture('pytorch', 'mlp.pt');

/** A worker script of our own: it reports one stage, then does `body` (CommonJS, as the bundle is). */
function workerDoing(body: string): string {
  const file = join(tempDir(), 'worker.js');
  writeFileSync(
    file,
    `const { parentPort } = require('node:worker_threads');
parentPort.once('message', () => {
  parentPort.postMessage({ type: 'progress', stage: 'reading the header' });
  setTimeout(() => { ${body} }, 50);
});`,
  );
  return file;
}

const failsWith = (kind: JobError['kind'], pattern: RegExp) => (error: unknown) => {
  assert.ok(error instanceof JobError, String(error));
  assert.equal(error.kind, kind, error.message);
  assert.match(error.message, pattern);
  assert.ok(!error.message.includes('\n'), `one line: ${error.message}`);
  return true;
};

test('an uncaught error in the worker fails the job as internal, in one line with what it was doing', async () => {
  const script = workerDoing("throw new TypeError('a bug\\nwith a second line');");
  await assert.rejects(
    runJob(script, 'inspect', { file: mlp, statsBudgetBytes: null }),
    failsWith('internal', /^the worker failed while reading the header: a bug\\nwith a second line$/),
  );
});

test('a worker that exits fails the job saying so, not as a bare exit code', async () => {
  await assert.rejects(
    runJob(workerDoing('process.exit(3);'), 'inspect', { file: mlp, statsBudgetBytes: null }),
    failsWith('stopped', /^the worker stopped with exit code 3 while reading the header; run the job again/),
  );
  await assert.rejects(runJob(workerDoing('process.exit(0);'), 'inspect', { file: mlp, statsBudgetBytes: null }), failsWith('internal', /^the worker ended without an answer/));
});

test('a worker allocating past its limit fails the job with the limit and the setting to raise', async () => {
  const script = workerDoing('const kept = []; for (;;) kept.push(new Array(1 << 16).fill({ x: kept.length }));');
  await assert.rejects(
    runJob(script, 'compare', {} as never, { memoryMb: MIN_MEMORY_MB }),
    failsWith(
      'stopped',
      new RegExp(`^the worker ran out of memory \\(its limit is ${MIN_MEMORY_MB} MB\\) while reading the header; raise mergeLens\\.workerMemoryMb, or use fewer samples \\(mergeLens\\.maxSamples\\) or threads \\(mergeLens\\.threads\\)$`),
    ),
  );
});

test('a real job past the limit: inspecting a 24 MB safetensors header of 300,000 tensors in 64 MB; the next job works', async () => {
  const big = join(tempDir(), 'many.safetensors');
  writeSparseSafetensors(big, Array.from({ length: 300_000 }, (_, i) => ({ name: `layers.${i}.weight`, dtype: 'F32', shape: [1], bytes: 4 })));
  await assert.rejects(
    runJob(workerScript, 'inspect', { file: big, statsBudgetBytes: null }, { memoryMb: 64 }),
    failsWith('stopped', /^the worker ran out of memory \(its limit is 64 MB\) while reading the header; raise mergeLens\.workerMemoryMb$/),
  );
  const report = await runJob(workerScript, 'inspect', { file: mlp, statsBudgetBytes: null }, { memoryMb: 64 });
  assert.equal(report.tensors.length, 6);
});
