import { openDataset } from '../datasets/openDataset';
import type { Samples } from '../alignment/unitCorrelations';
import type { Dataset } from '../datasets/dataset';
import { FormatError } from '../io/formatError';
import { InputError } from '../io/inputError';
import type { Network } from '../model/network';
import { valueShapes } from '../model/networkShapes';
import type { DatasetSummary } from '../../shared/compareReport';
import type { Normalization } from '../../shared/compareRequest';


/** Checks a dataset can be fed to the network: inputs of its input size, labels among its classes. */
export function checkDataFits(dataset: Dataset, network: Network, role: string): void {
  const size = dataset.inputShape.reduce((a, b) => a * b, 1);
  const inputSize = network.input.reduce((a, b) => a * b, 1);
  const shapes = valueShapes(network);
  const outputs = shapes[shapes.length - 1]![0]!;
  if (size !== inputSize) {
    throw new FormatError(
      dataset.file,
      `${role} inputs are ${dataset.inputShape.join('×')} (${size} values) but the network's first layer takes ${network.input.length === 3 ? `${network.input.join('×')} (${inputSize})` : inputSize}`,
    );
  }
  if (dataset.numClasses > outputs) {
    let worst = 0;
    for (const label of dataset.labels) worst = Math.max(worst, label);
    throw new FormatError(dataset.file, `${role} labels go up to ${worst} but the network has ${outputs} outputs (classes 0–${outputs - 1})`);
  }
}

export function summariseDataset(dataset: Dataset): DatasetSummary {
  return { file: dataset.file, count: dataset.count, inputShape: dataset.inputShape, numClasses: dataset.numClasses };
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

export function firstSamples(dataset: Dataset, limit: number): Samples & { labels: Int32Array } {
  const count = Math.min(limit, dataset.count);
  const size = dataset.inputs.length / dataset.count;
  return { inputs: dataset.inputs.subarray(0, count * size), labels: dataset.labels.subarray(0, count), count };
}

/** The fit samples a comparison used, again: the file's first `count`, checked and normalised as the comparison did. */
export async function openFitSamples(file: string, network: Network, normalization: Normalization | null, count: number): Promise<Samples> {
  const dataset = await openDataset(file);
  checkDataFits(dataset, network, 'fit');
  return firstSamples(normalization ? normalized(dataset, normalization, network) : dataset, count);
}
