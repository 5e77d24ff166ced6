// The default weight matching (the engine's default seed and number of starts) on the trained
// fixture pairs against the independent reference's own starts, seeds 0–15 of its weight matching:
// test/fixtures/restarts/expected.json, written by test/reference/make_weight_matching_starts.py.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { bestWeightMatching } from '../../../src/engine/alignment/weightMatching';
import { initBackend } from '../../../src/engine/backend/tfBackend';
import { INTEGER_LIMITS } from '../../../src/engine/compare/resolveRequest';
import { loadCheckpointPair } from '../../../src/engine/compare/loadPair';
import { networkChannelSpaces } from '../../../src/engine/model/networkSpaces';
import { derivePermutationSpec } from '../../../src/engine/model/permutationSpec';
import { fixture } from '../../helpers/paths';

interface ReferenceStarts {
  checkpoints: { a: string; b: string };
  inputShape: number[];
  groups: string[];
  objectiveIdentity: number;
  starts: { seed: number; objective: number; sweeps: number }[];
}

const expected = JSON.parse(readFileSync(fixture('restarts', 'expected.json'), 'utf8')) as { pairs: Record<string, ReferenceStarts> };

/** Both sides sum the same float32 values in float64: equal permutations give equal objectives to rounding. */
const SLACK = 1e-9;

function atLeast(actual: number, floor: number, what: string): void {
  assert.ok(actual >= floor - SLACK * Math.max(1, Math.abs(floor)), `objective ${actual} is below ${what} ${floor}`);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length / 2;
  return Number.isInteger(mid) ? (sorted[mid - 1]! + sorted[mid]!) / 2 : sorted[Math.floor(mid)]!;
}

for (const [name, reference] of Object.entries(expected.pairs)) {
  test(`${name}: the default weight matching reaches the reference's default start and the median of its 16 starts`, async () => {
    await initBackend();
    const sample = { shape: reference.inputShape, file: null };
    const pair = await loadCheckpointPair(fixture(reference.checkpoints.a), fixture(reference.checkpoints.b), { activation: 'relu', sample });
    const spec = derivePermutationSpec(networkChannelSpaces(pair.network));
    assert.deepEqual(spec.groups.map((g) => g.name), reference.groups);
    const result = await bestWeightMatching(pair.a.params, pair.b.params, spec, {
      seed: INTEGER_LIMITS.seed.default,
      restarts: INTEGER_LIMITS.restarts.default,
    });
    // One objective on both sides: they agree at the identity, before any search.
    const identity = Number(result.details.objectiveBefore);
    assert.ok(Math.abs(identity - reference.objectiveIdentity) <= SLACK * Math.max(1, reference.objectiveIdentity), `${identity} vs ${reference.objectiveIdentity}`);
    const objective = Number(result.details.objective);
    atLeast(objective, reference.starts.find((s) => s.seed === 0)!.objective, "the reference's default start (seed 0)");
    atLeast(objective, median(reference.starts.map((s) => s.objective)), "the median of the reference's starts");
  });
}
