import { test } from 'node:test';
import assert from 'node:assert/strict';
import { respectsHeads } from '../../../src/engine/alignment/headAssignment';
import { seededRandom } from '../../../src/engine/alignment/seededRandom';
import { initBackend } from '../../../src/engine/backend/tfBackend';
import { applyPermutation } from '../../../src/engine/model/applyPermutation';
import { networkChannelSpaces } from '../../../src/engine/model/networkSpaces';
import { derivePermutationSpec, type Permutation } from '../../../src/engine/model/permutationSpec';
import { checkEquivalence, probeInputs } from '../../../src/engine/metrics/equivalence';
import { fixture } from '../../helpers/paths';
import { readFixtureNetwork } from '../../helpers/readFixtureNetwork';
import { allowedPermutation, headOrder } from '../../helpers/randomPermutations';

const PAIRS = [
  { name: 'GPT-2', file: fixture('transformers', 'gpt2', 'gpt2_b.pt'), groups: 7, heads: 4, withinHead: [true, true] },
  { name: 'Llama (rotary, grouped-query)', file: fixture('transformers', 'llama', 'llama_b.pt'), groups: 7, heads: 2, withinHead: [false, true] },
];

for (const pair of PAIRS) {
  test(`${pair.name}: random permutations of every group leave the outputs unchanged`, async () => {
    await initBackend();
    const { network, params } = await readFixtureNetwork(pair.file, 'relu');
    assert.equal(network.kind, 'transformer');
    const spec = derivePermutationSpec(networkChannelSpaces(network));
    // The residual stream, then per block the query/key units, the value/output units and the MLP's.
    assert.equal(spec.groups.length, pair.groups, spec.groups.map((g) => g.name).join(', '));
    const attention = spec.groups.filter((g) => g.heads);
    assert.equal(attention.length, 4);
    for (const g of attention) assert.equal(g.heads!.count, pair.heads, g.name);
    assert.deepEqual([attention[0]!.heads!.withinHead, attention[1]!.heads!.withinHead], pair.withinHead);
    const probe = probeInputs(network, 64, 3);
    for (let trial = 0; trial < 3; trial++) {
      const random = seededRandom(100 + trial);
      const perms: Permutation[] = [];
      spec.groups.forEach((group, g) => {
        // Partners move their heads alike: the second takes the first's head order.
        const partner = group.heads?.partner ? spec.groups.findIndex((other) => other.name === group.heads!.partner) : -1;
        const order = partner >= 0 && partner < g ? headOrder(perms[partner]!, group.heads!.count) : null;
        const perm = allowedPermutation(group, random, order);
        if (group.heads) assert.ok(respectsHeads(perm, group.heads), group.name);
        perms.push(perm);
      });
      const permuted = applyPermutation(params, spec, perms);
      const { equivalent, error } = await checkEquivalence(network, params, permuted, probe, 64);
      assert.ok(equivalent, `trial ${trial}: relative error ${error}`);
      // The check can fail: moving one head of queries without its keys changes the outputs.
      const broken = perms.map((p) => p.slice());
      const qk = spec.groups.findIndex((g) => g.heads);
      const head = spec.groups[qk]!.size / spec.groups[qk]!.heads!.count;
      for (let i = 0; i < head; i++) [broken[qk]![i], broken[qk]![head + i]] = [broken[qk]![head + i]!, broken[qk]![i]!];
      const partner = spec.groups.findIndex((g) => g.name === spec.groups[qk]!.heads!.partner);
      assert.ok(partner > qk);
      const wrong = await checkEquivalence(network, params, applyPermutation(params, spec, broken), probe, 64);
      assert.ok(!wrong.equivalent, `moving a query/key head alone kept the outputs (error ${wrong.error})`);
    }
  });
}
