/**
 * `npm run bench`: weight matching of two sharded Llama-style checkpoints of over a billion
 * parameters each (bf16, about 2.1 GB apiece), streamed part by part. The pair is generated into a
 * temporary folder (B = A with every group permuted, plus noise) and deleted afterwards; the
 * comparison runs in a child process of its own, whose peak resident memory is compared with
 * the bound `streamingMemoryBytes` computes from the shapes. Peak memory is the child's own
 * high-water mark (VmHWM: getrusage's maxRSS would start from the parent's size, which a spawned
 * child inherits); rates are per CPU second, for the machine may be shared.
 * BIG_CHECKPOINT_LAYERS=N resizes the model (default 20 layers).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { streamingMemoryBytes, streamingWeightMatching } from '../../src/engine/alignment/streamingWeightMatching';
import type { StreamingSweep } from '../../src/shared/streamingReport';
import { networkLayout } from '../../src/engine/architecture/loadNetwork';
import { initBackend } from '../../src/engine/backend/tfBackend';
import { openShardedSafetensors } from '../../src/engine/formats/safetensors/openShardedSafetensors';
import { networkChannelSpaces } from '../../src/engine/model/networkSpaces';
import { derivePermutationSpec } from '../../src/engine/model/permutationSpec';
import { expectedMatching, hiddenPermutations, llamaSpec, llamaTensors, writeSyntheticPair, type LlamaShape } from './syntheticLlama';

const SHAPE: LlamaShape = { hidden: 2048, layers: Number(process.env.BIG_CHECKPOINT_LAYERS ?? 20), intermediate: 5504, heads: 16, kvHeads: 8, vocab: 32000 };
/** Llama 2 7B's shape, for the projection from the measured rates. */
const LLAMA_7B: LlamaShape = { hidden: 4096, layers: 32, intermediate: 11008, heads: 32, kvHeads: 32, vocab: 32000 };
const SEED = 1;
const MIB = 2 ** 20;

/**
 * Multiply-adds × 2 of the products a sweep makes: the stream's gain touches every weight once
 * per stream unit (2·d·size); a part's coordinate every weight of its tensors once per unit of
 * the coordinate's groups. Sweep 1 forms only the stream's gain; later sweeps skip the parts
 * whose share of it is fixed (embeddings, norms, head) and solve every block's coordinates.
 */
function sweepFlops(s: LlamaShape): { first: number; later: number; laterPerLayer: number } {
  const tensors = llamaTensors(s);
  const size = (name: string) => tensors.find((t) => t.name === name)!.shape.reduce((x, y) => x * y, 1);
  const all = tensors.reduce((sum, t) => sum + t.shape.reduce((x, y) => x * y, 1), 0);
  const p = 'model.layers.0';
  const attention = ['q_proj', 'k_proj', 'v_proj', 'o_proj'].reduce((sum, n) => sum + size(`${p}.self_attn.${n}.weight`), 0);
  const mlp = ['gate_proj', 'up_proj', 'down_proj'].reduce((sum, n) => sum + size(`${p}.mlp.${n}.weight`), 0);
  const kv = s.kvHeads * (s.hidden / s.heads);
  const laterPerLayer = 2 * s.hidden * (attention + mlp + 2 * s.hidden) + 2 * kv * attention + 2 * s.intermediate * mlp;
  return { first: 2 * s.hidden * all, later: s.layers * laterPerLayer, laterPerLayer };
}

/** This process's peak resident memory, in bytes (Linux). */
function highWater(): number {
  const match = /VmHWM:\s*(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  if (!match) throw new Error('no VmHWM in /proc/self/status');
  return Number(match[1]) * 1024;
}

const cpuSeconds = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

interface SweepLine extends StreamingSweep {
  readonly cpuSeconds: number;
  readonly highWater: number;
}

async function compare(a: string, b: string): Promise<void> {
  await initBackend();
  const [ca, cb] = await Promise.all([openShardedSafetensors(a), openShardedSafetensors(b)]);
  // The spec from the headers and config.json alone, as a comparison derives it.
  const layout = await networkLayout(ca, { activation: 'relu' });
  const spec = derivePermutationSpec(networkChannelSpaces(layout.network));
  const runtime = highWater();
  const started = performance.now();
  let cpu = cpuSeconds();
  const result = await streamingWeightMatching(ca, cb, spec, {
    onSweepDone: (sweep) => {
      const line: SweepLine = { ...sweep, cpuSeconds: cpuSeconds() - cpu, highWater: highWater() };
      cpu += line.cpuSeconds;
      console.log(JSON.stringify({ sweep: line }));
    },
  });
  const seconds = (performance.now() - started) / 1000;
  const want = expectedMatching(hiddenPermutations(llamaSpec(SHAPE), SEED));
  const recovered = result.perms.every((perm, g) => perm.length === want[g]!.length && perm.every((x, i) => x === want[g]![i]));
  const bound = streamingMemoryBytes(spec, ca.tensors);
  console.log(JSON.stringify({ done: { seconds, recovered, runtime, bound, peak: highWater(), groups: spec.groups.length, objective: result.details.objective, objectiveBefore: result.details.objectiveBefore } }));
  await Promise.all([ca.close(), cb.close()]);
}

function folderBytes(dir: string): number {
  return readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
}

async function main(): Promise<void> {
  if (process.argv[2] === '--compare') return compare(process.argv[3]!, process.argv[4]!);
  const parameters = llamaTensors(SHAPE).reduce((sum, t) => sum + t.shape.reduce((x, y) => x * y, 1), 0);
  const dir = mkdtempSync(join(tmpdir(), 'merge-lens-big-'));
  try {
    let started = performance.now();
    const written = writeSyntheticPair(dir, SHAPE, { seed: SEED, noise: 0.5, dtype: 'BF16', shardBytes: 2 ** 29 });
    const bytes = folderBytes(join(dir, 'a'));
    console.log(
      `big checkpoints: Llama-style, d ${SHAPE.hidden}, ${SHAPE.layers} layers, MLP ${SHAPE.intermediate}, ${SHAPE.heads} heads / ${SHAPE.kvHeads} key-value, vocabulary ${SHAPE.vocab}: ` +
        `${(parameters / 1e9).toFixed(2)} B parameters, bf16, ${(bytes / 2 ** 30).toFixed(2)} GiB a model in ${readdirSync(join(dir, 'a')).filter((f) => f.endsWith('.safetensors')).length} shards; written in ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
    started = performance.now();
    const child = spawnSync(process.execPath, ['--enable-source-maps', __filename, '--compare', written.a, written.b], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
    const wall = (performance.now() - started) / 1000;
    if (child.status !== 0) throw new Error(`the comparison exited with ${child.status ?? child.signal}`);
    const lines = child.stdout.trim().split('\n').map((line) => JSON.parse(line) as { sweep?: SweepLine; done?: Record<string, number | boolean> });
    const flops = sweepFlops(SHAPE);
    console.log('sweep  objective        wall s  CPU s  read s  product s  assign s  TFLOP  GFLOP/CPU s  peak RSS');
    for (const { sweep } of lines) {
      if (!sweep) continue;
      const f = sweep.sweep === 1 ? flops.first : flops.later;
      console.log(
        `${String(sweep.sweep).padStart(5)}  ${sweep.objective.toExponential(8)}  ${sweep.seconds.toFixed(0).padStart(6)}  ${sweep.cpuSeconds.toFixed(0).padStart(5)}  ${sweep.readSeconds.toFixed(1).padStart(6)}  ` +
          `${sweep.productSeconds.toFixed(0).padStart(9)}  ${sweep.assignmentSeconds.toFixed(1).padStart(8)}  ${(f / 1e12).toFixed(2).padStart(5)}  ${(f / sweep.cpuSeconds / 1e9).toFixed(1).padStart(11)}  ${(sweep.highWater / MIB).toFixed(0)} MiB`,
      );
    }
    const done = lines.find((l) => l.done)!.done!;
    const [runtime, bound, peak] = [done.runtime as number, done.bound as number, done.peak as number];
    console.log(
      `matching ${(done.seconds as number).toFixed(0)} s (process ${wall.toFixed(0)} s); hidden permutation of all ${done.groups} groups recovered: ${done.recovered ? 'yes' : 'NO'}; ` +
        `peak RSS ${(peak / MIB).toFixed(0)} MiB against a bound of ${((bound + runtime) / MIB).toFixed(0)} MiB (${(bound / MIB).toFixed(0)} MiB of parts, gains and tiles + ${(runtime / MIB).toFixed(0)} MiB for the process before reading): ${peak <= bound + runtime ? 'holds' : 'EXCEEDED'}`,
    );
    const sweeps = lines.flatMap((l) => (l.sweep ? [l.sweep] : []));
    // Everything a sweep does, per FLOP of its products, on one core.
    const rate = sweeps.reduce((sum, s) => sum + (s.sweep === 1 ? flops.first : flops.later), 0) / sweeps.reduce((sum, s) => sum + s.cpuSeconds, 0);
    const big = sweepFlops(LLAMA_7B);
    console.log(
      `projected for Llama 2 7B at the measured ${(rate / 1e9).toFixed(1)} GFLOP per CPU second: sweep 1 ${(big.first / rate / 60).toFixed(0)} min, each later sweep ${(big.later / rate / 60).toFixed(0)} min ` +
        `(${(big.laterPerLayer / rate).toFixed(0)} s a layer); its bound ${(streamingBound7b() / MIB).toFixed(0)} MiB + the process`,
    );
    if (!done.recovered || peak > bound + runtime) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The bound for Llama 2 7B's shapes (its hand-written spec: the derived one is the same). */
function streamingBound7b(): number {
  return streamingMemoryBytes(llamaSpec(LLAMA_7B), llamaTensors(LLAMA_7B));
}

void main();
