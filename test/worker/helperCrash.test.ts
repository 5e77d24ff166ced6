import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveCompareRequest } from '../../src/engine/compare/resolveRequest';
import { JobError, runJob } from '../../src/extension/runJob';
import { fixture, repoRoot, tempDir } from '../helpers/paths';

/**
 * The worker bundle beside a compute helper that answers setup, then exits when asked for a
 * layer: the comparison's helpers are found beside the bundle that runs it, as dist/compute.js.
 */
function workerWithDyingHelper(): string {
  const dist = join(tempDir(), 'dist');
  mkdirSync(dist);
  const built = join(repoRoot(), 'dist');
  for (const name of readdirSync(built).filter((n) => n === 'worker.js' || n.endsWith('.wasm'))) copyFileSync(join(built, name), join(dist, name));
  writeFileSync(
    join(dist, 'compute.js'),
    `const { parentPort } = require('node:worker_threads');
parentPort.on('message', (message) => {
  if (message.type === 'setup') parentPort.postMessage({ type: 'ready' });
  if (message.type === 'layerBarrier') process.exit(7);
});`,
  );
  return join(dist, 'worker.js');
}

test('a compute helper that dies mid-comparison fails the job at once, naming it, instead of hanging or an unhandled rejection', async () => {
  const request = resolveCompareRequest({
    a: fixture('compare', 'a.pt'),
    b: fixture('compare', 'b.pt'),
    data: fixture('compare', 'eval.npz'),
    methods: ['naive'],
    alphas: 3,
    fitSamples: 100,
    llfcSamples: 0,
  });
  // The helper takes its first layer at once, so when the job learns of its death depends on the
  // machine's load (during the path or at the per-layer barriers): only the outcome is asserted.
  await assert.rejects(runJob(workerWithDyingHelper(), 'compare', { request, threads: 2 }), (error: unknown) => {
    assert.ok(error instanceof JobError, String(error));
    assert.equal(error.kind, 'internal');
    assert.equal(error.message, 'a compute helper stopped (exit code 7)');
    return true;
  });
});
