import { parseArgs } from 'node:util';
import { describeNetwork } from '../engine/architecture/description';
import { parseShape } from '../engine/architecture/inputShape';
import { networkLayout } from '../engine/architecture/loadNetwork';
import { openDataset } from '../engine/datasets/openDataset';
import { writeAtomically } from '../engine/export/atomicFile';
import { openCheckpoint } from '../engine/formats/openCheckpoint';
import { ACTIVATIONS, type Activation } from '../shared/compareRequest';
import { UsageError } from './usageError';

/**
 * `merge-lens describe CKPT`: the architecture description of the network a checkpoint holds,
 * as inferred (or as the description beside it states), so that it can be checked or edited
 * and saved as CKPT.arch.json. What inference assumed goes to stderr and into "notes".
 */
export async function runDescribe(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      data: { type: 'string' },
      'input-shape': { type: 'string' },
      activation: { type: 'string', default: 'relu' },
      arch: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const [file, ...extra] = positionals;
  if (!file || extra.length > 0) throw new UsageError('describe takes one checkpoint: merge-lens describe CKPT [--data EVAL | --input-shape C×H×W] [--out FILE]');
  if (!(ACTIVATIONS as readonly string[]).includes(values.activation!)) throw new UsageError(`--activation takes one of ${ACTIVATIONS.join(', ')}, not '${values.activation}'`);
  if (values.data && values['input-shape']) throw new UsageError('--data and --input-shape both give the input size: choose one');
  let sample = null;
  if (values['input-shape']) {
    const shape = parseShape(values['input-shape']);
    if (!shape) throw new UsageError(`--input-shape takes C×H×W (e.g. 3x32x32) or a feature count, not '${values['input-shape']}'`);
    sample = { shape, file: null };
  } else if (values.data) {
    const dataset = await openDataset(values.data);
    sample = { shape: dataset.inputShape, file: dataset.file };
  }
  const checkpoint = await openCheckpoint(file);
  let text: string;
  try {
    const layout = await networkLayout(checkpoint, { activation: values.activation as Activation, description: values.arch ?? null, sample });
    for (const note of layout.notes) process.stderr.write(`assumed: ${note}\n`);
    if (layout.descriptionFile) process.stderr.write(`as stated by ${layout.descriptionFile}\n`);
    text = `${JSON.stringify(describeNetwork(layout.network, layout.transposed, layout.notes), null, 2)}\n`;
  } finally {
    await checkpoint.close();
  }
  if (values.out) {
    await writeAtomically(values.out, { overwrite: true }, (handle) => handle.writeFile(text, 'utf8'));
    process.stdout.write(`description: ${values.out}\n`);
  } else {
    process.stdout.write(text);
  }
  return 0;
}
