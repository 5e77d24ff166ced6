import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixture, tempDir } from '../helpers/paths';
import { cli as runCli } from '../helpers/runCli';

/**
 * The checkpoints people have, through the command line: a Lightning checkpoint whose
 * hyper_parameters hold an argparse.Namespace, and legacy (before PyTorch 1.6) files. Both pairs
 * hold the weights of test/fixtures/compare's tanh_a.pt and tanh_b.pt (make_training_fixtures.py),
 * so their comparison must report what the zip pair's does.
 */

const cli = (...args: string[]) => runCli(args);

const expected = JSON.parse(readFileSync(fixture('pytorch', 'expected_training.json'), 'utf8')) as Record<string, { tensors: Array<{ name: string; shape: number[] }> }>;

test('inspect lists the Lightning and legacy files\' tensors and says what was kept as placeholders', () => {
  const lightning = cli('inspect', fixture('pytorch', 'lightning_a.ckpt'));
  assert.equal(lightning.code, 0, lightning.stderr);
  assert.match(lightning.stdout, /^note: a PyTorch Lightning checkpoint \(Lightning 1\.9\.5, epoch 19, global_step 3380\)$/m);
  assert.match(lightning.stdout, /^note: 'hyper_parameters' holds argparse\.Namespace, pathlib\.PosixPath, .*: kept as inert placeholders, never imported or run$/m);
  assert.match(lightning.stdout, /^model\.0\s+25,120$/m);
  assert.match(lightning.stdout, /^total: 6 tensors, 26,506 parameters/m);

  for (const name of ['lightning_b.ckpt', 'legacy_a.pt']) {
    const run = cli('inspect', fixture('pytorch', name), '--json');
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as { tensors: Array<{ name: string; shape: number[] }> };
    assert.deepEqual(report.tensors.map((t) => [t.name, t.shape]), expected[name]!.tensors.map((t) => [t.name, t.shape]));
  }
});

interface Report {
  layers: Array<{ name: string; width: number }>;
  methods: Record<string, { path: unknown; barrier: unknown; matching: Array<{ permutation: number[] }> }>;
  dimS: Array<{ a: number; b: number }>;
}

function compare(a: string, b: string): Report {
  const json = join(tempDir(), 'report.json');
  const run = cli('compare', a, b, '--data', fixture('compare', 'eval.npz'), '--methods', 'naive,weight', '--alphas', '3',
    '--fit-samples', '100', '--llfc-samples', '0', '--layer-barriers', 'off', '--json', json);
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(readFileSync(json, 'utf8')) as Report;
}

test('compare reads a Lightning pair and a legacy pair as it reads the same weights saved plainly', () => {
  const plain = compare(fixture('compare', 'tanh_a.pt'), fixture('compare', 'tanh_b.pt'));
  const pairs = [['lightning_a.ckpt', 'lightning_b.ckpt', 'model.'], ['legacy_a.pt', 'legacy_b.pt', '']] as const;
  for (const [a, b, prefix] of pairs) {
    const report = compare(fixture('pytorch', a), fixture('pytorch', b));
    assert.deepEqual(report.layers.map((l) => [l.name, l.width]), plain.layers.map((l) => [`${prefix}${l.name}`, l.width]), a);
    for (const method of ['naive', 'weight']) {
      const [got, want] = [report.methods[method]!, plain.methods[method]!];
      assert.deepEqual(got.path, want.path, `${a}: ${method}`);
      assert.deepEqual(got.barrier, want.barrier, `${a}: ${method}`);
      assert.deepEqual(got.matching.map((m) => m.permutation), want.matching.map((m) => m.permutation), `${a}: ${method}`);
    }
    assert.deepEqual(report.dimS.map((d) => [d.a, d.b]), plain.dimS.map((d) => [d.a, d.b]), a);
  }
});
