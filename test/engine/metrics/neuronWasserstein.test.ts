// Per-layer Wasserstein-2 distances between neurons against test/fixtures/compare/wasserstein.json,
// written by an independent NumPy/SciPy implementation (test/reference/make_wasserstein.py) from the
// permutations the PyTorch reference found (expected.json), for the two fixture MLP pairs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readNetwork } from '../../../src/engine/architecture/loadNetwork';
import { initBackend } from '../../../src/engine/backend/tfBackend';
import { openCheckpoint } from '../../../src/engine/formats/openCheckpoint';
import { neuronWasserstein } from '../../../src/engine/metrics/neuronWasserstein';
import { identityPermutations } from '../../../src/engine/model/applyPermutation';
import { networkChannelSpaces } from '../../../src/engine/model/networkSpaces';
import { derivePermutationSpec } from '../../../src/engine/model/permutationSpec';
import type { Activation } from '../../../src/shared/compareRequest';
import type { NeuronWasserstein } from '../../../src/shared/compareReport';
import { fixture } from '../../helpers/paths';

interface ExpectedNetwork {
  checkpoints: { a: string; b: string };
  activation: Activation;
  methods: Record<string, { matching: { permutation: number[] }[] }>;
}
const expected = JSON.parse(readFileSync(fixture('compare', 'expected.json'), 'utf8')) as { networks: Record<string, ExpectedNetwork> };
const reference = JSON.parse(readFileSync(fixture('compare', 'wasserstein.json'), 'utf8')) as Record<string, Record<string, NeuronWasserstein[]>>;

async function readOne(file: string, activation: Activation) {
  const checkpoint = await openCheckpoint(fixture('compare', file));
  try {
    return await readNetwork(checkpoint, { activation });
  } finally {
    await checkpoint.close();
  }
}

for (const [name, network] of Object.entries(expected.networks)) {
  test(`${name}: W2 before alignment, after each method and at the optimum equal the SciPy reference`, async () => {
    await initBackend();
    const a = await readOne(network.checkpoints.a, network.activation);
    const b = await readOne(network.checkpoints.b, network.activation);
    const spec = derivePermutationSpec(networkChannelSpaces(a.network));
    for (const [method, result] of Object.entries(network.methods)) {
      const perms = result.matching.map((m) => Int32Array.from(m.permutation));
      const got = await neuronWasserstein(a.params, b.params, spec, perms);
      const want = reference[name]![method]!;
      assert.deepEqual(got.map((l) => l.layer), want.map((l) => l.layer));
      got.forEach((layer, g) => {
        for (const key of ['identity', 'aligned', 'optimal'] as const) {
          const [x, y] = [layer[key], want[g]![key]];
          assert.ok(Math.abs(x - y) <= 1e-6 * Math.max(1, y), `${name} ${method} layer ${layer.layer} ${key}: ${x} vs ${y}`);
        }
        assert.ok(layer.optimal <= layer.aligned + 1e-9, `${method} ${layer.layer}: the optimum is no larger than the method's`);
      });
    }
    // Weight matching moves B's neurons towards A's: on both layers its W2 is below the identity's.
    const weight = await neuronWasserstein(a.params, b.params, spec, network.methods.weight!.matching.map((m) => Int32Array.from(m.permutation)));
    weight.forEach((layer) => assert.ok(layer.aligned < layer.identity, `${layer.layer}: ${layer.aligned} vs ${layer.identity}`));
    // A network against itself is at distance 0, aligned or at the optimum.
    for (const layer of await neuronWasserstein(a.params, a.params, spec, identityPermutations(spec))) {
      assert.deepEqual([layer.identity, layer.aligned, layer.optimal], [0, 0, 0]);
    }
  });
}
