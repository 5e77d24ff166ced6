import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { compareChoicesFromFlags, parseCompareArgs, threadsFromFlags } from '../../src/cli/compareFlags';
import { measuringThreads } from '../../src/engine/parallel/threadCount';
import { CHOICE_DEFAULTS, resolveCompareRequest } from '../../src/engine/compare/resolveRequest';
import { compareChoicesFromSettings, parseSettings, SETTING_LIMITS } from '../../src/extension/mergeLensSettings';
import { METHOD_NAMES } from '../../src/shared/compareReport';
import { ACTIVATIONS, BACKEND_CHOICES, type CompareRequest } from '../../src/shared/compareRequest';
import { repoRoot } from '../helpers/paths';

/** The CLI's path: argv → flags → choices → request. */
function fromCli(args: string[]): CompareRequest {
  const { a, b, values } = parseCompareArgs(args);
  return resolveCompareRequest(compareChoicesFromFlags(a, b, values));
}

/** The editor's path: settings.json values → settings → choices → request (the host resolves before the cache). */
function fromSettings(json: Record<string, unknown>, files: { a: string; b: string; data: string | null }, methods?: CompareRequest['methods']): CompareRequest {
  return resolveCompareRequest(compareChoicesFromSettings(parseSettings((key) => json[key]), files, methods));
}

/** The worker's path: the host's request, through structured clone, resolved again. */
function fromWorkerMessage(request: CompareRequest): CompareRequest {
  return resolveCompareRequest(structuredClone(request));
}

test('the CLI flags, the settings and the worker message give the identical resolved request for the same choices', () => {
  const files = { a: '/w/a.pt', b: '/w/b.pt', data: '/w/eval.npz' };
  const cases: { args: string[]; settings: Record<string, unknown>; methods?: CompareRequest['methods']; data?: null }[] = [
    // Everything at its default.
    { args: ['/w/a.pt', '/w/b.pt', '--data', '/w/eval.npz'], settings: {} },
    // Everything chosen.
    {
      args: ['/w/a.pt', '/w/b.pt', '--data', '/w/eval.npz', '--methods', 'covariance,weight', '--repair', '--alphas', '11', '--seed', '7', '--restarts', '3',
        '--fit-samples', '500', '--llfc-samples', '500', '--activation', 'gelu', '--backend', 'cpu', '--bn-reset', 'off', '--layer-barriers', 'off',
        '--mean', '0.5', '--std', '0.25', '--heads', '12'],
      settings: { methods: ['weight', 'covariance'], repair: true, alphas: 11, seed: 7, restarts: 3, maxSamples: 500, activation: 'gelu', backend: 'cpu', bnReset: false,
        layerBarriers: false, inputNormalization: { mean: [0.5], std: [0.25] }, attentionHeads: 12 },
    },
    // The picker's methods, in another order than the CLI's.
    { args: ['/w/a.pt', '/w/b.pt', '--data', '/w/eval.npz', '--methods', 'activation,naive'], settings: { methods: ['weight'] }, methods: ['naive', 'activation'] },
    // Weights only: the CLI's default methods, and the setting's less those needing data; repair does not apply.
    { args: ['/w/a.pt', '/w/b.pt'], settings: { repair: true }, data: null },
  ];
  for (const c of cases) {
    const cli = fromCli(c.args);
    const editor = fromSettings(c.settings, { ...files, data: c.data === null ? null : files.data }, c.methods);
    assert.deepEqual(editor, cli, c.args.join(' '));
    assert.deepEqual(fromWorkerMessage(editor), cli, c.args.join(' '));
  }
});

test('bounds are the engine\'s on both fronts: the CLI refuses what the settings bring within bounds', () => {
  assert.throws(() => fromCli(['a', 'b', '--data', 'd', '--alphas', '2']), /--alphas takes a whole number from 3 to 201, not '2'/);
  assert.throws(() => fromCli(['a', 'b', '--data', 'd', '--fit-samples', '8']), /--fit-samples takes a whole number from 16 to 100000, not '8'/);
  assert.throws(() => fromCli(['a', 'b', '--data', 'd', '--llfc-samples', 'all']), /--llfc-samples takes a whole number from 0 to 100000, not 'all'/);
  const edited = fromSettings({ alphas: 2, maxSamples: 1e9, restarts: 0, seed: -4, backend: 'gpu', activation: 7 }, { a: 'a', b: 'b', data: 'd' });
  assert.deepEqual(
    [edited.alphas, edited.fitSamples, edited.llfcSamples, edited.restarts, edited.seed, edited.backend, edited.activation],
    [3, 100_000, 100_000, 1, 0, 'auto', 'relu'],
  );
});

test("package.json's settings schema states the engine's defaults, bounds and vocabularies", () => {
  const manifest = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8'));
  const properties: Record<string, { default?: unknown; minimum?: number; maximum?: number; enum?: unknown[]; items?: { enum?: unknown[] } }> =
    manifest.contributes.configuration.properties;
  for (const [name, limit] of Object.entries(SETTING_LIMITS)) {
    const schema = properties[`mergeLens.${name}`]!;
    assert.deepEqual([schema.default, schema.minimum, schema.maximum], [limit.default, limit.min, limit.max], `mergeLens.${name}`);
  }
  assert.deepEqual(properties['mergeLens.methods']!.items!.enum, METHOD_NAMES);
  assert.deepEqual(properties['mergeLens.methods']!.default, METHOD_NAMES);
  assert.deepEqual(properties['mergeLens.activation']!.enum, ACTIVATIONS);
  assert.deepEqual(properties['mergeLens.backend']!.enum, BACKEND_CHOICES);
  for (const name of ['activation', 'backend', 'repair', 'bnReset', 'layerBarriers'] as const) {
    assert.equal(properties[`mergeLens.${name}`]!.default, CHOICE_DEFAULTS[name], `mergeLens.${name}`);
  }
});

test('threads are asked for by --threads and mergeLens.threads within the same bounds, and are no part of the request', () => {
  const threadsOf = (args: string[]) => threadsFromFlags(parseCompareArgs(['a', 'b', ...args]).values);
  assert.equal(threadsOf([]), undefined);
  assert.equal(threadsOf(['--threads', '3']), 3);
  assert.equal(threadsOf(['--threads', '0']), 0);
  assert.throws(() => threadsOf(['--threads', '65']), /--threads takes a whole number from 0 to 64, not '65'/);
  assert.throws(() => threadsOf(['--threads', 'many']), /--threads takes a whole number from 0 to 64, not 'many'/);
  assert.deepEqual([undefined, 2.6, 500, -3, 'x'].map((threads) => parseSettings((key) => ({ threads })[key]).threads), [0, 3, 64, 0, 0]);
  assert.deepEqual(fromCli(['a', 'b', '--data', 'd', '--threads', '1']), fromCli(['a', 'b', '--data', 'd']));
  // 0 is one per core; native TensorFlow threads its own kernels.
  assert.equal(measuringThreads(0, 'wasm'), availableParallelism());
  assert.equal(measuringThreads(undefined, 'cpu'), availableParallelism());
  assert.equal(measuringThreads(3, 'wasm'), 3);
  assert.equal(measuringThreads(3, 'tensorflow'), 1);
});
