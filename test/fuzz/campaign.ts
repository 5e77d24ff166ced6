import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCase, planCase, type FuzzCase } from './cases';
import { classify, FAILURES, signature, VERDICTS, type Classified, type Verdict } from './classify';
import { familyNamed, type Family, type Seed } from './families';
import type { FuzzPool } from './pool';

export interface FamilyTally {
  readonly family: string;
  readonly cases: number;
  readonly counts: Record<Verdict, number>;
  readonly ms: number;
  /** How often each kind of refusal came (signature → count): what the mutations reached. */
  readonly refusals: Map<string, number>;
  /** The slowest cases (milliseconds, case number, steps, verdict): where a reader's work grows too fast. */
  readonly slowest: { ms: number; index: number; steps: string; verdict: Verdict; size: number }[];
}

export interface Failure {
  readonly family: Family;
  readonly seed: Seed;
  readonly fuzzCase: FuzzCase;
  readonly classified: Classified;
  /** How many cases of the run failed the same way. */
  count: number;
}

const SLOWEST = 3;

/** Reads one case and classifies how it ended. */
export async function judge(pool: FuzzPool, family: Family, fuzzCase: FuzzCase): Promise<Classified> {
  const { outcome, caseDir } = await pool.run(fuzzCase, family.mode);
  return classify(family, fuzzCase, outcome, caseDir);
}

/**
 * Runs cases 0..cases-1 of `family` for `runSeed`, keeping two cases per worker in flight. Failures
 * are kept once per kind (signature); the tally counts every case.
 */
export async function fuzzFamily(
  pool: FuzzPool,
  family: Family,
  cases: number,
  runSeed: number,
  lanes: number,
  failures: Map<string, Failure>,
): Promise<FamilyTally> {
  const started = Date.now();
  const seeds = family.seeds();
  const counts = Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Record<Verdict, number>;
  const refusals = new Map<string, number>();
  const slowest: FamilyTally['slowest'] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < cases) {
      const index = next++;
      const { seed, steps } = planCase(family, seeds, runSeed, index);
      const fuzzCase = buildCase(family, seed, steps, runSeed, index);
      const classified = await judge(pool, family, fuzzCase);
      const ms = classified.ms ?? 0;
      if (slowest.length < SLOWEST || ms > slowest[slowest.length - 1]!.ms) {
        const size = [...fuzzCase.files.values()].reduce((n, b) => n + b.length, 0);
        slowest.push({ ms, index, steps: fuzzCase.descriptions.join('; '), verdict: classified.verdict, size });
        slowest.sort((a, b) => b.ms - a.ms);
        slowest.length = Math.min(slowest.length, SLOWEST);
      }
      counts[classified.verdict]++;
      if (classified.verdict === 'clean') {
        const kind = signature(family.name, classified);
        refusals.set(kind, (refusals.get(kind) ?? 0) + 1);
      }
      if (!FAILURES.has(classified.verdict)) continue;
      const key = signature(family.name, classified);
      const known = failures.get(key);
      if (known) known.count++;
      else failures.set(key, { family, seed, fuzzCase, classified, count: 1 });
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  return { family: family.name, cases, counts, ms: Date.now() - started, refusals, slowest };
}

/** The failure with as few steps as still fail the same way (the same verdict). */
export async function shrink(pool: FuzzPool, failure: Failure): Promise<Failure> {
  let { fuzzCase, classified } = failure;
  for (let i = fuzzCase.steps.length - 1; i >= 0 && fuzzCase.steps.length > 1; i--) {
    const steps = fuzzCase.steps.filter((_, j) => j !== i);
    const candidate = buildCase(failure.family, failure.seed, steps, fuzzCase.runSeed, fuzzCase.index);
    const verdict = await judge(pool, failure.family, candidate);
    if (verdict.verdict === classified.verdict) {
      fuzzCase = candidate;
      classified = verdict;
    }
  }
  return { ...failure, fuzzCase, classified };
}

/** What a reproducer's case.json says. */
export interface ReproducerFile {
  readonly family: string;
  readonly seed: string;
  readonly runSeed: number;
  readonly index: number;
  readonly target: string;
  readonly steps: readonly string[];
  readonly truncated?: FuzzCase['truncated'];
  readonly mustRefuse?: string;
  /** What the fuzzer saw when it wrote the reproducer. */
  readonly found: Classified;
  /** What every reader must do with it now: refuse it cleanly, or either read it or refuse it cleanly. */
  readonly expect: 'refused' | 'read or refused';
}

const CASE_JSON = 'case.json';

/** Writes a failure's files and a case.json under `dir`/<family>/<name>/; returns that folder. */
export function writeReproducer(dir: string, failure: Failure): string {
  const { fuzzCase, classified } = failure;
  const folder = join(dir, fuzzCase.family, `${fuzzCase.seedName}-${classified.verdict}-s${fuzzCase.runSeed}-${fuzzCase.index}`);
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  for (const [name, bytes] of fuzzCase.files) writeFileSync(join(folder, name), bytes);
  const refused = classified.verdict === 'truncated-accepted' || classified.verdict === 'refuse-accepted' || fuzzCase.mustRefuse !== undefined;
  const description: ReproducerFile = {
    family: fuzzCase.family,
    seed: fuzzCase.seedName,
    runSeed: fuzzCase.runSeed,
    index: fuzzCase.index,
    target: fuzzCase.target,
    steps: fuzzCase.descriptions,
    ...(fuzzCase.truncated ? { truncated: fuzzCase.truncated } : {}),
    ...(fuzzCase.mustRefuse ? { mustRefuse: fuzzCase.mustRefuse } : {}),
    found: { verdict: classified.verdict, detail: classified.detail.slice(0, 500) },
    expect: refused ? 'refused' : 'read or refused',
  };
  writeFileSync(join(folder, CASE_JSON), `${JSON.stringify(description, null, 2)}\n`);
  return folder;
}

export interface Reproducer {
  readonly folder: string;
  readonly description: ReproducerFile;
  readonly family: Family;
  readonly fuzzCase: FuzzCase;
}

/** Every reproducer under `dir` (<family>/<name>/case.json and the case's files beside it). */
export function loadReproducers(dir: string): Reproducer[] {
  let familyDirs: string[];
  try {
    familyDirs = readdirSync(dir).filter((name) => statSync(join(dir, name)).isDirectory());
  } catch {
    return [];
  }
  return familyDirs.flatMap((familyDir) =>
    readdirSync(join(dir, familyDir)).map((name) => {
      const folder = join(dir, familyDir, name);
      const description = JSON.parse(readFileSync(join(folder, CASE_JSON), 'utf8')) as ReproducerFile;
      const files = new Map(
        readdirSync(folder).filter((file) => file !== CASE_JSON).map((file) => [file, new Uint8Array(readFileSync(join(folder, file)))] as const),
      );
      const fuzzCase: FuzzCase = {
        family: description.family,
        runSeed: description.runSeed,
        index: description.index,
        seedName: description.seed,
        steps: [],
        target: description.target,
        files,
        descriptions: description.steps,
        truncated: description.truncated,
        mustRefuse: description.mustRefuse ?? (description.expect === 'refused' && !description.truncated ? 'the reproducer says refused' : undefined),
      };
      return { folder, description, family: familyNamed(description.family), fuzzCase };
    }),
  );
}
