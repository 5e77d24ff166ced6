import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IGNORED_LABEL, type Dataset } from '../../../src/engine/datasets/dataset';
import { checkDataFits, firstSamples, normalized, summariseDataset } from '../../../src/engine/compare/loadData';
import { FormatError } from '../../../src/engine/io/formatError';
import { InputError } from '../../../src/engine/io/inputError';
import { INPUT, type Network } from '../../../src/engine/model/network';

const I = IGNORED_LABEL;

/** Embedding, position table and a head: logits [T, vocab]. */
function tokenModel(length: number, vocab = 32): Network {
  return {
    kind: 'transformer',
    input: [length],
    nodes: [
      { op: 'embedding', id: 'wte', input: INPUT, weight: 'wte.weight', vocab, features: 4 },
      { op: 'positions', id: 'wpe', input: 0, weight: 'wpe.weight', positions: 8, features: 4 },
      { op: 'linear', id: 'lm_head', input: 1, weight: 'lm_head.weight', bias: null, inFeatures: 4, outFeatures: vocab },
    ],
  };
}

const mlp: Network = { kind: 'mlp', input: [4], nodes: [{ op: 'linear', id: 'fc', input: INPUT, weight: 'fc.weight', bias: null, inFeatures: 4, outFeatures: 10 }] };

/** Three sequences of four tokens, the third right-padded. */
function tokens(ids: number[] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, -1, -1], targets: number[] = [2, 3, 4, I, 6, 7, 8, I, 10, I, I, I]): Dataset {
  return {
    file: '/data/tokens.npz',
    format: 'npz',
    count: 3,
    inputShape: [4],
    inputs: Float32Array.from(ids),
    labels: Int32Array.from(targets),
    numClasses: Math.max(...ids, ...targets) + 1,
    sequence: { length: 4 },
    notes: [],
  };
}

const features: Dataset = { ...tokens(), sequence: undefined, labels: Int32Array.from([1, 2, 3]), numClasses: 4, file: '/data/features.npz' };

function refused(run: () => void, message: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof FormatError, `expected a FormatError, got ${String(error)}`);
    assert.match(error.message, message);
    return true;
  });
}

test('token sequences fit a token model of their length whose vocabulary covers their ids and targets', () => {
  checkDataFits(tokens(), tokenModel(4), 'evaluation');
  checkDataFits(tokens(), tokenModel(4, 11), 'evaluation');
});

test('token sequences of another length, or ids and targets beyond the vocabulary, are refused', () => {
  refused(() => checkDataFits(tokens(), tokenModel(5), 'evaluation'), /^tokens\.npz: evaluation sequences are 4 tokens long but the network takes 5$/);
  refused(() => checkDataFits(tokens(), tokenModel(4, 10), 'fit'), /^tokens\.npz: fit token ids go up to 10 but the model's vocabulary \('wte'\) has 10 tokens \(ids 0–9\)$/);
  const far = tokens(undefined, [2, 3, 4, I, 6, 7, 8, I, 31, I, I, I]);
  refused(() => checkDataFits(far, tokenModel(4, 11), 'evaluation'), /^tokens\.npz: evaluation targets go up to 31 but the model predicts 11 tokens \(ids 0–10\)$/);
});

test('token sequences for a model of features, and features for a token model, are refused by what each is', () => {
  refused(() => checkDataFits(tokens(), mlp, 'evaluation'), /^tokens\.npz: evaluation data are token sequences \(input_ids\), but the network takes 4 values, not token ids/);
  refused(() => checkDataFits(features, tokenModel(4), 'evaluation'), /^features\.npz: evaluation data are 4 values per example, but the network reads token ids \(its first layer 'wte' is an embedding\); give token sequences \('input_ids' \[n, T\]/);
});

test('token ids are never normalised', () => {
  assert.throws(
    () => normalized(tokens(), { mean: [0.5], std: [0.25] }, tokenModel(4)),
    (error: unknown) => error instanceof InputError && /tokens\.npz holds token ids, which are never normalised; clear the mergeLens\.inputNormalization setting or leave out --mean\/--std/.test(error.message),
  );
});

test('the first samples of token sequences carry their T labels each; the summary counts the scored positions', () => {
  const first = firstSamples(tokens(), 2);
  assert.equal(first.count, 2);
  assert.deepEqual(Array.from(first.inputs), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(Array.from(first.labels), [2, 3, 4, I, 6, 7, 8, I]);
  assert.deepEqual(summariseDataset(tokens()), { file: '/data/tokens.npz', count: 3, inputShape: [4], numClasses: 11, scoredPositions: 7 });
  assert.equal(summariseDataset(features).scoredPositions, undefined);
  // The fit data as far as it was used: its first two sequences.
  assert.deepEqual(summariseDataset(tokens(), 2), { file: '/data/tokens.npz', count: 2, inputShape: [4], numClasses: 11, scoredPositions: 6 });
});
