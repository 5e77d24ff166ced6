import { openDataset } from '../datasets/openDataset';
import type { Dataset } from '../datasets/dataset';
import { FormatError } from '../io/formatError';
import type { MlpArchitecture } from '../model/mlp';
import type { DatasetSummary } from '../../shared/compareReport';

/** Checks a dataset can be fed to the network: inputs flatten to its input size, labels are its classes. */
export function checkDataFits(dataset: Dataset, architecture: MlpArchitecture, role: string): void {
  const size = dataset.inputShape.reduce((a, b) => a * b, 1);
  if (size !== architecture.inputSize) {
    throw new FormatError(
      dataset.file,
      `${role} inputs are ${dataset.inputShape.join('×')} (${size} values) but the network's first layer takes ${architecture.inputSize}`,
    );
  }
  if (dataset.numClasses > architecture.outputSize) {
    let worst = 0;
    for (const label of dataset.labels) worst = Math.max(worst, label);
    throw new FormatError(
      dataset.file,
      `${role} labels go up to ${worst} but the network has ${architecture.outputSize} outputs (classes 0–${architecture.outputSize - 1})`,
    );
  }
}

export function summariseDataset(dataset: Dataset): DatasetSummary {
  return { file: dataset.file, count: dataset.count, inputShape: dataset.inputShape, numClasses: dataset.numClasses };
}

/** The evaluation data and the fit data (the evaluation data again unless another file is given), checked. */
export async function loadData(
  evaluationFile: string,
  fitFile: string | undefined,
  architecture: MlpArchitecture,
): Promise<{ readonly evaluation: Dataset; readonly fit: Dataset }> {
  const evaluation = await openDataset(evaluationFile);
  checkDataFits(evaluation, architecture, 'evaluation');
  const fit = fitFile === undefined || fitFile === evaluationFile ? evaluation : await openDataset(fitFile);
  if (fit !== evaluation) checkDataFits(fit, architecture, 'fit');
  return { evaluation, fit };
}
