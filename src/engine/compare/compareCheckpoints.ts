import { activationMatching } from '../alignment/activationMatching';
import type { AlignmentResult } from '../alignment/alignmentResult';
import { covarianceGroups, covarianceInputs, covarianceMatching, type CovarianceInputs } from '../alignment/covarianceMatching';
import { naiveAlignment } from '../alignment/naive';
import { unitCorrelations, type Samples } from '../alignment/unitCorrelations';
import { bestWeightMatching } from '../alignment/weightMatching';
import { initBackend } from '../backend/tfBackend';
import type { SampleShape } from '../architecture/inputShape';
import { applyPermutation } from '../model/applyPermutation';
import { layerUnits, type Network, type WeightedNode } from '../model/network';
import { channelSpacesWithValues, networkChannelSpaces } from '../model/networkSpaces';
import type { Params } from '../model/params';
import { derivePermutationSpec, type PermutationSpec } from '../model/permutationSpec';
import { dimS } from '../metrics/dimS';
import { headDimensions, headMatching } from '../metrics/headMatching';
import { transformerGroups, type AttentionGroups } from '../model/transformerGroups';
import { llfcConditions, type LeftOut } from '../metrics/llfcConditions';
import { checkEquivalence, probeInputs } from '../metrics/equivalence';
import { alphaGrid } from '../metrics/interpolation';
import { matchingCosts } from '../metrics/matchingCosts';
import { neuronWasserstein } from '../metrics/neuronWasserstein';
import { PathEvaluator } from '../metrics/pathEvaluator';
import type { Dataset } from '../datasets/dataset';
import {
  alignmentOf,
  isRepaired,
  REPORT_VERSION,
  type AlignmentName,
  type CompareReport,
  type LayerMatching,
  type LlfcConditions,
  type MethodName,
  type MethodResult,
} from '../../shared/compareReport';
import { METHOD_STYLE } from '../../shared/presentation/methodStyles';
import { loadCheckpointPair, type CheckpointPair } from './loadPair';
import { checkDataFits, firstSamples, normalized, openData, summariseDataset } from './loadData';
import { resolveCompareRequest, type CompareChoices } from './resolveRequest';
import { measuringThreads } from '../parallel/threadCount';
import { helpersWithinMemory, networkParameters } from './comparisonMemory';
import { threadMemoryLimit } from './memoryLimit';
import { basename } from 'node:path';
import { InputError } from '../io/inputError';

/** How a running comparison reports, stops and spreads its work: not part of what it computes. */
export interface CompareRun {
  /** Threads that measure, this one included, as `measuringThreads` reads it (0 or absent: one per core). */
  readonly threads?: number;
  /** Stages in words ("weight matching: sweep 3", "weight path and LLFC: batch 2/4"), fractions rising from 0 to 1 over the whole call. */
  readonly onProgress?: (stage: string, fraction: number) => void;
  readonly signal?: AbortSignal;
}

export interface Comparison {
  readonly report: CompareReport;
  readonly pair: CheckpointPair;
  readonly spec: PermutationSpec;
  /** π(θB) per method, under A's tensor names: what the exports write. */
  readonly aligned: ReadonlyMap<MethodName, Params>;
  /** The fit samples, normalised, that BatchNorm reset and REPAIR measured on; null when weights only. */
  readonly fit: Samples | null;
}

/** Samples the equivalence check compares π(B) and B on. */
const EQUIVALENCE_SAMPLES = 256;
/** Fixed, so a weights-only report is reproducible; any inputs that reach the units would do. */
const EQUIVALENCE_SEED = 0x5eed;

/** Where the per-method work sits in the whole call's progress; loading before, Dim(S) after. */
const METHODS_START = 0.05;
const METHODS_END = 0.95;

/** Progress names an alignment as every view does. */
const stage = (alignment: AlignmentName): string => METHOD_STYLE[alignment].label;

async function align(
  method: AlignmentName,
  pair: CheckpointPair,
  spec: PermutationSpec,
  covarianceMoments: () => Promise<CovarianceInputs>,
  correlations: readonly Float64Array[] | null,
  weightResult: () => Promise<AlignmentResult>,
): Promise<AlignmentResult> {
  const fitted = <T>(value: T | null): T => {
    if (value === null) throw new Error(`${method} matching reached without fit data`);
    return value;
  };
  switch (method) {
    case 'naive':
      return naiveAlignment(spec);
    case 'weight':
      return weightResult();
    case 'activation':
      return activationMatching(spec, fitted(correlations));
    case 'covariance': {
      const own = covarianceGroups(pair.network, spec);
      if (own.every(Boolean)) return covarianceMatching(pair.network, pair.a.params, pair.b.params, spec, await covarianceMoments());
      const weight = await weightResult();
      const result = await covarianceMatching(pair.network, pair.a.params, pair.b.params, spec, await covarianceMoments(), weight.perms.map((perm, g) => (own[g] ? null : perm)));
      const others = spec.groups.filter((_, g) => !own[g]).map((group) => group.name);
      return { ...result, details: { ...result.details, weightMatchedGroups: others.join(', ') } };
    }
  }
}

/**
 * The whole comparison: read and check both checkpoints and the data, align B to A by every
 * method asked for, check each alignment preserves B's function, and measure the linear path
 * (BatchNorm statistics reset, REPAIR for the '+repair' methods), per-layer barriers, LLFC and
 * its two conditions, matching quality with the Wasserstein distances, and Dim(S). Without data (weights only), the path measurements are null or
 * empty and the equivalence check runs on seeded random inputs.
 */
export async function compareCheckpoints(choices: CompareChoices, run: CompareRun = {}): Promise<Comparison> {
  // Resolving here too makes every caller's request the one the report records.
  let request = resolveCompareRequest(choices);
  const warnings: string[] = [];
  const progress = run.onProgress ?? (() => {});
  const dataFile = request.data;
  const backend = await initBackend(request.backend);
  let data: { evaluation: Dataset; fit: Dataset } | null = null;
  if (dataFile !== null) {
    progress('reading data', 0);
    data = await openData(dataFile, request.fitData ?? dataFile);
  }
  const sample: SampleShape | null = request.inputShape ? { shape: request.inputShape, file: null } : data ? { shape: data.evaluation.inputShape, file: data.evaluation.file } : null;
  progress('reading checkpoints', data ? 0.01 : 0);
  const threads = measuringThreads(run.threads, backend.name);
  let measuring = threads;
  const pair = await loadCheckpointPair(request.a, request.b, { activation: request.activation, description: request.description, heads: request.heads, sample }, ([a, b]) => {
    // REPAIR restores per-channel statistics where BatchNorm-style channels carry them (Jordan et al.,
    // VGGs and ResNets); a transformer's LayerNorm already renormalises every position, and no
    // definition of REPAIR for attention is established, so it is not improvised: REPAIR methods
    // named are refused, and the standing preference (--repair, mergeLens.repair) applies, as
    // it does without data, only where REPAIR can run.
    if (a.network.kind === 'transformer' && request.methods.some(isRepaired)) {
      const named = (choices.methods ?? []).filter(isRepaired);
      if (named.length > 0) throw new InputError(`${basename(request.a)} is a transformer, for which REPAIR is not defined: leave out ${named.join(', ')}`);
      request = resolveCompareRequest({ ...choices, repair: false });
      warnings.push('REPAIR is not defined for transformers: the repair preference was not applied');
    }
    // Refused from the headers, before any tensor is read, when the whole comparison would not
    // fit; measured on fewer threads when only its compute helpers' copies would not.
    const evaluation = data?.evaluation;
    const helpers = data && request.layerBarriers && layerUnits(a.network).length > 1 ? threads - 1 : 0;
    const size = {
      network: a.network,
      parameters: Math.max(networkParameters(a.network, a.shapeOf), networkParameters(b.network, b.shapeOf)),
      alignments: new Set(request.methods.map(alignmentOf)).size,
      data: data && {
        evaluation: evaluation!.count,
        separateFit: data.fit === evaluation ? 0 : data.fit.count,
        normalized: request.normalization !== null,
        fitSamples: Math.min(request.fitSamples, data.fit.count),
        evaluationUsed: evaluation!.count,
      },
      helpers,
    };
    const fitting = helpersWithinMemory(size, threadMemoryLimit(), `${basename(request.a)} with ${basename(request.b)}`);
    if (fitting < helpers) measuring = fitting + 1;
  });
  const { network } = pair;
  if (data) {
    checkDataFits(data.evaluation, network, 'evaluation');
    if (data.fit !== data.evaluation) checkDataFits(data.fit, network, 'fit');
    if (request.normalization) {
      const evaluation = normalized(data.evaluation, request.normalization, network);
      data = { evaluation, fit: data.fit === data.evaluation ? evaluation : normalized(data.fit, request.normalization, network) };
    }
  }
  const fit = data && firstSamples(data.fit, request.fitSamples);
  const spec = derivePermutationSpec(networkChannelSpaces(network));
  const transformer = transformerGroups(network, spec);
  const alphas = alphaGrid(request.alphas);
  const hasBatchNorm = network.nodes.some((n) => n.op === 'batchnorm');

  let correlations: Float64Array[] | null = null;
  if (fit) {
    progress('unit correlations on the fit data', 0.03);
    correlations = await unitCorrelations(network, pair.a.params, pair.b.params, spec, fit);
  }
  const inputSize = network.input.reduce((x, y) => x * y, 1);
  const probe = data ? firstSamples(data.evaluation, EQUIVALENCE_SAMPLES) : { inputs: probeInputs(network, EQUIVALENCE_SAMPLES, EQUIVALENCE_SEED), count: EQUIVALENCE_SAMPLES };
  // Σ of A's layer inputs on the fit data, measured once: covariance matching and every method's covariance-weighted W2 read it.
  let moments: Promise<CovarianceInputs> | null = null;
  const covarianceMoments = (): Promise<CovarianceInputs> => {
    if (!fit) throw new Error('covariance moments reached without fit data');
    return (moments ??= covarianceInputs(network, spec, pair.a.params, fit));
  };
  let weightRun: Promise<AlignmentResult> | null = null;
  const llfcSamples = data && request.llfcSamples > 0 ? firstSamples(data.evaluation, request.llfcSamples) : null;
  const evaluator = data && PathEvaluator.create(network, pair.a.params, data.evaluation, { fit, bnReset: request.bnReset, threads: measuring, backend: request.backend });
  const methods: Partial<Record<MethodName, MethodResult>> = {};
  const aligned = new Map<MethodName, Params>();
  const alignments = new Map<
    AlignmentName,
    {
      result: AlignmentResult;
      seconds: number;
      permutedB: Params;
      equivalence: { equivalent: boolean; error: number };
      matching?: LayerMatching[];
      conditions?: LlfcConditions | null;
    }
  >();
  try {
    for (const [index, method] of request.methods.entries()) {
      run.signal?.throwIfAborted();
      const base = alignmentOf(method);
      const share = (fraction: number) => METHODS_START + ((METHODS_END - METHODS_START) * (index + fraction)) / request.methods.length;
      // Where the equivalence check, and so everything after the alignment, starts in the progress.
      const checked = share(evaluator ? 0.1 : 0.5);
      let done = alignments.get(base);
      if (!done) {
        // Alignment time is unknown ahead (sweeps until nothing improves): its share is held at its start.
        progress(stage(base), share(0));
        const started = performance.now();
        const onSweep = (sweep: number) => progress(`${stage(base)}: sweep ${sweep}`, share(0));
        // Covariance matching of a transformer takes weight matching's residual and head permutations: one run serves both.
        const weightResult = () => (weightRun ??= bestWeightMatching(pair.a.params, pair.b.params, spec, { seed: request.seed, restarts: request.restarts, onSweep }));
        const result = await align(base, pair, spec, covarianceMoments, correlations, weightResult);
        const seconds = (performance.now() - started) / 1000;
        const permutedB = applyPermutation(pair.b.params, spec, result.perms);
        progress(`${base}: equivalence check`, checked);
        const equivalence = await checkEquivalence(network, pair.b.params, permutedB, probe.inputs, probe.count);
        if (!equivalence.equivalent) {
          warnings.push(
            `${base}: INVALID — the permuted B does not reproduce B's outputs (relative difference ${equivalence.error.toExponential(2)}); its measurements are not of B`,
          );
        }
        done = { result, seconds, permutedB, equivalence };
        alignments.set(base, done);
      }
      // The latest fraction reported: work alongside the per-layer barriers holds it.
      let reached = checked;
      const report = (stage: string, fraction: number) => {
        reached = Math.max(reached, fraction);
        progress(stage, reached);
      };
      const alignment = done;
      // A method and its REPAIR variant share the alignment, so its conditions and matching are computed once.
      const perAlignment = async (): Promise<{ matching: LayerMatching[]; conditions: LlfcConditions | null }> => {
        if (alignment.conditions === undefined) {
          let conditions: LlfcConditions | null = null;
          if (llfcSamples) {
            const measuredConditions = await llfcConditions(network, pair.a.params, alignment.permutedB, llfcSamples, {
              onBatch: (batch, batches) => report(`${base}: LLFC conditions: batch ${batch}/${batches}`, reached),
              ...(run.signal ? { signal: run.signal } : {}),
            });
            if (measuredConditions.leftOut.length > 0) warnings.push(leftOutWarning(base, llfcSamples.count, measuredConditions.leftOut));
            conditions = measuredConditions.conditions;
          }
          alignment.conditions = conditions;
        }
        if (!alignment.matching) {
          report(`${base}: matching costs`, reached);
          const wasserstein = await neuronWasserstein(pair.a.params, pair.b.params, spec, alignment.result.perms, fit && (await covarianceMoments()));
          alignment.matching = matchingCosts(pair.a.params, pair.b.params, spec, alignment.result.perms, correlations ?? undefined).map((layer, g) => {
            const { identity, aligned: after, optimal, covariance } = wasserstein[g]!;
            return { ...layer, wasserstein: { identity, aligned: after, optimal, covariance } };
          });
        }
        return { matching: alignment.matching, conditions: alignment.conditions };
      };
      const measured = evaluator
        ? await evaluator.measure(done.permutedB, {
            alphas,
            layerBarriers: request.layerBarriers,
            llfcSamples: request.llfcSamples,
            repair: isRepaired(method),
            onProgress: (stage, fraction) => report(`${method} ${stage}`, share(0.1 + 0.85 * fraction)),
            // While the compute helpers take per-layer barriers, this thread measures the conditions and the matching.
            alongside: perAlignment,
            ...(run.signal ? { signal: run.signal } : {}),
          })
        : null;
      // Already done alongside the per-layer barriers when there was a path to measure.
      const { matching, conditions } = await perAlignment();
      methods[method] = {
        method,
        path: measured?.path ?? null,
        barrier: measured?.barrier ?? null,
        layerBarriers: measured?.layerBarriers ?? [],
        llfc: measured?.llfc ?? [],
        conditions,
        matching,
        equivalent: done.equivalence.equivalent,
        equivalenceError: done.equivalence.error,
        seconds: done.seconds,
        details: done.result.details,
        ...(isRepaired(method) ? { varianceCollapse: measured?.varianceCollapse ?? [] } : {}),
        ...(transformer ? { heads: await headMatching(pair.a.params, pair.b.params, spec, done.result.perms, transformer.attentions, base) } : {}),
      };
      aligned.set(method, done.permutedB);
    }
  } finally {
    evaluator?.dispose();
  }
  progress('Dim(S)', METHODS_END);
  const units = layerUnits(network);
  const weighted = units.map((u) => network.nodes[u.node] as WeightedNode);
  const dimensions = [
    ...(await dimS(pair.a.params, pair.b.params, weighted.map((n) => ({ name: n.id, weight: n.weight, bias: n.bias })))),
    ...(transformer ? await headDimensions(pair.a.params, pair.b.params, spec, transformer.attentions) : []),
  ];
  const { spaces, values } = channelSpacesWithValues(network);
  const report: CompareReport = {
    version: REPORT_VERSION,
    createdAt: new Date().toISOString(),
    tool: 'merge-lens 0.1.0',
    request,
    checkpoints: pair.summaries,
    data: data && fit && { evaluation: summariseDataset(data.evaluation), fit: summariseDataset(data.fit, fit.count) },
    equivalenceInputs: data ? 'evaluation' : 'random',
    architecture: {
      kind: network.kind,
      // A transformer's config names its MLP's activation; other checkpoints do not store one.
      activation: network.kind === 'transformer' ? transformerActivation(network) : request.activation,
      inputSize,
      inputShape: network.input,
      outputSize: spaces.spaces[values[network.nodes.length - 1]!]!.size,
      description: pair.a.descriptionFile,
      notes: pair.a.notes,
      normalization: request.normalization,
    },
    layers: units.map((unit, l) => {
      const space = spaces.spaces[values[unit.node]!]!;
      const node = weighted[l]!;
      return {
        name: node.id,
        kind: node.op === 'conv2d' ? 'conv' : 'linear',
        // A layer's own outputs: grouped queries hold their group's units once per query head.
        width: node.op === 'conv2d' ? node.outChannels : node.outFeatures,
        permuted: space.permutable,
        group: space.permutable ? space.name : null,
        batchNorm: unit.batchNorm === null ? null : network.nodes[unit.batchNorm]!.id,
      };
    }),
    groups: spec.groups.map((g, k) => {
      const role = transformer?.groups[k];
      return {
        name: g.name,
        size: g.size,
        layers: g.layers,
        ...(role ? { role: role.role, ...(role.block ? { block: role.block } : {}) } : {}),
        ...(g.heads && g.heads.partner ? { heads: { count: g.heads.count, queryHeads: queryHeads(network, transformer!.attentions, k), withinHead: g.heads.withinHead, partner: g.heads.partner } } : {}),
      };
    }),
    bnReset: hasBatchNorm && data ? request.bnReset : null,
    alphas,
    backend: backend.name,
    backendDetail: backend.detail,
    methods,
    dimS: dimensions,
    warnings,
  };
  progress('done', 1);
  return { report, pair, spec, aligned, fit };
}

/** The activations of a transformer's MLPs, as its config names them ("gelu_tanh"; "gelu/silu" if they differ). */
function transformerActivation(network: Network): string {
  return [...new Set(network.nodes.flatMap((n) => (n.op === 'activation' ? [n.fn] : [])))].join('/');
}

/** Query heads of the attention group k belongs to: more than its heads under grouped-query attention. */
function queryHeads(network: Network, attentions: readonly AttentionGroups[], k: number): number {
  const at = attentions.find((a) => a.queryKey === k || a.valueOutput === k)!;
  const node = network.nodes.find((n) => n.id === at.attention);
  if (node?.op !== 'attention') throw new Error(`attention '${at.attention}' is not in the network`);
  return node.heads;
}

/** One line for the samples an alignment's conditions left out of their per-sample means. */
function leftOutWarning(alignment: AlignmentName, samples: number, leftOut: readonly LeftOut[]): string {
  const where = leftOut.map((l) => `${l.condition === 'additivity' ? 'weak additivity' : 'commutativity'} at '${l.layer}'${l.shuffled ? ' (shuffled)' : ''}: ${l.samples}`);
  return `${alignment}: LLFC conditions: samples with an all-zero u or v (no direction) were left out of the per-sample means, of ${samples}: ${where.join('; ')}`;
}
