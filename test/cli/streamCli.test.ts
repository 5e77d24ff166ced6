import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixture, tempDir } from '../helpers/paths';
import type { StreamingReport } from '../../src/shared/streamingReport';
import { cli } from '../helpers/runCli';

const llama = (name: string) => fixture('transformers', 'llama', name);

test('compare --stream: weight matching part by part, a table of the sweeps and groups, the report as JSON', async () => {
  const out = join(tempDir(), 'stream.json');
  const { code, stdout } = cli(['compare', llama('llama_a.pt'), llama('llama_b.pt'), '--stream', '--json', out]);
  assert.equal(code, 0);
  assert.match(stdout, /transformer: 15 layers, 21 tensors, 7 permutation groups · weight matching part by part/);
  assert.match(stdout, /model\.layers\.0\.self_attn\.q_proj +32 +0 +\(2 heads, whole heads only\)/);
  const report = JSON.parse(readFileSync(out, 'utf8')) as StreamingReport;
  assert.equal(report.kind, 'streaming-weight-matching');
  assert.ok(report.objective > report.objectiveBefore);
  assert.equal(report.sweeps.at(-1)!.objective, report.objective);
  for (const g of report.groups) {
    assert.deepEqual([...g.permutation].sort((x, y) => x - y), Array.from({ length: g.size }, (_, i) => i), g.name);
    assert.equal(g.moved, g.permutation.filter((unit, i) => unit !== i).length);
  }
});

test('compare --stream refuses what needs the whole models or data, naming the flags', async () => {
  const { code, stderr } = cli(['compare', llama('llama_a.pt'), llama('llama_b.pt'), '--stream', '--data', 'eval.npz', '--html', 'x.html']);
  assert.equal(code, 2);
  assert.match(stderr, /--stream runs weight matching alone, part by part: leave out --data, --html/);
  const methods = cli(['compare', llama('llama_a.pt'), llama('llama_b.pt'), '--stream', '--methods', 'naive,weight']);
  assert.equal(methods.code, 2);
  assert.match(methods.stderr, /--stream runs weight matching alone: leave out --methods or give --methods weight/);
});
