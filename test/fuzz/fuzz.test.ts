import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { fuzzFamily, judge, loadReproducers, type Failure } from './campaign';
import { FAILURES } from './classify';
import { FAMILIES } from './families';
import { FuzzPool } from './pool';
import { fixture, repoRoot, tempDir } from '../helpers/paths';

/**
 * The fuzz suite: a fixed seed's first cases of every family (about a minute on two cores in all),
 * and every reproducer `npm run fuzz` wrote under test/fixtures/fuzz/. No case may end as an ugly
 * error, a hang, a crash, a read outside its folder, or a truncated or forbidden file accepted.
 */

/** Cases per family: 15 × 2,000 cases take about 60 s on two cores (the slowest families read about 250 cases a second). */
const CASES = 2000;
const SEED = 20261206;

let pool: FuzzPool;

before(() => {
  pool = new FuzzPool(join(repoRoot(), 'dist', 'fuzz', 'worker.js'), tempDir(), 2);
});

after(() => pool.close());

describe('fuzzing every reader', () => {
  for (const family of FAMILIES) {
    it(`${family.name}: ${CASES} seeded cases end read or cleanly refused`, async () => {
      const failures = new Map<string, Failure>();
      const tally = await fuzzFamily(pool, family, CASES, SEED, 4, failures);
      const found = [...failures.values()].map((f) => `${f.classified.verdict} ×${f.count} (case ${f.fuzzCase.index}: ${f.fuzzCase.descriptions.join('; ')}): ${f.classified.detail}`);
      assert.deepEqual(found, []);
      // Every family's cases must reach both outcomes, or the mutations miss the reader's paths.
      assert.ok(tally.counts.accepted > 0 && tally.counts.clean > 0, JSON.stringify(tally.counts));
    });
  }
});

describe('the fuzz runner', () => {
  it('sees a read outside the case folder, and a case that outlives its time bound', async () => {
    const family = FAMILIES.find((f) => f.name === 'safetensors')!;
    const base = { family: family.name, runSeed: 0, index: 0, seedName: 'probe', steps: [], descriptions: [], files: new Map([['a.bin', new Uint8Array(1)]]) };
    // The decoy beside the case folder, which an index naming '../sentinel.safetensors' would reach.
    const escaped = await judge(pool, family, { ...base, target: '../sentinel.safetensors' });
    assert.equal(escaped.verdict, 'escape', escaped.detail);
    const slow = new FuzzPool(join(repoRoot(), 'dist', 'fuzz', 'worker.js'), tempDir(), 1, { timeMs: 1, heapMb: 256, rssMb: 4096 });
    try {
      const hung = await judge(slow, family, { ...base, target: 'a.bin' });
      assert.equal(hung.verdict, 'hang', hung.detail);
    } finally {
      await slow.close();
    }
  });
});

describe('fuzz reproducers', () => {
  const reproducers = loadReproducers(fixture('fuzz'));
  for (const { folder, description, family, fuzzCase } of reproducers) {
    it(`${description.family}/${folder.split(/[\\/]/).pop()}: ${description.expect}`, async () => {
      const { verdict, detail } = await judge(pool, family, fuzzCase);
      assert.ok(!FAILURES.has(verdict), `${verdict}: ${detail}`);
      if (description.expect === 'refused') assert.equal(verdict, 'clean', detail);
    });
  }
});
