import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { BackendName } from '../engine/backend/tfBackend';
import { compareCheckpoints, type CompareOptions } from '../engine/compare/compareCheckpoints';
import { exportAligned, exportMerged } from '../engine/compare/exportModels';
import { ensureDemoPair, DEMO_CACHE_DIR } from '../engine/demo/demoFiles';
import { writeAtomically } from '../engine/export/atomicFile';
import { mergedModel } from '../engine/metrics/mergedModel';
import { parseShape } from '../engine/architecture/inputShape';
import { ACTIVATIONS, type Activation } from '../engine/model/mlp';
import { bestMethod } from '../shared/bestMethod';
import { ALL_METHOD_NAMES, isRepaired, METHOD_NAMES, WEIGHTS_ONLY_METHODS, withRepairVariants, type MethodName } from '../shared/compareReport';
import { formatCompareTable } from './compareTable';
import { renderHtmlReport } from './htmlReport';
import { ProgressBar } from './progressBar';
import { UsageError } from './usageError';

const BACKENDS = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;

const COMPARE_OPTIONS = {
  data: { type: 'string' },
  'fit-data': { type: 'string' },
  methods: { type: 'string' },
  alphas: { type: 'string', default: '25' },
  activation: { type: 'string', default: 'relu' },
  backend: { type: 'string', default: 'auto' },
  seed: { type: 'string', default: '0' },
  restarts: { type: 'string', default: '1' },
  arch: { type: 'string' },
  'input-shape': { type: 'string' },
  mean: { type: 'string' },
  std: { type: 'string' },
  'bn-reset': { type: 'string', default: 'on' },
  'layer-barriers': { type: 'string', default: 'on' },
  repair: { type: 'boolean', default: false },
  json: { type: 'string' },
  html: { type: 'string' },
  'export-aligned': { type: 'string' },
  'export-method': { type: 'string' },
  'merge-at': { type: 'string' },
  'export-merged': { type: 'string' },
} as const;

function oneOf<T extends string>(value: string, allowed: readonly T[], option: string): T {
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${option} takes one of ${allowed.join(', ')}, not '${value}'`);
  return value as T;
}

function integer(value: string, option: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${option} takes a whole number ≥ ${min}, not '${value}'`);
  return n;
}

type Values = { [K in keyof typeof COMPARE_OPTIONS]?: (typeof COMPARE_OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

function numbers(value: string, option: string): number[] {
  const list = value.split(',').map((v) => Number(v.trim()));
  if (list.length === 0 || list.some((v) => !Number.isFinite(v))) throw new UsageError(`--${option} takes comma-separated numbers (one per input channel), not '${value}'`);
  return list;
}

function compareOptions(a: string, b: string, data: string | null, values: Values): CompareOptions {
  // Without data, the default is every method that can run on weights alone; naming another is
  // refused by the engine (an InputError, exit status 2) before any file is read.
  const chosen: MethodName[] = values.methods === undefined
    ? [...(data === null ? WEIGHTS_ONLY_METHODS : METHOD_NAMES)]
    : values.methods.split(',').map((m) => oneOf(m.trim(), ALL_METHOD_NAMES, 'methods'));
  if (chosen.length === 0) throw new UsageError('--methods names no method');
  // --repair adds the REPAIR variant of every plain method, right after it.
  const methods = values.repair ? withRepairVariants(chosen) : chosen;
  if ((values.mean === undefined) !== (values.std === undefined)) throw new UsageError('--mean and --std go together');
  const inputShape = values['input-shape'] === undefined ? null : parseShape(values['input-shape']);
  if (inputShape === null && values['input-shape'] !== undefined) throw new UsageError(`--input-shape takes C×H×W (e.g. 3x32x32) or a feature count, not '${values['input-shape']}'`);
  return {
    a,
    b,
    data,
    ...(values['fit-data'] ? { fitData: values['fit-data'] } : {}),
    methods: [...new Set(methods)],
    alphas: integer(values.alphas!, 'alphas', 2),
    activation: oneOf<Activation>(values.activation!, ACTIVATIONS, 'activation'),
    backend: oneOf<BackendName | 'auto'>(values.backend!, BACKENDS, 'backend'),
    seed: integer(values.seed!, 'seed', 0),
    restarts: integer(values.restarts!, 'restarts', 1),
    description: values.arch ?? null,
    inputShape,
    normalization: values.mean === undefined ? null : { mean: numbers(values.mean, 'mean'), std: numbers(values.std!, 'std') },
    bnReset: oneOf(values['bn-reset']!, ['on', 'off'], 'bn-reset') === 'on',
    layerBarriers: oneOf(values['layer-barriers']!, ['on', 'off'], 'layer-barriers') === 'on',
  };
}

/** The exports the options ask for, checked before any work starts so a typo costs no minutes. */
function exportPlan(values: Values, methods: readonly MethodName[]) {
  const mergeAt = values['merge-at'] === undefined ? undefined : Number(values['merge-at']);
  if (mergeAt !== undefined && !(mergeAt >= 0 && mergeAt <= 1)) throw new UsageError(`--merge-at takes α between 0 and 1, not '${values['merge-at']}'`);
  if ((mergeAt === undefined) !== (values['export-merged'] === undefined)) throw new UsageError('--merge-at and --export-merged go together');
  const method = values['export-method'] === undefined ? undefined : oneOf(values['export-method'], ALL_METHOD_NAMES, 'export-method');
  if (method && !methods.includes(method)) throw new UsageError(`--export-method ${method} is not among --methods`);
  return { mergeAt, method };
}

async function writeText(file: string, text: string): Promise<void> {
  await writeAtomically(file, { overwrite: true }, (handle) => handle.writeFile(text, 'utf8'));
}

async function run(options: CompareOptions, values: Values): Promise<number> {
  const plan = exportPlan(values, options.methods);
  const bar = new ProgressBar();
  let comparison;
  try {
    comparison = await compareCheckpoints({ ...options, onProgress: (stage, fraction) => bar.update(stage, fraction) });
  } finally {
    bar.done();
  }
  const { report, pair, aligned, fit } = comparison;
  process.stdout.write(`${formatCompareTable(report)}\n`);
  if (values.json) {
    await writeText(values.json, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`report: ${values.json}\n`);
  }
  if (values.html) {
    await writeText(values.html, renderHtmlReport(report));
    process.stdout.write(`figures: ${values.html}\n`);
  }
  if (values['export-aligned'] || values['export-merged']) {
    const method = plan.method ?? bestMethod(report);
    if (!method) throw new UsageError('no alignment passed the equivalence check, so there is nothing valid to export');
    const params = aligned.get(method)!;
    if (values['export-aligned']) {
      await exportAligned(values['export-aligned'], pair, params, method, { overwrite: true });
      process.stdout.write(`aligned B (${method}): ${values['export-aligned']}\n`);
    }
    if (values['export-merged'] && plan.mergeAt !== undefined) {
      const merged = await mergedModel(pair.network, pair.a.params, params, plan.mergeAt, fit && { fit, bnReset: report.bnReset ?? false, repair: isRepaired(method) });
      await exportMerged(values['export-merged'], pair, merged, method, plan.mergeAt, { overwrite: true });
      const how = [merged.batchNorm && `BatchNorm statistics ${merged.batchNorm === 'reset' ? 'recomputed on the fit data' : 'interpolated'}`, merged.repaired && 'REPAIR folded in'].filter(Boolean);
      process.stdout.write(`merged at α=${plan.mergeAt} (${[method, ...how].join('; ')}): ${values['export-merged']}\n`);
    }
  }
  return Object.values(report.methods).every((m) => m.equivalent) ? 0 : 3;
}

/** `merge-lens compare A B [--data EVAL] [...]`: without --data, weights only. */
export async function runCompare(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: COMPARE_OPTIONS, allowPositionals: true });
  const [a, b, ...extra] = positionals;
  if (!a || !b || extra.length > 0) throw new UsageError('compare takes two checkpoints: merge-lens compare A B [--data EVAL]');
  const options = compareOptions(a, b, values.data ?? null, values);
  if (options.data === null) process.stderr.write(`no --data: comparing weights only (${options.methods.join(', ')}); the path, barriers and LLFC need evaluation data\n`);
  return run(options, values);
}

/**
 * `merge-lens demo`: the embedded default. Trains two MLPs from different seeds on the mnist
 * package's digits (cached), compares them with every method and writes both reports.
 */
export async function runDemo(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { dir: { type: 'string', default: DEMO_CACHE_DIR } }, allowPositionals: true });
  if (positionals.length > 0) throw new UsageError('demo takes no arguments besides --dir');
  const dir = values.dir!;
  const files = await ensureDemoPair(dir, { onProgress: (message) => process.stderr.write(`${message}\n`) });
  const json = join(dir, 'report.json');
  const html = join(dir, 'report.html');
  const code = await run(compareOptions(files.a, files.b, files.data, {
    methods: METHOD_NAMES.join(','), alphas: '25', activation: 'relu', backend: 'auto', seed: '0', restarts: '1', 'bn-reset': 'on', 'layer-barriers': 'on',
  }), { json, html });
  await writeFile(join(dir, 'README.txt'), 'Made by `merge-lens demo`: two MLPs trained on MNIST digits from seeds 1 and 2, their comparison (report.json) and figures (report.html).\n');
  return code;
}
