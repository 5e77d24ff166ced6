import { basename } from 'node:path';
import { openDataset } from '../datasets/openDataset';
import type { Samples } from '../alignment/unitCorrelations';
import { IGNORED_LABEL, scoredCount, type Dataset } from '../datasets/dataset';
import { TOKEN_KEYS } from '../datasets/tokenDatasets';
import { logitRows } from '../metrics/classification';
import { FormatError } from '../io/formatError';
import { InputError } from '../io/inputError';
import { INPUT, type EmbeddingNode, type Network } from '../model/network';
import type { DatasetSummary } from '../../shared/compareReport';
import type { Normalization } from '../../shared/compareRequest';


/** The embedding a token model's ids enter through (its input is [T] ids), or undefined for a model of images or features. */
function tokenEmbedding(network: Network): EmbeddingNode | undefined {
  return network.nodes.find((n): n is EmbeddingNode => n.op === 'embedding' && n.input === INPUT);
}

/** The largest value of `values` other than those `skip` names (−∞ if none). */
function largest(values: ArrayLike<number>, skip: number): number {
  let worst = -Infinity;
  for (let i = 0; i < values.length; i++) if (values[i] !== skip && values[i]! > worst) worst = values[i]!;
  return worst;
}

/**
 * Checks a dataset can be fed to the network: inputs of its input size, labels among its classes;
 * token sequences only to a model that reads token ids (and the reverse), of the length its input
 * takes, with ids and targets within its vocabulary. (The network's loader has already refused
 * sequences longer than its position table: a token model's input length is the data's.)
 */
export function checkDataFits(dataset: Dataset, network: Network, role: string): void {
  const size = dataset.inputShape.reduce((a, b) => a * b, 1);
  const inputSize = network.input.reduce((a, b) => a * b, 1);
  const { classes: outputs } = logitRows(network);
  const embedding = tokenEmbedding(network);
  if (dataset.sequence && !embedding) {
    throw new FormatError(dataset.file, `${role} data are token sequences (input_ids), but the network takes ${network.input.join('×')} ${network.input.length === 3 ? 'images' : 'values'}, not token ids; give it data of that shape`);
  }
  if (embedding && !dataset.sequence) {
    throw new FormatError(
      dataset.file,
      `${role} data are ${dataset.inputShape.join('×')} values per example, but the network reads token ids (its first layer '${embedding.id}' is an embedding); give token sequences ('${TOKEN_KEYS.ids}' [n, T] in an .npz or safetensors file)`,
    );
  }
  if (embedding && dataset.sequence) {
    const { length } = dataset.sequence;
    if (network.input.length !== 1 || network.input[0] !== length) {
      throw new FormatError(dataset.file, `${role} sequences are ${length} tokens long but the network takes ${inputSize}`);
    }
    const id = largest(dataset.inputs, -1);
    if (id >= embedding.vocab) {
      throw new FormatError(dataset.file, `${role} token ids go up to ${id} but the model's vocabulary ('${embedding.id}') has ${embedding.vocab} tokens (ids 0–${embedding.vocab - 1})`);
    }
    const target = largest(dataset.labels, IGNORED_LABEL);
    if (target >= outputs) {
      throw new FormatError(dataset.file, `${role} targets go up to ${target} but the model predicts ${outputs} tokens (ids 0–${outputs - 1})`);
    }
    return;
  }
  if (size !== inputSize) {
    throw new FormatError(
      dataset.file,
      `${role} inputs are ${dataset.inputShape.join('×')} (${size} values) but the network's first layer takes ${network.input.length === 3 ? `${network.input.join('×')} (${inputSize})` : inputSize}`,
    );
  }
  if (dataset.numClasses > outputs) {
    throw new FormatError(dataset.file, `${role} labels go up to ${largest(dataset.labels, IGNORED_LABEL)} but the network has ${outputs} outputs (classes 0–${outputs - 1})`);
  }
}

/** The report's summary of the first `count` examples (all by default): the fit data is summarised as far as it was used. */
export function summariseDataset(dataset: Dataset, count = dataset.count): DatasetSummary {
  const summary = { file: dataset.file, count, inputShape: dataset.inputShape, numClasses: dataset.numClasses };
  return dataset.sequence ? { ...summary, scoredPositions: scoredCount(firstSamples(dataset, count).labels) } : summary;
}

/** The evaluation data and the fit data (the evaluation data again unless another file is given). */
export async function openData(evaluationFile: string, fitFile: string | undefined): Promise<{ readonly evaluation: Dataset; readonly fit: Dataset }> {
  const evaluation = await openDataset(evaluationFile);
  const fit = fitFile === undefined || fitFile === evaluationFile ? evaluation : await openDataset(fitFile);
  return { evaluation, fit };
}

/**
 * The dataset with its inputs normalised per channel; the channel of a value is its place in
 * the network's input, channel-major (C×H×W, or one channel for flat inputs when one mean is given).
 */
export function normalized(dataset: Dataset, normalization: Normalization, network: Network): Dataset {
  if (dataset.sequence) {
    throw new InputError(`an input normalisation (mean ${normalization.mean.join(', ')}, std ${normalization.std.join(', ')}) is set, but ${basename(dataset.file)} holds token ids, which are never normalised; clear the mergeLens.inputNormalization setting or leave out --mean/--std`);
  }
  const { mean, std } = normalization;
  const channels = network.input.length === 3 ? network.input[0]! : 1;
  if (mean.length !== std.length || (mean.length !== channels && mean.length !== 1)) {
    throw new InputError(`the input normalisation gives ${mean.length} means and ${std.length} standard deviations, but the network's input has ${channels} channel${channels === 1 ? '' : 's'}`);
  }
  if (std.some((s) => !(s > 0)) || mean.some((m) => !Number.isFinite(m))) throw new InputError('the input normalisation needs finite means and positive standard deviations');
  const size = dataset.inputs.length / Math.max(1, dataset.count);
  const perChannel = mean.length === 1 ? size : size / channels;
  const inputs = new Float32Array(dataset.inputs.length);
  for (let k = 0; k < inputs.length; k++) {
    const c = Math.floor((k % size) / perChannel);
    inputs[k] = (dataset.inputs[k]! - mean[c]!) / std[c]!;
  }
  return { ...dataset, inputs };
}

/** The first `limit` examples, with their labels: one per example, or one per position of a token sequence. */
export function firstSamples(dataset: Dataset, limit: number): Samples & { labels: Int32Array } {
  const count = Math.min(limit, dataset.count);
  const size = dataset.inputs.length / dataset.count;
  const labelsPerSample = dataset.sequence?.length ?? 1;
  return { inputs: dataset.inputs.subarray(0, count * size), labels: dataset.labels.subarray(0, count * labelsPerSample), count };
}

/** The fit samples a comparison used, again: the file's first `count`, checked and normalised as the comparison did. */
export async function openFitSamples(file: string, network: Network, normalization: Normalization | null, count: number): Promise<Samples> {
  const dataset = await openDataset(file);
  checkDataFits(dataset, network, 'fit');
  return firstSamples(normalization ? normalized(dataset, normalization, network) : dataset, count);
}
