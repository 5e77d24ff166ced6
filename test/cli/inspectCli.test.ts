import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openCheckpoint } from '../../src/engine/formats/openCheckpoint';
import { DEFAULT_STATS_BUDGET_BYTES, inspectCheckpoint } from '../../src/engine/inspect/inspectCheckpoint';
import { fixture, tempDir } from '../helpers/paths';
import { cli as runCli } from '../helpers/runCli';

const cli = (...args: string[]) => runCli(args);

const demo = fixture('pytorch', 'mlp.pt');

test('inspect --json prints the report the engine builds, with the documented fields', async () => {
  const { code, stdout } = cli('inspect', demo, '--json');
  assert.equal(code, 0);
  const printed = JSON.parse(stdout);
  const checkpoint = await openCheckpoint(demo);
  const direct = await inspectCheckpoint(checkpoint, { statsBudgetBytes: DEFAULT_STATS_BUDGET_BYTES });
  await checkpoint.close();
  assert.deepEqual(printed, JSON.parse(JSON.stringify(direct)));
  assert.equal(printed.format, 'pytorch');
  assert.equal(printed.parameters, 784 * 32 + 32 + 32 * 32 + 32 + 32 * 10 + 10);
  for (const t of printed.tensors) {
    for (const key of ['name', 'dtype', 'shape', 'mean', 'std', 'min', 'max']) assert.ok(key in t, key);
  }
});

test('inspect prints tensors grouped by layer, with totals', () => {
  const { code, stdout } = cli('inspect', demo);
  assert.equal(code, 0);
  assert.match(stdout, /format: pytorch/);
  assert.match(stdout, /^0\s+25,120$/m); // layer 0's parameter total
  assert.match(stdout, /^ {2}weight\s+F32\s+32×784\s+25,088\s/m);
  assert.match(stdout, /^total: 6 tensors, 26,506 parameters/m);
});

test('a corrupt file: exit status 1 and one line naming the file and the problem', () => {
  const bad = join(tempDir(), 'broken.safetensors');
  writeFileSync(bad, Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0x7b]));
  const { code, stdout, stderr } = cli('inspect', bad);
  assert.equal(code, 1);
  assert.equal(stdout, '');
  assert.match(stderr, /^merge-lens: broken\.safetensors: .*header/);
  assert.equal(stderr.trim().split('\n').length, 1);
});

test('wrong usage: exit status 2 with the usage', () => {
  assert.equal(cli('inspect').code, 2);
  assert.equal(cli('inspect', demo, '--stats', 'lots').code, 2);
  assert.equal(cli('frobnicate', demo).code, 2);
  assert.match(cli('--help').stdout, /merge-lens inspect FILE/);
});

test('a missing file is an input error, not a crash', () => {
  const { code, stderr } = cli('inspect', join(tempDir(), 'nope.pt'));
  assert.equal(code, 1);
  assert.match(stderr, /nope\.pt: does not exist \(ENOENT\)/);
});

test('statistics agree with PyTorch\'s own on the demo checkpoint', () => {
  const expected = JSON.parse(readFileSync(fixture('inspect', 'mlp_stats.json'), 'utf8')) as Record<string, Record<string, number>>;
  const printed = JSON.parse(cli('inspect', demo, '--json').stdout) as { tensors: Array<Record<string, unknown>> };
  assert.deepEqual(printed.tensors.map((t) => t.name), Object.keys(expected));
  for (const t of printed.tensors) {
    const want = expected[t.name as string]!;
    assert.equal(t.parameters, want.parameters);
    for (const key of ['mean', 'std', 'min', 'max', 'zeroFraction']) {
      assert.ok(Math.abs((t[key] as number) - want[key]!) <= 1e-9 * Math.max(1, Math.abs(want[key]!)), `${t.name} ${key}`);
    }
  }
});
