import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openCheckpoint } from '../../src/engine/formats/openCheckpoint';
import { fixture, tempDir } from '../helpers/paths';
import { cli as runCli } from '../helpers/runCli';

const cli = (...args: string[]) => runCli(args);

async function tensors(file: string): Promise<Map<string, Float32Array>> {
  const checkpoint = await openCheckpoint(file);
  const out = new Map<string, Float32Array>();
  for (const t of checkpoint.tensors) out.set(t.name, await checkpoint.readFloat32(t.name));
  await checkpoint.close();
  return out;
}

const sorted = (values: Float32Array) => Array.from(values).sort((x, y) => x - y);

test('compare writes the documented JSON, the HTML figures and both exports with B\'s names', async () => {
  const dir = tempDir();
  const [json, html, aligned, merged] = ['r.json', 'r.html', 'aligned.safetensors', 'merged.safetensors'].map((f) => join(dir, f));
  const a = fixture('compare', 'a.pt');
  const b = fixture('compare', 'b.pt');
  const run = cli('compare', a, b, '--data', fixture('compare', 'eval.npz'), '--methods', 'naive,weight', '--alphas', '5',
    '--json', json!, '--html', html!, '--export-aligned', aligned!, '--merge-at', '0', '--export-merged', merged!);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^weight\s+\d\.\d{4}\s/m);
  assert.match(run.stdout, /aligned B \(weight\)/);

  const report = JSON.parse(readFileSync(json!, 'utf8'));
  assert.deepEqual(report.alphas, [0, 0.25, 0.5, 0.75, 1]);
  assert.ok(typeof report.backend === 'string');
  assert.deepEqual(report.layers.map((l: { name: string; width: number }) => [l.name, l.width]), [['0', 64], ['2', 64], ['4', 10]]);
  for (const method of ['naive', 'weight']) {
    const m = report.methods[method];
    for (const key of ['path', 'barrier', 'layerBarriers', 'llfc', 'matching', 'equivalent', 'seconds']) assert.ok(key in m, `${method}.${key}`);
    assert.equal(m.path.loss.length, 5);
    assert.equal(m.llfc[0].cosine.length, 5);
    assert.equal(m.matching[0].permutation.length, 64);
  }
  assert.match(readFileSync(html!, 'utf8'), /<svg/);

  const [A, B, alignedB, mergedAt0] = await Promise.all([a, b, aligned!, merged!].map(tensors));
  assert.deepEqual([...alignedB!.keys()].sort(), [...B!.keys()].sort());
  // π(B) holds B's values, reordered.
  for (const [name, values] of alignedB!) assert.deepEqual(sorted(values), sorted(B!.get(name)!), name);
  // α = 0 is A itself.
  for (const [name, values] of mergedAt0!) assert.deepEqual(Array.from(values), Array.from(A!.get(name)!), name);
});

test('--fit-samples and --llfc-samples reach the comparison, and the report records the resolved request', () => {
  const json = join(tempDir(), 'r.json');
  const data = fixture('compare', 'eval.npz');
  const run = cli('compare', fixture('compare', 'a.pt'), fixture('compare', 'b.pt'), '--data', data, '--methods', 'weight', '--alphas', '3',
    '--fit-samples', '100', '--llfc-samples', '0', '--layer-barriers', 'off', '--json', json);
  assert.equal(run.code, 0, run.stderr);
  const report = JSON.parse(readFileSync(json, 'utf8'));
  assert.equal(report.data.fit.count, 100);
  assert.deepEqual(report.methods.weight.llfc, []);
  assert.deepEqual(report.methods.weight.layerBarriers, []);
  assert.deepEqual(report.request, {
    a: fixture('compare', 'a.pt'), b: fixture('compare', 'b.pt'), data, fitData: data, methods: ['weight'], alphas: 3, activation: 'relu', backend: 'auto',
    seed: 0, restarts: 8, description: null, heads: null, inputShape: null, normalization: null, bnReset: true, layerBarriers: false, fitSamples: 100, llfcSamples: 0,
  });
  const outOfBounds = cli('compare', fixture('compare', 'a.pt'), fixture('compare', 'b.pt'), '--data', data, '--alphas', '2');
  assert.equal(outOfBounds.code, 2);
  assert.match(outOfBounds.stderr, /--alphas takes a whole number from 3 to 201, not '2'/);
});

test('compare: wrong usage is exit status 2 before any work', () => {
  const a = fixture('compare', 'a.pt');
  assert.equal(cli('compare', a).code, 2);
  assert.match(cli('compare', a, a, '--data', 'x', '--methods', 'telepathy').stderr, /--methods takes one of naive, weight, activation, covariance/);
  assert.equal(cli('compare', a, a, '--data', 'x', '--merge-at', '2', '--export-merged', 'm').code, 2);
});

test('compare without --data compares weights only: a note on stderr, dashes for the path columns, a report without data', () => {
  const dir = tempDir();
  const json = join(dir, 'weights.json');
  const run = cli('compare', fixture('compare', 'a.pt'), fixture('compare', 'b.pt'), '--json', json);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /^no --data: comparing weights only \(naive, weight\); the path, barriers and LLFC need evaluation data$/m);
  assert.match(run.stdout, /^weight\s+–\s+–\s+–\s+\d+\.\d{2}\s+yes$/m);
  assert.match(run.stdout, /weights only/);
  const report = JSON.parse(readFileSync(json, 'utf8'));
  assert.equal(report.data, null);
  assert.equal(report.methods.weight.path, null);
  assert.equal(report.methods.weight.barrier, null);
  assert.deepEqual(Object.keys(report.methods), ['naive', 'weight']);

  const refused = cli('compare', fixture('compare', 'a.pt'), fixture('compare', 'b.pt'), '--methods', 'weight,activation');
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /activation matching fits on data, and none was given/);
});
