/**
 * `npm run bench`: the comparison engine stage by stage on two synthetic ReLU MLPs, next to the
 * same work done the plain PyTorch + SciPy way (compare_reference.py) on the very same files.
 *
 * A is PyTorch-style initialised (U(±1/√fan_in)); B is A with its hidden units shuffled, mixed
 * 0.8 : 0.6 with an independent initialisation, so B is "A permuted, plus noise" and matching
 * has something to find. Inputs are uniform in [0, 1], labels are A's argmax (benchCases.ts, which
 * the peer table shares). Every stage is timed once, calling the engine modules the way
 * compareCheckpoints does; the last row is compareCheckpoints itself with all four methods.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { activationMatching } from '../../src/engine/alignment/activationMatching';
import type { AlignmentResult } from '../../src/engine/alignment/alignmentResult';
import { covarianceMatching } from '../../src/engine/alignment/covarianceMatching';
import { naiveAlignment } from '../../src/engine/alignment/naive';
import { weightMatching } from '../../src/engine/alignment/weightMatching';
import { initBackend } from '../../src/engine/backend/tfBackend';
import { compareCheckpoints } from '../../src/engine/compare/compareCheckpoints';
import { openData } from '../../src/engine/compare/loadData';
import { loadCheckpointPair } from '../../src/engine/compare/loadPair';
import { dimS } from '../../src/engine/metrics/dimS';
import { checkEquivalence } from '../../src/engine/metrics/equivalence';
import { alphaGrid } from '../../src/engine/metrics/interpolation';
import { matchingCosts } from '../../src/engine/metrics/matchingCosts';
import { PathEvaluator } from '../../src/engine/metrics/pathEvaluator';
import { applyPermutation } from '../../src/engine/model/applyPermutation';
import { unitCorrelations } from '../../src/engine/alignment/unitCorrelations';
import type { WeightedNode } from '../../src/engine/model/network';
import { networkChannelSpaces } from '../../src/engine/model/networkSpaces';
import { derivePermutationSpec } from '../../src/engine/model/permutationSpec';
import { repoRoot, tempDir } from '../helpers/paths';
import { writeMlpCase } from './benchCases';

const PYTHON = '/usr/bin/python3';
const ALPHAS = 25;
const SEED = 0;
const EQUIVALENCE_SAMPLES = 256;

interface Case {
  readonly label: string;
  readonly hidden: readonly number[];
  /** Evaluation samples = fit samples = LLFC samples. */
  readonly samples: number;
}

const CASES: readonly Case[] = [
  { label: '512-wide', hidden: [512, 512, 512], samples: 2000 },
  { label: '2048-wide', hidden: [2048, 2048, 2048], samples: 500 },
];

async function seconds(fn: () => Promise<unknown> | unknown): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

async function timed<T>(fn: () => Promise<T> | T): Promise<[T, number]> {
  const start = performance.now();
  const value = await fn();
  return [value, (performance.now() - start) / 1000];
}

/** Stage name → seconds; the names are the rows of the table and the keys the Python script prints. */
type Timings = Map<string, number>;

async function benchEngine(files: { a: string; b: string; data: string }, samples: number): Promise<Timings> {
  const t: Timings = new Map();
  const [{ pair, evaluation }, load] = await timed(async () => {
    const { evaluation } = await openData(files.data, undefined);
    const loaded = await loadCheckpointPair(files.a, files.b, { activation: 'relu', sample: { shape: evaluation.inputShape, file: evaluation.file } });
    return { pair: loaded, evaluation };
  });
  t.set('load', load);
  const { network } = pair;
  const spec = derivePermutationSpec(networkChannelSpaces(network));
  const fit = { inputs: evaluation.inputs, count: evaluation.count };

  const [correlations, featureSeconds] = await timed(() => unitCorrelations(network, pair.a.params, pair.b.params, spec, fit));
  t.set('unit correlations', featureSeconds);

  const results = new Map<string, AlignmentResult>();
  const methods: [string, () => Promise<AlignmentResult> | AlignmentResult][] = [
    ['naive', () => naiveAlignment(spec)],
    ['weight', () => weightMatching(pair.a.params, pair.b.params, spec, { seed: SEED })],
    ['activation', () => activationMatching(spec, correlations)],
    ['covariance', () => covarianceMatching(network, pair.a.params, pair.b.params, spec, fit)],
  ];
  for (const [name, run] of methods) {
    const [result, s] = await timed(run);
    results.set(name, result);
    t.set(`align: ${name}`, s);
  }

  const perms = results.get('weight')!.perms;
  const [permutedB, applySeconds] = await timed(() => applyPermutation(pair.b.params, spec, perms));
  t.set('apply permutation', applySeconds);
  const probe = Math.min(EQUIVALENCE_SAMPLES, evaluation.count);
  t.set('equivalence check', await seconds(() => checkEquivalence(network, pair.b.params, permutedB, evaluation.inputs.subarray(0, probe * 784), probe)));

  const [evaluator, setup] = await timed(() => PathEvaluator.create(network, pair.a.params, evaluation, { fit: null, bnReset: false }));
  try {
    t.set('path setup (A once)', setup);
    const alphas = alphaGrid(ALPHAS);
    const path = await seconds(() => evaluator.measure(permutedB, { alphas, layerBarriers: false, llfcSamples: 0 }));
    const withLlfc = await seconds(() => evaluator.measure(permutedB, { alphas, layerBarriers: false, llfcSamples: samples }));
    const withLayers = await seconds(() => evaluator.measure(permutedB, { alphas, layerBarriers: true, llfcSamples: 0 }));
    t.set(`path (${ALPHAS} α, loss+acc)`, path);
    t.set('LLFC (path+LLFC − path)', withLlfc - path);
    t.set('per-layer barriers (− path)', withLayers - path);
  } finally {
    evaluator.dispose();
  }
  t.set('matching costs', await seconds(() => matchingCosts(pair.a.params, pair.b.params, spec, perms, correlations)));
  t.set('Dim(S)', await seconds(() => dimS(pair.a.params, pair.b.params, network.nodes.filter((n): n is WeightedNode => n.op === 'linear').map((n) => ({ name: n.id, weight: n.weight, bias: n.bias })))));
  t.set(
    'compareCheckpoints, 4 methods',
    await seconds(() =>
      compareCheckpoints({
        a: files.a,
        b: files.b,
        data: files.data,
        methods: ['naive', 'weight', 'activation', 'covariance'],
        alphas: ALPHAS,
        activation: 'relu',
        backend: 'auto',
        seed: SEED,
        fitSamples: samples,
        llfcSamples: samples,
      }),
    ),
  );
  return t;
}

const hasTorch = spawnSync(PYTHON, ['-c', 'import torch, scipy'], { stdio: 'ignore' }).status === 0;

/** The reference's timings, or a reason why there are none. */
function benchReference(files: { a: string; b: string; data: string }): Timings | string {
  if (!hasTorch) return 'PyTorch baseline unavailable';
  const script = join(repoRoot(), 'test', 'bench', 'compare_reference.py');
  const run = spawnSync(PYTHON, [script, files.a, files.b, files.data, String(ALPHAS), String(SEED)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (run.status !== 0) return `PyTorch baseline failed: ${(run.stderr || run.stdout).trim().split('\n').slice(-3).join(' | ')}`;
  const last = run.stdout.trim().split('\n').pop()!;
  return new Map(Object.entries(JSON.parse(last) as Record<string, number>));
}

function cell(value: number | undefined): string {
  return value === undefined ? 'n/a' : value.toFixed(3);
}

function ratio(ours: number | undefined, theirs: number | undefined): string {
  return ours === undefined || theirs === undefined || theirs <= 0 ? '' : `${(ours / theirs).toFixed(2)}×`;
}

async function main(): Promise<void> {
  const backend = await initBackend('auto');
  const dir = tempDir();
  const columns: { c: Case; ours: Timings; theirs: Timings | string }[] = [];
  // COMPARE_BENCH=512-wide runs one case only.
  for (const c of CASES.filter((k) => !process.env.COMPARE_BENCH || process.env.COMPARE_BENCH === k.label)) {
    const files = await writeMlpCase(dir, c.label, c.hidden, c.samples);
    const ours = await benchEngine(files, c.samples);
    const theirs = benchReference(files);
    columns.push({ c, ours, theirs });
  }

  console.log(`\nComparison engine, stage by stage (seconds, one run each; backend: ${backend.detail})`);
  for (const { c } of columns) {
    console.log(`  ${c.label}: 784-${c.hidden.join('-')}-10 ReLU, ${c.samples} samples (evaluation = fit = LLFC), ${ALPHAS} α`);
  }
  for (const { c, theirs } of columns) if (typeof theirs === 'string') console.log(`  ${c.label}: ${theirs}`);
  const stages = [...columns[0]!.ours.keys()];
  const header = ['stage', ...columns.flatMap(({ c }) => [`${c.label} ours`, `${c.label} torch`, 'ratio'])];
  const rows = stages.map((stage) => [
    stage,
    ...columns.flatMap(({ ours, theirs }) => {
      const reference = typeof theirs === 'string' ? undefined : theirs.get(stage);
      return [cell(ours.get(stage)), typeof theirs === 'string' ? '-' : cell(reference), ratio(ours.get(stage), reference)];
    }),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: readonly string[]) => r.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
  console.log(
    'Last row: ours is compareCheckpoints itself; torch is load + features + the four alignments + 4 × (apply + equivalence + path + LLFC + ' +
      'per-layer barriers + matching costs) + Dim(S). Ratio = ours / torch (below 1: we are faster).',
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
