import { test } from 'node:test';
import assert from 'node:assert/strict';
import { respectsHeads } from '../../../src/engine/alignment/headAssignment';
import { streamingPlan } from '../../../src/engine/alignment/streamingPlan';
import { streamingMemoryBytes, streamingWeightMatching, type TensorSource } from '../../../src/engine/alignment/streamingWeightMatching';
import { weightMatching, weightObjective } from '../../../src/engine/alignment/weightMatching';
import { networkLayout } from '../../../src/engine/architecture/loadNetwork';
import { initBackend } from '../../../src/engine/backend/tfBackend';
import { openShardedSafetensors } from '../../../src/engine/formats/safetensors/openShardedSafetensors';
import { identityPermutations } from '../../../src/engine/model/applyPermutation';
import { networkChannelSpaces } from '../../../src/engine/model/networkSpaces';
import type { Params } from '../../../src/engine/model/params';
import { derivePermutationSpec, type Permutation, type PermutationSpec } from '../../../src/engine/model/permutationSpec';
import { expectedMatching, llamaSpec, syntheticPair, writeSyntheticPair, type LlamaShape } from '../../bench/syntheticLlama';
import { tempDir } from '../../helpers/paths';

/** Two layers, 4 query heads of 4 units over 2 key/value heads (grouped-query), SwiGLU of 24. */
const SHAPE: LlamaShape = { hidden: 16, layers: 2, intermediate: 24, heads: 4, kvHeads: 2, vocab: 20 };

/** Params as a source that counts what is read and what is held at once. */
function memorySource(params: Params): TensorSource & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    tensors: [...params].map(([name, t]) => ({ name, shape: t.shape })),
    readFloat32: async (name: string) => {
      reads.push(name);
      return Float32Array.from(params.get(name)!.data);
    },
  };
}

/** Every tensor of a checkpoint, read whole: what weightMatching needs and streaming avoids. */
async function readAll(source: TensorSource): Promise<Params> {
  const out = new Map();
  for (const t of source.tensors) out.set(t.name, { shape: t.shape, data: await source.readFloat32(t.name) });
  return out;
}

function assertMatching(perms: readonly Permutation[], spec: PermutationSpec, want: readonly Permutation[]): void {
  perms.forEach((perm, g) => {
    assert.deepEqual(Array.from(perm), Array.from(want[g]!), spec.groups[g]!.name);
    const heads = spec.groups[g]!.heads;
    if (heads) assert.ok(respectsHeads(perm, heads), `${spec.groups[g]!.name} moves whole heads`);
  });
}

const close = (x: number, y: number, what: string) => assert.ok(Math.abs(x - y) <= 1e-9 * Math.abs(y), `${what}: ${x} vs ${y}`);

test('the plan: the residual stream, and per layer one part for attention and one for the MLP', () => {
  const spec = llamaSpec(SHAPE);
  const names = [...syntheticPair(SHAPE, 1, 0).a.keys()];
  const plan = streamingPlan(spec, names);
  assert.equal(spec.groups[plan.stream!]!.name, 'model.embed_tokens');
  const withCoordinates = plan.parts.filter((p) => p.coordinates.length > 0);
  assert.deepEqual(withCoordinates.map((p) => p.tensors.map((n) => n.split('.').slice(-2, -1)[0])), [
    ['q_proj', 'k_proj', 'v_proj', 'o_proj'],
    ['gate_proj', 'up_proj', 'down_proj'],
    ['q_proj', 'k_proj', 'v_proj', 'o_proj'],
    ['gate_proj', 'up_proj', 'down_proj'],
  ]);
  // Embedding, 2 norms per layer, final norm, head: each alone, its stream gain computed once.
  const alone = plan.parts.filter((p) => p.coordinates.length === 0);
  assert.equal(alone.length, 1 + 2 * 2 + 1 + 1);
  assert.ok(alone.every((p) => p.constantGain && p.tensors.length === 1));
  // Attention's part solves Q/K with V/O as one coordinate (head partners).
  assert.deepEqual(withCoordinates[0]!.coordinates.map((step) => step.length), [2]);
  // The bound: the largest part (the MLP: 3 × 24 × 16 values of A and of B, one tensor's scratch, its 24² gains), two 16² stream matrices, six tiles.
  assert.equal(streamingMemoryBytes(spec, names.map((name) => ({ name, shape: syntheticPair(SHAPE, 1, 0).a.get(name)!.shape }))), 4 * (2 * 3 * 384 + 384) + 8 * 576 + 2 * 8 * 256 + 6 * 4 * (1 << 22));
});

test('recovers a hidden permutation of every group exactly, part by part, and its objective is weightObjective at its permutations', async () => {
  await initBackend();
  const { a, b, spec, hidden } = syntheticPair(SHAPE, 3, 0);
  const [sa, sb] = [memorySource(a), memorySource(b)];
  const sweeps: number[] = [];
  const progress: [number, number][] = [];
  const result = await streamingWeightMatching(sa, sb, spec, { onSweepDone: (s) => sweeps.push(s.sweep), onProgress: (sweep, fraction) => progress.push([sweep, fraction]) });
  assertMatching(result.perms, spec, expectedMatching(hidden));
  // Sweep 1 finds the stream from the embeddings and the head; sweep 2 the parts; nothing is left to solve after it.
  assert.deepEqual(sweeps, [1, 2]);
  close(Number(result.details.objective), weightObjective(a, b, spec, result.perms), 'objective');
  close(result.objectiveBySweep[0]!, weightObjective(a, b, spec, identityPermutations(spec)), 'identity objective');
  close(Number(result.details.objective), weightObjective(a, a, spec, identityPermutations(spec)), 'B aligned is A');
  // Each sweep reads every tensor once, of A and of B.
  assert.equal(sa.reads.length, 2 * a.size);
  assert.deepEqual(sa.reads, sb.reads);
  // Progress rises through each sweep's values to the whole.
  for (const sweep of [1, 2]) {
    const fractions = progress.filter(([s]) => s === sweep).map(([, f]) => f);
    assert.ok(fractions.every((f, i) => i === 0 || f > fractions[i - 1]!), `sweep ${sweep}`);
    assert.equal(fractions.at(-1), 1);
  }
});

test('a cancelled run stops before the next part is read', async () => {
  await initBackend();
  const { a, b, spec } = syntheticPair(SHAPE, 3, 0);
  const controller = new AbortController();
  const sa = memorySource(a);
  const run = streamingWeightMatching(sa, memorySource(b), spec, { signal: controller.signal, onProgress: (_, fraction) => fraction > 0.5 && controller.abort() });
  await assert.rejects(run, { name: 'AbortError' });
  assert.ok(sa.reads.length < a.size, `${sa.reads.length} of ${a.size} tensors read`);
});

test('unrelated models: never below identity, never decreasing, the same objective function as weightMatching', async () => {
  await initBackend();
  const a = syntheticPair(SHAPE, 5, 0).a;
  const b = syntheticPair(SHAPE, 6, 0).a;
  const spec = llamaSpec(SHAPE);
  const result = await streamingWeightMatching(memorySource(a), memorySource(b), spec);
  const identity = weightObjective(a, b, spec, identityPermutations(spec));
  close(result.objectiveBySweep[0]!, identity, 'identity objective');
  close(Number(result.details.objective), weightObjective(a, b, spec, result.perms), 'objective');
  assert.ok(Number(result.details.objective) > identity);
  for (let k = 1; k < result.objectiveBySweep.length; k++) assert.ok(result.objectiveBySweep[k]! >= result.objectiveBySweep[k - 1]!, `sweep ${k}`);
  // Coordinate descent from another order ends at another local optimum; in-memory weight matching is no better by much.
  const whole = await weightMatching(a, b, spec);
  assert.ok(Number(result.details.objective) > identity + 0.5 * (Number(whole.details.objective) - identity), `${result.details.objective} vs ${whole.details.objective}`);
  result.perms.forEach((perm, g) => {
    const heads = spec.groups[g]!.heads;
    if (heads) assert.ok(respectsHeads(perm, heads), spec.groups[g]!.name);
  });
});

for (const dtype of ['BF16', 'F16'] as const) {
  test(`a sharded ${dtype} pair read tensor by tensor, its spec from the headers and config.json: the hidden permutation recovered under noise, as weight matching on the whole models finds it`, async () => {
    await initBackend();
    const dir = tempDir();
    // Shards of about 1.5 KB: each layer spread over several files.
    const written = writeSyntheticPair(dir, SHAPE, { seed: 9, noise: 0.3, dtype, shardBytes: 1500 });
    const [ca, cb] = await Promise.all([openShardedSafetensors(written.a), openShardedSafetensors(written.b)]);
    try {
      assert.ok(Number(ca.metadata.shards) > 4);
      assert.ok(ca.tensors.every((t) => t.dtype === dtype));
      // The comparison's own spec: the same groups as the hand-written one, in the same order.
      const spec = derivePermutationSpec(networkChannelSpaces((await networkLayout(ca, { activation: 'relu' })).network));
      assert.deepEqual(spec.groups.map((g) => [g.size, g.heads?.count, g.axes.length]), written.spec.groups.map((g) => [g.size, g.heads?.count, g.axes.length]));
      const result = await streamingWeightMatching(ca, cb, spec);
      assertMatching(result.perms, spec, expectedMatching(written.hidden));
      const [a, b] = [await readAll(ca), await readAll(cb)];
      close(Number(result.details.objective), weightObjective(a, b, spec, result.perms), 'objective');
      const whole = await weightMatching(a, b, spec);
      assertMatching(whole.perms, spec, expectedMatching(written.hidden));
    } finally {
      await Promise.all([ca.close(), cb.close()]);
    }
  });
}

test('refuses, before reading, checkpoints that disagree in a tensor or a spec that names a missing axis', async () => {
  const { a, b, spec } = syntheticPair(SHAPE, 3, 0);
  const shorter = new Map(b);
  shorter.delete('model.layers.1.mlp.up_proj.weight');
  const sa = memorySource(a);
  await assert.rejects(streamingWeightMatching(sa, memorySource(shorter), spec), /'model\.layers\.1\.mlp\.up_proj\.weight' is \[24, 16\] in A but missing in B/);
  const wider = new Map(b);
  wider.set('model.norm.weight', { shape: [17], data: new Float32Array(17) });
  await assert.rejects(streamingWeightMatching(sa, memorySource(wider), spec), /'model\.norm\.weight' is \[16\] in A but \[17\] in B/);
  const wrong = llamaSpec({ ...SHAPE, intermediate: 25 });
  await assert.rejects(streamingWeightMatching(sa, memorySource(b), wrong), /group 'model\.layers\.0\.mlp\.gate_proj' of 25 units names axis 0 of 'model\.layers\.0\.mlp\.gate_proj\.weight' \[24, 16\]/);
  assert.equal(sa.reads.length, 0);
});

