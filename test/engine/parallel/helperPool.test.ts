import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../../src/engine/io/inputError';
import { HelperPool } from '../../../src/engine/parallel/helperPool';
import { tempDir } from '../../helpers/paths';

/** A stand-in helper: answers setup, then does `body` when asked for a layer barrier. */
function helperDoing(body: string): string {
  const file = join(tempDir(), 'helper.js');
  writeFileSync(
    file,
    `const { parentPort } = require('node:worker_threads');
parentPort.on('message', (message) => {
  if (message.type === 'setup') parentPort.postMessage({ type: 'ready' });
  if (message.type === 'layerBarrier') { ${body} }
});`,
  );
  return file;
}

const setup = { type: 'setup' } as Parameters<typeof HelperPool.start>[2];

/** Asks helper 0 for a layer; helpers never hold the process open, so this does while it waits. */
async function askOne(pool: HelperPool): Promise<unknown> {
  const version = pool.setB(new Map());
  const alive = setInterval(() => {}, 1000);
  try {
    return await pool.layerBarrier(0, version, 0, [0, 1], () => {});
  } finally {
    clearInterval(alive);
  }
}

test('a helper that exits rejects its request and every later one, and the pool says why', async () => {
  const pool = HelperPool.start(helperDoing('process.exit(5);'), 1, setup);
  try {
    await assert.rejects(askOne(pool), /^Error: a compute helper stopped \(exit code 5\)$/);
    assert.throws(() => pool.throwIfFailed(), /exit code 5/);
    await assert.rejects(askOne(pool), /exit code 5/);
  } finally {
    pool.terminate();
  }
  pool.throwIfFailed();
});

test('a helper past its heap limit fails in one line naming the limit and what to do', async () => {
  const pool = HelperPool.start(helperDoing('const kept = []; for (;;) kept.push(new Array(1 << 16).fill({ x: kept.length }));'), 1, setup, { mb: 64, raise: 'raise mergeLens.workerMemoryMb' });
  try {
    await assert.rejects(askOne(pool), (error: unknown) => {
      assert.ok(error instanceof InputError, String(error));
      assert.equal(
        error.message,
        'a compute helper ran out of memory (its limit is 64 MB) measuring per-layer barriers; use fewer threads or samples, or raise mergeLens.workerMemoryMb',
      );
      return true;
    });
  } finally {
    pool.terminate();
  }
});
