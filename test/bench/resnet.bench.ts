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
import { writeSafetensors } from '../../src/engine/export/writeSafetensors';
import { checkEquivalence } from '../../src/engine/metrics/equivalence';
import { alphaGrid } from '../../src/engine/metrics/interpolation';
import { PathEvaluator } from '../../src/engine/metrics/pathEvaluator';
import { applyPermutation } from '../../src/engine/model/applyPermutation';
import { forwardNetwork } from '../../src/engine/model/forward';
import { networkChannelSpaces } from '../../src/engine/model/networkSpaces';
import { derivePermutationSpec } from '../../src/engine/model/permutationSpec';
import { tempDir } from '../helpers/paths';
import { mulberry32 } from '../helpers/randomMatrices';
import { asTensors, convInit, noisyShuffle, resnetShapes } from './benchCases';

const SAMPLES = Number(process.env.RESNET_BENCH_SAMPLES ?? 256);
const ALPHAS = Number(process.env.RESNET_BENCH_ALPHAS ?? 5);
const WIDTHS = [16, 32, 64];
const BLOCKS = 3;

async function timed<T>(fn: () => Promise<T> | T): Promise<[T, number]> {
  const start = performance.now();
  const value = await fn();
  return [value, (performance.now() - start) / 1000];
}

async function main(): Promise<void> {
  const backend = await initBackend('auto');
  const dir = tempDir();
  const next = mulberry32(2020);
  const shapes = resnetShapes(WIDTHS, BLOCKS);
  const a = convInit(shapes, next);
  const other = convInit(shapes, next);
  const files = { a: join(dir, 'resnet20-a.safetensors'), b: join(dir, 'resnet20-b.safetensors') };
  await writeSafetensors(files.a, asTensors(a));

  const sample = { shape: [3, 32, 32], file: null };
  const [pairA] = await timed(() => loadCheckpointPair(files.a, files.a, { activation: 'relu', sample }));
  const spec = derivePermutationSpec(networkChannelSpaces(pairA.network));
  await writeSafetensors(files.b, asTensors(noisyShuffle(a, other, spec, next)));

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
