import { IGNORED_LABEL } from '../engine/datasets/dataset';
import { describeDataset, openDataset } from '../engine/datasets/openDataset';

export async function runDataset(file: string, options: { json: boolean }): Promise<number> {
  const dataset = await openDataset(file);
  if (options.json) {
    const { inputs: _inputs, labels, ...summary } = dataset;
    const classCounts = new Array<number>(dataset.numClasses).fill(0);
    // Token sequences' unscored positions count in no class.
    for (const label of labels) if (label !== IGNORED_LABEL) classCounts[label]!++;
    process.stdout.write(`${JSON.stringify({ ...summary, classCounts }, null, 2)}\n`);
  } else {
    process.stdout.write(`${dataset.file}\n${describeDataset(dataset)}\n`);
    for (const note of dataset.notes) process.stdout.write(`note: ${note}\n`);
  }
  return 0;
}
