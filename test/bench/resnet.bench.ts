/**
 * `npm run bench`: the comparison engine stage by stage on a CIFAR-sized ResNet-20 (widths 16, 32,
 * 64; three BasicBlocks per stage; 1×1 shortcut convolutions at the stride-2 stages; BatchNorm
 * everywhere), A randomly initialised and B its channels shuffled and mixed 0.8 : 0.6 with an
 * independent initialisation, on random 3×32×32 inputs labelled by A's argmax. Every stage is timed
 * once, calling the engine modules the way compareCheckpoints does. RESNET_BENCH_SAMPLES (default
 * 256) and RESNET_BENCH_ALPHAS (default 5) size the run.
 */
import { join } from 'node:path';
import { activationMatching } from '../../src/engine/alignment/activationMatching';
import { covarianceMatching } from '../../src/engine/alignment/covarianceMatching';
import { unitCorrelations } from '../../src/engine/alignment/unitCorrelations';
import { weightMatching } from '../../src/engine/alignment/weightMatching';
import { initBackend } from '../../src/engine/backend/tfBackend';
import { loadCheckpointPair } from '../../src/engine/compare/loadPair';
import { writeSafetensors, type WritableTensor } from '../../src/engine/export/writeSafetensors';
import { checkEquivalence } from '../../src/engine/metrics/equivalence';
import { alphaGrid } from '../../src/engine/metrics/interpolation';
import { PathEvaluator } from '../../src/engine/metrics/pathEvaluator';
import { applyPermutation } from '../../src/engine/model/applyPermutation';
import { forwardNetwork } from '../../src/engine/model/forward';
import { networkChannelSpaces } from '../../src/engine/model/networkSpaces';
import type { Params } from '../../src/engine/model/params';
import { derivePermutationSpec } from '../../src/engine/model/permutationSpec';
import { tempDir } from '../helpers/paths';
import { mulberry32 } from '../helpers/randomMatrices';

const SAMPLES = Number(process.env.RESNET_BENCH_SAMPLES ?? 256);
const ALPHAS = Number(process.env.RESNET_BENCH_ALPHAS ?? 5);
const WIDTHS = [16, 32, 64];
const BLOCKS = 3;

function resnet20Shapes(): [string, number[]][] {
  const bn = (p: string, c: number): [string, number[]][] => [[`${p}.weight`, [c]], [`${p}.bias`, [c]], [`${p}.running_mean`, [c]], [`${p}.running_var`, [c]]];
  const shapes: [string, number[]][] = [['conv1.weight', [16, 3, 3, 3]], ...bn('bn1', 16)];
  let cin = 16;
  WIDTHS.forEach((w, s) => {
    for (let j = 0; j < BLOCKS; j++) {
      const p = `layer${s + 1}.${j}`;
      shapes.push([`${p}.conv1.weight`, [w, cin, 3, 3]], ...bn(`${p}.bn1`, w), [`${p}.conv2.weight`, [w, w, 3, 3]], ...bn(`${p}.bn2`, w));
      if (cin !== w) shapes.push([`${p}.shortcut.0.weight`, [w, cin, 1, 1]], ...bn(`${p}.shortcut.1`, w));
      cin = w;
    }
  });
  shapes.push(['linear.weight', [10, 64]], ['linear.bias', [10]]);
  return shapes;
}

function init(shapes: [string, number[]][], next: () => number): Map<string, { shape: number[]; data: Float32Array }> {
  return new Map(shapes.map(([name, shape]) => {
    const n = shape.reduce((x, y) => x * y, 1);
    const fanIn = shape.length > 1 ? n / shape[0]! : 1;
    const u = (lo: number, hi: number) => Float32Array.from({ length: n }, () => lo + (hi - lo) * next());
    const data = name.endsWith('running_var') ? u(0.5, 1.5) : name.endsWith('running_mean') ? u(-0.1, 0.1)
      : shape.length === 1 ? (name.endsWith('weight') ? u(0.8, 1.2) : u(-0.1, 0.1)) : u(-Math.sqrt(3 / fanIn), Math.sqrt(3 / fanIn));
    return [name, { shape, data }];
  }));
}

async function timed<T>(fn: () => Promise<T> | T): Promise<[T, number]> {
  const start = performance.now();
  const value = await fn();
  return [value, (performance.now() - start) / 1000];
}

async function main(): Promise<void> {
  const backend = await initBackend('auto');
  const dir = tempDir();
  const next = mulberry32(2020);
  const shapes = resnet20Shapes();
  const a = init(shapes, next);
  const other = init(shapes, next);
  const files = { a: join(dir, 'resnet20-a.safetensors'), b: join(dir, 'resnet20-b.safetensors') };
  const asTensors = (p: Params): WritableTensor[] => [...p].map(([name, t]) => ({ name, dtype: 'F32', shape: t.shape, data: t.data }));
  await writeSafetensors(files.a, asTensors(a));

  const sample = { shape: [3, 32, 32], file: null };
  const [pairA] = await timed(() => loadCheckpointPair(files.a, files.a, { activation: 'relu', sample }));
  const spec = derivePermutationSpec(networkChannelSpaces(pairA.network));
  const mixed: Params = new Map([...a].map(([name, t]) => [name, { shape: t.shape, data: t.data.map((v, i) => (name.includes('running') ? v : 0.8 * v + 0.6 * other.get(name)!.data[i]!)) }]));
  const shuffle = spec.groups.map((g) => {
    const perm = Int32Array.from({ length: g.size }, (_, i) => i);
    for (let i = g.size - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [perm[i], perm[j]] = [perm[j]!, perm[i]!];
    }
    return perm;
  });
  await writeSafetensors(files.b, asTensors(applyPermutation(mixed, spec, shuffle)));

  const t = new Map<string, number>();
  const [pair, load] = await timed(() => loadCheckpointPair(files.a, files.b, { activation: 'relu', sample }));
  t.set('load both checkpoints', load);
  const { network } = pair;
  const inputs = Float32Array.from({ length: SAMPLES * 3 * 32 * 32 }, () => next());
  const logits = (await forwardNetwork(network, pair.a.params, inputs, SAMPLES)).logits;
  const labels = Int32Array.from({ length: SAMPLES }, (_, s) => {
    let best = 0;
    for (let k = 1; k < 10; k++) if (logits[s * 10 + k]! > logits[s * 10 + best]!) best = k;
    return best;
  });
  const fit = { inputs, count: SAMPLES };
  const [correlations, correlationSeconds] = await timed(() => unitCorrelations(network, pair.a.params, pair.b.params, spec, fit));
  t.set('unit correlations', correlationSeconds);
  const [weight, weightSeconds] = await timed(() => weightMatching(pair.a.params, pair.b.params, spec, { seed: 0 }));
  t.set(`align: weight (${weight.details.sweeps} sweeps)`, weightSeconds);
  t.set('align: activation', (await timed(() => activationMatching(spec, correlations)))[1]);
  t.set('align: covariance', (await timed(() => covarianceMatching(network, pair.a.params, pair.b.params, spec, fit)))[1]);
  const [permutedB, apply] = await timed(() => applyPermutation(pair.b.params, spec, weight.perms));
  t.set('apply permutation', apply);
  const probe = Math.min(256, SAMPLES);
  t.set('equivalence check', (await timed(() => checkEquivalence(network, pair.b.params, permutedB, inputs.subarray(0, probe * 3072), probe)))[1]);
  const alphas = alphaGrid(ALPHAS);
  const evaluation = { inputs, labels, count: SAMPLES };
  for (const bnReset of [false, true]) {
    const evaluator = PathEvaluator.create(network, pair.a.params, evaluation, { fit, bnReset });
    try {
      const label = bnReset ? 'BatchNorm reset' : 'no reset';
      t.set(`path (${ALPHAS} α, ${label})`, (await timed(() => evaluator.measure(permutedB, { alphas, layerBarriers: false, llfcSamples: 0 })))[1]);
      if (bnReset) {
        t.set(`path + LLFC (${label})`, (await timed(() => evaluator.measure(permutedB, { alphas, layerBarriers: false, llfcSamples: SAMPLES })))[1]);
        t.set(`path with REPAIR (${label})`, (await timed(() => evaluator.measure(permutedB, { alphas, layerBarriers: false, llfcSamples: 0, repair: true })))[1]);
        const [, all] = await timed(() => evaluator.measure(permutedB, { alphas, layerBarriers: true, llfcSamples: 0 }));
        t.set(`per-layer barriers, 22 layers (${label}, − path)`, all - t.get(`path (${ALPHAS} α, ${label})`)!);
      }
    } finally {
      evaluator.dispose();
    }
  }
  console.log(`\nResNet-20 (widths ${WIDTHS.join('/')}, ${BLOCKS} BasicBlocks per stage, ${spec.groups.length} permutation groups), ` +
    `${SAMPLES} samples of 3×32×32 (evaluation = fit = LLFC), ${ALPHAS} α; backend: ${backend.detail}`);
  const width = Math.max(...[...t.keys()].map((k) => k.length));
  for (const [stage, seconds] of t) console.log(`  ${stage.padEnd(width)}  ${seconds.toFixed(2).padStart(8)} s`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
