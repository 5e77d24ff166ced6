import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readNetwork } from '../../../src/engine/architecture/loadNetwork';
import { initBackend } from '../../../src/engine/backend/tfBackend';
import { openCheckpoint } from '../../../src/engine/formats/openCheckpoint';
import { forwardNetwork } from '../../../src/engine/model/forward';
import { fixture } from '../../helpers/paths';

const SEQUENCES = [
  [3, 4, 31, 7],
  [30, 30, 31, 29],
  [0, 17, 31, 17],
];

async function logitsOf(family: 'gpt2' | 'llama', rows: readonly (readonly number[])[]): Promise<Float32Array> {
  const checkpoint = await openCheckpoint(fixture('transformers', family, `${family}_a.pt`));
  const length = rows[0]!.length;
  const loaded = await readNetwork(checkpoint, { activation: 'relu', sample: { shape: [length], file: 'padded.npz' } }).finally(() => checkpoint.close());
  return (await forwardNetwork(loaded.network, loaded.params, Float32Array.from(rows.flat()), rows.length)).logits;
}

/**
 * Rotary attention scores depend on positions only through their differences, so a Llama's
 * outputs at the real positions of a left-padded sequence equal the unpadded sequence's, provided
 * no query reads the padded key: a padded key would be a zero vector with a score of 0, and would
 * take a share of every softmax.
 */
test('wasm: a left-padded sequence (id −1) gives a rotary Llama the unpadded outputs: padded keys are never read', async () => {
  await initBackend('wasm');
  const plain = await logitsOf('llama', SEQUENCES);
  const padded = await logitsOf('llama', SEQUENCES.map((s) => [-1, -1, ...s]));
  const vocab = 32;
  let worst = 0;
  SEQUENCES.forEach((_, s) => {
    for (let t = 0; t < 4; t++) {
      for (let v = 0; v < vocab; v++) {
        const a = plain[(s * 4 + t) * vocab + v]!;
        const b = padded[(s * 6 + t + 2) * vocab + v]!;
        worst = Math.max(worst, Math.abs(a - b) / Math.max(1, Math.abs(a)));
      }
    }
  });
  assert.ok(worst < 1e-4, `largest relative difference ${worst}`);
});

test('wasm: padding leaves no NaN, even where a query has only padded keys', async () => {
  await initBackend('wasm');
  for (const family of ['gpt2', 'llama'] as const) {
    const logits = await logitsOf(family, [[-1, -1, 3, 4], [-1, -1, -1, -1], [5, 6, -1, -1]]);
    assert.ok(logits.every(Number.isFinite), `${family}: every logit finite`);
  }
});

test('wasm: whatever a padded position holds (here NaN) does not reach the real positions', async () => {
  await initBackend('wasm');
  const rows = [[3, 4, 31, -1]];
  const checkpoint = await openCheckpoint(fixture('transformers', 'gpt2', 'gpt2_a.pt'));
  const loaded = await readNetwork(checkpoint, { activation: 'relu', sample: { shape: [4], file: 'padded.npz' } }).finally(() => checkpoint.close());
  const plain = (await forwardNetwork(loaded.network, loaded.params, Float32Array.from(rows.flat()), 1)).logits;
  // GPT-2 adds position 3's row to the padded token's zero embedding: a NaN there is the padded position's alone.
  const table = loaded.params.get('transformer.wpe.weight')!;
  const poisoned = Float32Array.from(table.data);
  poisoned.fill(Number.NaN, 3 * 64, 4 * 64);
  const params = new Map(loaded.params).set('transformer.wpe.weight', { shape: table.shape, data: poisoned });
  const logits = (await forwardNetwork(loaded.network, params, Float32Array.from(rows.flat()), 1)).logits;
  const real = 3 * 32;
  assert.deepEqual(logits.subarray(0, real), plain.subarray(0, real));
});
