import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareCheckpoints } from '../../../src/engine/compare/compareCheckpoints';
import { InputError } from '../../../src/engine/io/inputError';
import { fixture } from '../../helpers/paths';

const gpt2 = (name: string) => fixture('transformers', 'gpt2', name);

test('a transformer pair without data: weight matching on random tokens, every group reported with its role, heads matched', async () => {
  const { report } = await compareCheckpoints({ a: gpt2('gpt2_a.pt'), b: gpt2('gpt2_b.pt'), data: null, methods: ['naive', 'weight'], restarts: 2 });
  assert.equal(report.architecture.kind, 'transformer');
  // The config's activation, not the default a checkpoint without one would get.
  assert.equal(report.architecture.activation, 'gelu_tanh');
  assert.deepEqual(report.groups.filter((g) => g.heads).map((g) => g.heads!.queryHeads), [4, 4, 4, 4]);
  assert.equal(report.layers.find((l) => l.name === 'transformer.h.0.mlp.c_fc')!.width, 256);
  assert.equal(report.equivalenceInputs, 'random');
  assert.deepEqual(report.groups.map((g) => [g.role, g.block ?? null, g.heads?.count ?? null]), [
    ['residual', null, null],
    ['query-key', 'transformer.h.0', 4],
    ['value-output', 'transformer.h.0', 4],
    ['mlp', 'transformer.h.0', null],
    ['query-key', 'transformer.h.1', 4],
    ['value-output', 'transformer.h.1', 4],
    ['mlp', 'transformer.h.1', null],
  ]);
  for (const method of ['naive', 'weight'] as const) {
    const result = report.methods[method]!;
    assert.ok(result.equivalent, `${method}: ${result.equivalenceError}`);
    assert.equal(result.heads!.length, 2);
    for (const h of result.heads!) {
      assert.equal(h.similarity.length, 16);
      assert.deepEqual([...h.permutation].sort(), [0, 1, 2, 3]);
      // The reported head permutation is the one the method applied to the query/key units.
      const qk = result.matching.find((m) => m.layer === h.queryKey)!;
      h.permutation.forEach((b, a) => assert.equal(Math.floor(qk.permutation[a * 16]! / 16), b));
    }
  }
  assert.deepEqual(report.methods.naive!.heads!.map((h) => h.permutation), [[0, 1, 2, 3], [0, 1, 2, 3]]);
  // Weight matching raises the inner product it maximises.
  const details = report.methods.weight!.details;
  assert.ok(Number(details.objective) > Number(details.objectiveBefore));
  assert.deepEqual(report.dimS.filter((d) => d.layer.endsWith(' heads')).map((d) => d.layer), ['transformer.h.0.attn heads', 'transformer.h.1.attn heads']);
});

test('REPAIR on a transformer: named methods are refused before any tensor is read, the standing preference is left out with a warning', async () => {
  await assert.rejects(
    compareCheckpoints({ a: gpt2('gpt2_a.pt'), b: gpt2('gpt2_b.pt'), data: fixture('transformers', 'modadd_eval.npz'), methods: ['naive', 'weight+repair'] }),
    (e: unknown) => e instanceof InputError && /gpt2_a\.pt is a transformer, for which REPAIR is not defined: leave out weight\+repair/.test(e.message),
  );
  const { report } = await compareCheckpoints({
    a: gpt2('gpt2_a.pt'),
    b: gpt2('gpt2_b.pt'),
    data: fixture('transformers', 'modadd_eval.npz'),
    methods: ['naive'],
    repair: true,
    alphas: 3,
    layerBarriers: false,
    llfcSamples: 0,
  });
  assert.deepEqual(report.request.methods, ['naive']);
  assert.deepEqual(Object.keys(report.methods), ['naive']);
  assert.ok(report.warnings.includes('REPAIR is not defined for transformers: the repair preference was not applied'), report.warnings.join('; '));
});
