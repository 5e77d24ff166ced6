/**
 * `npm run bench`: the peer table. Each case is one whole `merge-lens compare`, run as a user runs
 * it (the CLI in a child process of its own), next to peer_reference.py doing the same work the
 * straightforward PyTorch + SciPy way (torch.set_num_threads(2)) on the very same files:
 *
 *   mlp     784-512-512-512-10 ReLU; naive, weight, activation, covariance; 25 α; 2,000 samples
 *           (evaluation = fit = LLFC): path, per-layer barriers, LLFC at every α, matching costs, Dim(S).
 *   resnet  ResNet-20 of width 16 (16/32/64, three BasicBlocks per stage, 1×1 shortcut + BatchNorm at
 *           the stride-2 stages) on 3×32×32; naive, weight, activation, activation+repair; 11 α;
 *           2,000 evaluation samples, the first 2,000 of them the fit data, LLFC on all 2,000;
 *           BatchNorm reset and per-layer barriers on.
 *   vgg     VGG-11's layout at a quarter of its width (16-M-32-M-64-64-M-128-128-M-128-128-M, each
 *           convolution with BatchNorm and ReLU, then Linear 128→128, ReLU, Dropout, Linear 128→10)
 *           on 3×32×32, the ResNet's settings.
 *
 * Checkpoints are synthetic (benchCases.ts: A initialised, B = A mixed 0.8 : 0.6 with another
 * initialisation and its channels shuffled; inputs uniform, labels A's argmax). Per side: wall
 * seconds from spawn to exit (process start and loading included), CPU seconds of every thread over
 * wall, peak RSS. Effective GFLOP/s divides one numerator, the script's work (its sample-forward
 * passes × 2 × the multiply-adds of a forward pass, counted here from the network and checked
 * against what the script counts), by each side's wall seconds, so the two columns compare speed,
 * and ours may exceed the machine's peak where the engine skips work the script repeats.
 *
 * PEER_BENCH=mlp|resnet|vgg runs one case; PEER_BENCH_SAMPLES=N sizes every case's data down (or
 * up) for a quick run. Without /usr/bin/python3 with torch and scipy, only our columns are filled.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { initBackend, tf } from '../../src/engine/backend/tfBackend';
import { loadCheckpointPair } from '../../src/engine/compare/loadPair';
import { INTEGER_LIMITS } from '../../src/engine/compare/resolveRequest';
import { downstreamOf, layerUnits, type Network } from '../../src/engine/model/network';
import { valueShapes } from '../../src/engine/model/networkShapes';
import { alignmentOf, isRepaired, type CompareReport, type MethodName } from '../../src/shared/compareReport';
import { repoRoot, tempDir } from '../helpers/paths';
import { resnetShapes, vggShapes, writeConvCase, writeMlpCase, type CaseFiles } from './benchCases';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(repoRoot(), 'test', 'bench', 'peer_reference.py');
const CLI = join(repoRoot(), 'bin', 'merge-lens.js');
/** Weight matching's starts, which the CLI runs by default and the script is told. */
const RESTARTS = INTEGER_LIMITS.restarts.default;
/** The equivalence check's probe, on both sides. */
const EQUIVALENCE_SAMPLES = 256;
/** peer_reference.py's VGG_CONFIG and VGG_HIDDEN, which its strict load checks against these files. */
const VGG_CONFIG: readonly (number | 'M')[] = [16, 'M', 32, 'M', 64, 64, 'M', 128, 128, 'M', 128, 128, 'M'];
const VGG_HIDDEN = 128;
const CONV_METHODS: readonly MethodName[] = ['naive', 'weight', 'activation', 'activation+repair'];

interface PeerCase {
  readonly name: 'mlp' | 'resnet' | 'vgg';
  readonly title: string;
  readonly methods: readonly MethodName[];
  /** Odd, so that α = 0.5 is on the grid. */
  readonly alphas: number;
  /** Evaluation samples; the fit data is the same file's first as many, LLFC averages over all of them. */
  readonly samples: number;
  /** The network's one-sample input shape. */
  readonly input: readonly number[];
  readonly write: (dir: string, samples: number) => Promise<CaseFiles>;
}

const CASES: readonly PeerCase[] = [
  {
    name: 'mlp',
    title: 'MLP 784-512-512-512-10',
    methods: ['naive', 'weight', 'activation', 'covariance'],
    alphas: 25,
    samples: 2000,
    input: [784],
    write: (dir, samples) => writeMlpCase(dir, 'peer-mlp', [512, 512, 512], samples),
  },
  {
    name: 'resnet',
    title: 'ResNet-20 (width 16), BN',
    methods: CONV_METHODS,
    alphas: 11,
    samples: 2000,
    input: [3, 32, 32],
    write: (dir, samples) => writeConvCase(dir, 'peer-resnet', resnetShapes([16, 32, 64], 3), samples, 2020),
  },
  {
    name: 'vgg',
    title: 'VGG-11/4 (16…128), BN',
    methods: CONV_METHODS,
    alphas: 11,
    samples: 2000,
    input: [3, 32, 32],
    write: (dir, samples) => writeConvCase(dir, 'peer-vgg', vggShapes(VGG_CONFIG, 128, VGG_HIDDEN), samples, 2011),
  },
];

interface MethodPath {
  readonly barrier: { readonly loss: number; readonly accuracy: number };
  readonly loss: readonly number[];
}

/** What one side's run cost, or why it did not run. */
interface Side {
  readonly wall: number;
  readonly cpu: number;
  readonly maxRss: number;
  /** Per method, its barriers and the loss along the path. */
  readonly methods: ReadonlyMap<string, MethodPath>;
}

interface ScriptSide extends Side {
  readonly forwards: number;
  readonly macsPerSample: number;
}

/** Loaded by the CLI's process before anything else: its own CPU time (every thread) and peak RSS, written as it exits. */
const USAGE_PRELOAD = `process.on('exit', () => {
  const u = process.resourceUsage();
  require('node:fs').writeFileSync(process.env.PEER_USAGE_FILE, JSON.stringify({ cpu: (u.userCPUTime + u.systemCPUTime) / 1e6, maxRss: u.maxRSS * 1024 }));
});
`;

function lastLines(text: string, n: number): string {
  return text.trim().split('\n').slice(-n).join(' | ');
}

function runOurs(c: PeerCase, files: CaseFiles, samples: number, dir: string, preload: string): Side | string {
  const json = join(dir, `${c.name}-ours.json`);
  const usage = join(dir, `${c.name}-ours-usage.json`);
  // BatchNorm reset and per-layer barriers are the defaults, named so that the case stays what it says (reset is moot for the MLP).
  const args = [
    ...['compare', files.a, files.b, '--data', files.data, '--methods', c.methods.join(','), '--alphas', String(c.alphas)],
    ...['--fit-samples', String(samples), '--llfc-samples', String(samples), '--bn-reset', 'on', '--layer-barriers', 'on', '--json', json],
  ];
  const start = performance.now();
  const run = spawnSync(process.execPath, ['--require', preload, CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, PEER_USAGE_FILE: usage } });
  const wall = (performance.now() - start) / 1000;
  if (run.status !== 0) return `merge-lens compare failed (status ${run.status ?? run.signal}): ${lastLines(run.stderr || run.stdout, 3)}`;
  const { cpu, maxRss } = JSON.parse(readFileSync(usage, 'utf8')) as { cpu: number; maxRss: number };
  const report = JSON.parse(readFileSync(json, 'utf8')) as CompareReport;
  const methods = new Map(Object.entries(report.methods).flatMap(([m, r]) => (r?.barrier && r.path ? [[m, { barrier: r.barrier, loss: r.path.loss }] as const] : [])));
  return { wall, cpu, maxRss, methods };
}

function runScript(c: PeerCase, files: CaseFiles, samples: number): ScriptSide | string {
  const args = [
    ...['run', '--case', c.name, '--a', files.a, '--b', files.b, '--data', files.data, '--methods', c.methods.join(','), '--alphas', String(c.alphas)],
    ...['--fit-samples', String(samples), '--llfc-samples', String(samples), '--restarts', String(RESTARTS)],
  ];
  const start = performance.now();
  const run = spawnSync(PYTHON, [SCRIPT, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const wall = (performance.now() - start) / 1000;
  if (run.status !== 0) return `peer_reference.py failed (status ${run.status ?? run.signal}): ${lastLines(run.stderr || run.stdout, 3)}`;
  const out = JSON.parse(run.stdout.trim().split('\n').pop()!) as {
    forwards: number;
    macsPerSample: number;
    methods: Record<string, MethodPath>;
    cpuSeconds: number;
    maxRssBytes: number;
  };
  return { wall, cpu: out.cpuSeconds, maxRss: out.maxRssBytes, methods: new Map(Object.entries(out.methods)), forwards: out.forwards, macsPerSample: out.macsPerSample };
}

/** Multiply-adds of one sample through every convolution and linear layer. */
function macsPerSample(network: Network): number {
  const shapes = valueShapes(network);
  const size = (shape: readonly number[]) => shape.reduce((x, y) => x * y, 1);
  return network.nodes.reduce((sum, node, i) => {
    if (node.op === 'conv2d') return sum + size(shapes[i]!) * node.inChannels * node.kernel[0] * node.kernel[1];
    if (node.op === 'linear') return sum + node.inFeatures * node.outFeatures;
    return sum;
  }, 0);
}

/**
 * The samples peer_reference.py runs through a whole network, `n` evaluation = fit samples, K α:
 * correlations (A and B on the fit data; covariance matching runs A once more), each alignment's
 * equivalence check (B and π(B) on the probe); per plain method every α reset (with BatchNorm) and
 * evaluated, then per layer every α reset (when it feeds a BatchNorm) and evaluated; per REPAIR
 * method the endpoints' statistics, every α reset (0.5 among them), every α evaluated,
 * and the variance collapse (three plain networks reset and measured, the repaired midpoint measured).
 */
function scriptForwards(network: Network, c: PeerCase, n: number): number {
  const k = c.alphas;
  const batchNorm = network.nodes.some((node) => node.op === 'batchnorm');
  const fedBatchNorm = layerUnits(network).map((u) => downstreamOf(network, [u.node]).some((fed, i) => fed && network.nodes[i]!.op === 'batchnorm'));
  const alignments = new Set(c.methods.map(alignmentOf));
  let forwards = 2 * n + (alignments.has('covariance') ? n : 0) + alignments.size * 2 * Math.min(EQUIVALENCE_SAMPLES, n);
  for (const method of c.methods) {
    if (isRepaired(method)) {
      forwards += 2 * n + k * n + k * n + (batchNorm ? 3 * n : 0) + 3 * n + n;
    } else {
      forwards += k * ((batchNorm ? n : 0) + n);
      forwards += fedBatchNorm.reduce((sum, fed) => sum + k * ((fed ? n : 0) + n), 0);
    }
  }
  return forwards;
}

/** Float32 GFLOP/s of the backend's 2000×784 × 784×512 product, best of ten. */
async function ourPeak(): Promise<number> {
  const a = tf.randomUniform([2000, 784]);
  const b = tf.randomUniform([784, 512]);
  let best = Infinity;
  try {
    for (let i = 0; i < 10; i++) {
      const start = performance.now();
      const c = tf.matMul(a, b);
      await c.data();
      best = Math.min(best, (performance.now() - start) / 1000);
      c.dispose();
    }
  } finally {
    tf.dispose([a, b]);
  }
  return (2 * 2000 * 784 * 512) / best / 1e9;
}

function scriptPeak(): { gflops: number; threads: number } | string {
  const run = spawnSync(PYTHON, [SCRIPT, 'peak'], { encoding: 'utf8' });
  if (run.status !== 0) return `peer_reference.py peak failed: ${lastLines(run.stderr || run.stdout, 2)}`;
  return JSON.parse(run.stdout.trim().split('\n').pop()!) as { gflops: number; threads: number };
}

const fixed = (digits: number) => (v: number | undefined) => (v === undefined ? '–' : v.toFixed(digits));
const mib = (v: number | undefined) => (v === undefined ? '–' : `${(v / 2 ** 20).toFixed(0)} MiB`);

function table(header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: readonly string[]) => r.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

async function main(): Promise<void> {
  const only = process.env.PEER_BENCH;
  if (only && !CASES.some((c) => c.name === only)) throw new Error(`PEER_BENCH takes one of ${CASES.map((c) => c.name).join(', ')}, not '${only}'`);
  const sizedTo = process.env.PEER_BENCH_SAMPLES === undefined ? undefined : Number(process.env.PEER_BENCH_SAMPLES);
  if (sizedTo !== undefined && !(Number.isInteger(sizedTo) && sizedTo >= 16)) throw new Error(`PEER_BENCH_SAMPLES takes a whole number of at least 16, not '${process.env.PEER_BENCH_SAMPLES}'`);
  const backend = await initBackend('auto');
  const dir = tempDir();
  const preload = join(dir, 'usage-preload.cjs');
  writeFileSync(preload, USAGE_PRELOAD);
  const hasTorch = spawnSync(PYTHON, ['-c', 'import torch, scipy'], { stdio: 'ignore' }).status === 0;
  const cores = availableParallelism();

  console.log(`\nPeer table: one whole \`merge-lens compare\` (CLI, backend ${backend.detail}, ${cores} cores) against peer_reference.py (PyTorch + SciPy, 2 threads)`);
  console.log(`  weight matching from ${RESTARTS} starts on both sides (the CLI's default --restarts)`);
  if (!hasTorch) console.log(`  the script cannot run: ${PYTHON} with torch and scipy is not installed here (Debian: python3-torch python3-scipy); only our columns are filled`);
  const results: { c: PeerCase; samples: number; work: { forwards: number; macs: number }; ours: Side | string; script: ScriptSide | string }[] = [];
  for (const c of CASES.filter((k) => !only || k.name === only)) {
    const samples = sizedTo ?? c.samples;
    const files = await c.write(dir, samples);
    const { network } = await loadCheckpointPair(files.a, files.a, { activation: 'relu', sample: { shape: [...c.input], file: null } });
    const work = { forwards: scriptForwards(network, c, samples), macs: macsPerSample(network) };
    console.log(`  ${c.name}: ${c.title}, ${c.methods.join(', ')}; ${c.alphas} α, ${samples} samples; running ours…`);
    const ours = runOurs(c, files, samples, dir, preload);
    console.log(`  ${c.name}: ours ${typeof ours === 'string' ? ours : `${ours.wall.toFixed(1)} s`}${hasTorch ? '; running the script…' : ''}`);
    const script = hasTorch ? runScript(c, files, samples) : 'the script cannot run (no torch)';
    if (hasTorch) console.log(`  ${c.name}: script ${typeof script === 'string' ? script : `${script.wall.toFixed(1)} s`}`);
    results.push({ c, samples, work, ours, script });
  }

  console.log('');
  const side = <T extends Side>(s: T | string) => (typeof s === 'string' ? undefined : s);
  table(
    ['case', 'ours s', 'script s', 'ours/script', 'GFLOP/s ours', 'GFLOP/s script', 'CPU/wall ours', 'CPU/wall script', 'max RSS ours', 'max RSS script'],
    results.map(({ c, work, ours, script }) => {
      const o = side(ours);
      const s = side(script);
      const gflop = (work.forwards * 2 * work.macs) / 1e9;
      return [
        c.title,
        fixed(1)(o?.wall),
        fixed(1)(s?.wall),
        o && s ? `${(o.wall / s.wall).toFixed(2)}×` : '–',
        fixed(1)(o && gflop / o.wall),
        fixed(1)(s && gflop / s.wall),
        fixed(2)(o && o.cpu / o.wall),
        fixed(2)(s && s.cpu / s.wall),
        mib(o?.maxRss),
        mib(s?.maxRss),
      ];
    }),
  );
  console.log('Seconds: wall, spawn to exit. ours/script below 1: we are faster. GFLOP/s: the script\'s forward-pass FLOPs over each side\'s wall seconds.');
  for (const { c, samples, work, ours, script } of results) {
    const flops = `${work.forwards.toLocaleString('en')} sample-forwards × ${((2 * work.macs) / 1e6).toFixed(1)} MFLOP = ${((work.forwards * 2 * work.macs) / 1e12).toFixed(2)} TFLOP`;
    console.log(`  ${c.name} (${samples} samples): the script's work ${flops}`);
    const s = side(script);
    if (s && (s.forwards !== work.forwards || s.macsPerSample !== work.macs)) {
      console.log(`    note: the script counted ${s.forwards.toLocaleString('en')} sample-forwards of ${s.macsPerSample.toLocaleString('en')} multiply-adds, not ${work.forwards.toLocaleString('en')} of ${work.macs.toLocaleString('en')}`);
    }
    // A sanity check, not a test: the two need not agree bit for bit (weight matching may find another optimum).
    const middle = (c.alphas - 1) / 2;
    for (const m of c.methods.filter((m) => m === 'naive' || m === 'weight')) {
      const o = side(ours)?.methods.get(m);
      const t = s?.methods.get(m);
      console.log(
        `    ${m}: loss barrier ours ${fixed(4)(o?.barrier.loss)}, script ${fixed(4)(t?.barrier.loss)}; accuracy barrier ours ${fixed(4)(o?.barrier.accuracy)}, ` +
          `script ${fixed(4)(t?.barrier.accuracy)}; loss at α = 0.5 ours ${fixed(4)(o?.loss[middle])}, script ${fixed(4)(t?.loss[middle])}`,
      );
    }
    if (typeof ours === 'string') console.log(`    ours: ${ours}`);
    if (typeof script === 'string' && hasTorch) console.log(`    script: ${script}`);
  }
  const peak = await ourPeak();
  console.log(`Matrix-product peak, 2000×784 × 784×512 float32:`);
  console.log(`  ours (${backend.detail.split(';')[0]}): ${peak.toFixed(1)} GFLOP/s on one thread; × ${cores} cores = ${(peak * cores).toFixed(1)} GFLOP/s`);
  const torchPeak = hasTorch ? scriptPeak() : 'the script cannot run (no torch)';
  if (typeof torchPeak === 'string') console.log(`  torch: ${torchPeak}`);
  else {
    const perCore = torchPeak.gflops / torchPeak.threads;
    console.log(`  torch: ${torchPeak.gflops.toFixed(1)} GFLOP/s on ${torchPeak.threads} threads = ${perCore.toFixed(1)} per core; × ${cores} cores = ${(perCore * cores).toFixed(1)} GFLOP/s`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
