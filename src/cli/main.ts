/**
 * `merge-lens`: the command-line face of the engine, for scripts, CI and terminals.
 */
import { parseArgs } from 'node:util';
import { FormatError } from '../engine/io/formatError';
import { runInspect } from './inspectCommand';
import { runDataset } from './datasetCommand';
import { UsageError } from './usageError';

const USAGE = `merge-lens: inspect model checkpoints and datasets (the engine of the Merge Lens VS Code extension)

usage:
  merge-lens inspect FILE [--json] [--stats all|none|SIZE]
      List the tensors of a checkpoint (safetensors, sharded safetensors index, PyTorch .pt/.pth/.bin/.ckpt,
      NumPy .npy/.npz, TensorFlow.js model.json) with dtype, shape, parameter count and statistics, grouped
      by layer. Statistics read at most SIZE bytes in all (default 128MB); 'all' lifts the limit, 'none'
      lists without reading any tensor data.
  merge-lens dataset FILE [--json]
      Read an evaluation dataset (.npz/.npy, safetensors, MNIST IDX, CIFAR-10 binary) and say what it holds.

exit status: 0 done, 1 the file could not be read (the message says why), 2 wrong usage.`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      stats: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, file, ...extra] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return command || values.help ? 0 : 2;
  }
  if (!file) throw new UsageError(`'${command}' needs a FILE`);
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
  switch (command) {
    case 'inspect':
      return runInspect(file, { json: values.json, stats: values.stats });
    case 'dataset':
      if (values.stats !== undefined) throw new UsageError('--stats applies to inspect only');
      return runDataset(file, { json: values.json });
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

// `merge-lens inspect big.pt | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof FormatError) {
      process.stderr.write(`merge-lens: ${error.message}\n`);
      process.exitCode = 1;
    } else if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`merge-lens: ${(error as Error).message}\n\n${USAGE}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`merge-lens: internal error, please report it with this trace:\n${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 70;
    }
  },
);
