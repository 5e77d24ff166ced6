/**
 * `merge-lens`: the command-line face of the engine, for scripts, CI and terminals.
 */
import { parseArgs } from 'node:util';
import { INTEGER_LIMITS as LIMITS } from '../engine/compare/resolveRequest';
import { WriteError } from '../engine/export/writeError';
import { FormatError } from '../engine/io/formatError';
import { InputError } from '../engine/io/inputError';
import { checkpointFormatLines } from '../shared/checkpointFormats';
import { runCompare, runDemo } from './compareCommand';
import { runDataset } from './datasetCommand';
import { runDescribe } from './describeCommand';
import { runInspect } from './inspectCommand';
import { runSeriesCommand, SERIES_CACHE_DIR } from './seriesCommand';
import { UsageError } from './usageError';

const USAGE = `merge-lens: compare model checkpoints by permutation alignment and linear mode connectivity
(the engine of the Merge Lens VS Code extension)

usage:
  merge-lens demo [--dir DIR]
      The embedded default: train two MLPs from different seeds on the mnist package's 10,000 digits
      (cached in DIR, default .merge-lens/demo), compare them with every method, write report.json
      and report.html there; then a width series of smaller MLPs (series/series.json), run as
      series runs it, writing series-report.json and series-report.html.
  merge-lens compare A B [--data EVAL] [--fit-data FIT] [--methods naive,weight,activation,covariance]
                     [--repair] [--bn-reset on|off] [--layer-barriers on|off] [--alphas ${LIMITS.alphas.default}] [--seed ${LIMITS.seed.default}] [--restarts ${LIMITS.restarts.default}]
                     [--fit-samples ${LIMITS.fitSamples.default}] [--llfc-samples ${LIMITS.llfcSamples.default}]
                     [--activation relu|gelu|gelu_tanh|silu|tanh|sigmoid|leaky_relu] [--arch DESCRIPTION] [--heads N]
                     [--input-shape C×H×W] [--mean M1,M2,M3 --std S1,S2,S3]
                     [--backend auto|tensorflow|wasm|cpu] [--threads N] [--json OUT] [--html OUT]
                     [--export-aligned OUT] [--export-method NAME] [--merge-at α --export-merged OUT]
      Align B's hidden units to A's by each method and measure the linear path between them: loss and
      accuracy barriers, per-layer barriers, LLFC, matching costs, Dim(S). MLPs, VGG-style stacks,
      ResNets and transformers (GPT-2, Llama, ViT) are inferred from the tensors (or read from a
      description, --arch or A.arch.json beside A); a transformer's head count comes from the
      config.json beside it, the description's "config", or --heads N. Token data: input_ids
      [n, T] (optional attention_mask, labels) in .npz or safetensors, next-token loss and accuracy. BatchNorm statistics are recomputed on the fit data for every interpolated network unless
      --bn-reset off; --repair adds each method's REPAIR variant (naive+repair, weight+repair, ...).
      The fit data's first --fit-samples (${LIMITS.fitSamples.min}–${LIMITS.fitSamples.max}) fit the data-driven methods, BatchNorm reset and
      REPAIR; LLFC averages over the evaluation data's first --llfc-samples (${LIMITS.llfcSamples.min}–${LIMITS.llfcSamples.max}, 0: no LLFC).
      Weight matching runs from --restarts seeded group orders (${LIMITS.restarts.min}–${LIMITS.restarts.max}; seeds --seed onwards) and
      keeps the highest objective.
      Without --data, weights only: naive and weight matching, matching costs and Dim(S), no path.
      --threads N measures on N threads (default 0: one per core); the numbers do not depend on it.
      Exports write safetensors with B's tensor names, aligned by --export-method (default: the
      lowest valid loss barrier).
  merge-lens compare A B --stream [--json OUT] [--heads N] [--arch DESCRIPTION]
      Weight matching alone, part by part, for transformer checkpoints larger than memory (a 7B pair
      in under 4 GB): the sweeps and the groups' permutations; --json writes the streaming report.
  merge-lens series MANIFEST [--json OUT] [--html OUT] [--cache DIR] [--threads N] [--backend auto|tensorflow|wasm|cpu]
  merge-lens series MANIFEST --item K --json OUT [--cache DIR] [--threads N] [--backend ...]
  merge-lens series MANIFEST --merge DIR [--json OUT] [--html OUT] [--backend ...]
  merge-lens series init PATTERN [--out series.json] [--variable NAME] [--data EVAL] [--force]
      A series of comparisons along one variable (width, seed, spawn epoch, ...), its pairs and choices
      in a JSON manifest (see the README's Series section). Runs every pair, each kept in the cache
      (default ${SERIES_CACHE_DIR}) as it finishes, so an interrupted series resumes; prints a table,
      writes the series report (--json) and its figures (--html). --item K runs pair K alone (0-based:
      a job array passes --item $SLURM_ARRAY_TASK_ID) and writes its item file; --merge DIR makes the
      series report from the item files in DIR, checked to be this manifest's. init expands PATTERN
      (quoted: * ? {a,b}), guesses the variable and the pairs from the paths and writes the manifest.
  merge-lens describe CKPT [--data EVAL | --input-shape C×H×W] [--activation relu] [--arch FILE] [--out FILE]
      Write the architecture description of the network CKPT holds, as inferred (what was assumed goes
      to stderr), to edit and save as CKPT.arch.json beside the checkpoint.
  merge-lens inspect FILE [--json] [--stats all|none|SIZE]
      List the tensors of a checkpoint (any format below) with dtype, shape, parameter count and
      statistics, grouped by layer. Statistics read at most SIZE bytes in all (default 128MB); 'all'
      lifts the limit, 'none' lists without reading any tensor data.
  merge-lens dataset FILE [--json]
      Read an evaluation dataset (.npz/.npy, safetensors, MNIST IDX, CIFAR-10 binary; token sequences
      under input_ids in .npz or safetensors) and say what it holds.

checkpoint formats (compare, describe, inspect; recognized by their first bytes, then by name):
${checkpointFormatLines('  ').join('\n')}

exit status: 0 done, 1 a file could not be read or written (the message says why), 2 wrong usage
or a request the files cannot meet (a method that needs data, a comparison past the memory limit),
3 an alignment failed its equivalence check (its results are marked invalid).`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  switch (command) {
    case 'compare':
      return runCompare(rest);
    case 'demo':
      return runDemo(rest);
    case 'series':
      return runSeriesCommand(rest);
    case 'describe':
      return runDescribe(rest);
    case 'inspect':
    case 'dataset': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { json: { type: 'boolean', default: false }, stats: { type: 'string' } },
      });
      const [file, ...extra] = positionals;
      if (!file) throw new UsageError(`'${command}' needs a FILE`);
      if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
      if (command === 'inspect') return runInspect(file, { json: values.json!, stats: values.stats });
      if (values.stats !== undefined) throw new UsageError('--stats applies to inspect only');
      return runDataset(file, { json: values.json! });
    }
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
    if (error instanceof FormatError || error instanceof WriteError) {
      process.stderr.write(`merge-lens: ${error.message}\n`);
      process.exitCode = 1;
    } else if (error instanceof InputError) {
      process.stderr.write(`merge-lens: ${error.message}\n`);
      process.exitCode = 2;
    } else if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`merge-lens: ${(error as Error).message}\n\nRun merge-lens --help for usage.\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`merge-lens: internal error, please report it with this trace:\n${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 70;
    }
  },
);
