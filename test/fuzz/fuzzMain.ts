import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fuzzFamily, shrink, writeReproducer, type Failure, type FamilyTally } from './campaign';
import { VERDICTS } from './classify';
import { FAMILIES, familyNamed } from './families';
import { FuzzPool, DEFAULT_LIMITS } from './pool';
import { repoRoot } from '../helpers/paths';

/**
 * npm run fuzz -- --cases N [--family F] [--seed S] [--workers W] [--time-ms T] [--no-write] [--refusals K]
 *
 * Runs N cases of every family (or of F), prints a table of how they ended, and writes one
 * shrunk reproducer per kind of failure under test/fixtures/fuzz/<family>/, where the unit tests
 * replay it. Exits 1 when any case failed.
 */

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function numberOption(name: string, fallback: number): number {
  const text = option(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`--${name} takes a non-negative integer, not '${text}'`);
  return value;
}

function table(tallies: readonly FamilyTally[]): string {
  const head = ['family', 'cases', ...VERDICTS, 'seconds', 'cases/s'];
  const rows = tallies.map((t) => [t.family, String(t.cases), ...VERDICTS.map((v) => String(t.counts[v])), (t.ms / 1000).toFixed(1), (t.cases / (t.ms / 1000)).toFixed(0)]);
  const total = ['total', String(tallies.reduce((n, t) => n + t.cases, 0)), ...VERDICTS.map((v) => String(tallies.reduce((n, t) => n + t.counts[v], 0))), (tallies.reduce((n, t) => n + t.ms, 0) / 1000).toFixed(1), ''];
  const all = [head, ...rows, total];
  const widths = head.map((_, c) => Math.max(...all.map((r) => r[c]!.length)));
  return all.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}

async function main(): Promise<void> {
  const cases = numberOption('cases', 1000);
  const seed = numberOption('seed', 1);
  const workers = numberOption('workers', 2);
  const timeMs = numberOption('time-ms', DEFAULT_LIMITS.timeMs);
  const familyName = option('family');
  const families = familyName ? [familyNamed(familyName)] : FAMILIES;
  const write = !process.argv.includes('--no-write');

  const root = mkdtempSync(join(process.env.MERGE_LENS_FUZZ_TMP ?? tmpdir(), 'merge-lens-fuzz-'));
  const pool = new FuzzPool(join(__dirname, 'worker.js'), root, workers, { ...DEFAULT_LIMITS, timeMs });
  const failures = new Map<string, Failure>();
  const tallies: FamilyTally[] = [];
  try {
    for (const family of families) {
      const tally = await fuzzFamily(pool, family, cases, seed, workers * 2, failures);
      tallies.push(tally);
      console.error(`${family.name}: ${cases} cases in ${(tally.ms / 1000).toFixed(1)} s`);
    }
    console.log(table(tallies));
    console.log('\nslowest cases:');
    for (const tally of tallies) {
      for (const slow of tally.slowest) console.log(`${tally.family} case ${slow.index}: ${slow.ms} ms, ${slow.size} bytes, ${slow.verdict}: ${slow.steps.slice(0, 160)}`);
    }
    const shown = numberOption('refusals', 0);
    for (const tally of shown > 0 ? tallies : []) {
      console.log(`\n${tally.family}: ${tally.refusals.size} kinds of refusal`);
      for (const [kind, count] of [...tally.refusals].sort((a, b) => b[1] - a[1]).slice(0, shown)) console.log(`${String(count).padStart(7)}  ${kind.split('|')[2]}`);
    }
    if (failures.size) console.log(`\n${failures.size} kinds of failure:`);
    for (const failure of failures.values()) {
      const small = await shrink(pool, failure);
      const where = write ? writeReproducer(join(repoRoot(), 'test', 'fixtures', 'fuzz'), small) : '(not written)';
      console.log(`- ${failure.family.name} ${small.classified.verdict} ×${failure.count}: ${small.classified.detail.slice(0, 240)}`);
      console.log(`  case ${small.fuzzCase.index} (seed ${small.fuzzCase.seedName}): ${small.fuzzCase.descriptions.join('; ').slice(0, 240)}`);
      console.log(`  ${where}`);
    }
  } finally {
    await pool.close();
    rmSync(root, { recursive: true, force: true });
  }
  if (failures.size) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 2;
});
