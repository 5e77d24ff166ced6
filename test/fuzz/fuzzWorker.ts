import childProcess from 'node:child_process';
import fs from 'node:fs';
import fsPromises from 'node:fs/promises';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { readNetwork } from '../../src/engine/architecture/loadNetwork';
import { initBackend } from '../../src/engine/backend/tfBackend';
import { checkDataFits } from '../../src/engine/compare/loadData';
import { IGNORED_LABEL, scoredCount, type Dataset } from '../../src/engine/datasets/dataset';
import { openDataset } from '../../src/engine/datasets/openDataset';
import { TOKEN_ID_LIMIT } from '../../src/engine/datasets/tokenDatasets';
import { openCheckpoint } from '../../src/engine/formats/openCheckpoint';
import { locateTensors } from '../../src/engine/formats/pytorch/locateTensors';
import { unpickle } from '../../src/engine/formats/pytorch/pickle';
import { torchGlobals, torchPersistentLoad } from '../../src/engine/formats/pytorch/torchGlobals';
import { openFileSource } from '../../src/engine/io/byteSource';
import { probeInputs } from '../../src/engine/metrics/equivalence';
import { forwardNetwork } from '../../src/engine/model/forward';
import { valueShapes } from '../../src/engine/model/networkShapes';
import { DTYPES } from '../../src/engine/tensors/dtype';
import type { CaseRequest, CaseOutcome } from './protocol';
import { TRANSFORMER_DATA } from './transformerFamily';

/**
 * One fuzz worker thread: writes each case into its own folder, runs the reader on it in-process,
 * and says how it ended. The thread watches every file-system path the reader names and every
 * attempt to start a process or evaluate code; the main thread watches the time and the memory.
 */

const caseDir: string = (workerData as { caseDir: string }).caseDir;
const inside = resolve(caseDir) + sep;
let watching = false;
let touched: string[] = [];
let executed: string[] = [];

function note(path: unknown): void {
  if (!watching) return;
  const text = path instanceof URL ? path.pathname : Buffer.isBuffer(path) ? path.toString() : String(path);
  const full = resolve(text);
  if (!(full + sep).startsWith(inside)) touched.push(full);
}

/** Wraps every path-taking function of `target` so that a path outside the case folder is noted. */
function watchPaths(target: Record<string, unknown>, names: readonly string[]): void {
  for (const name of names) {
    const original = target[name];
    if (typeof original !== 'function') continue;
    target[name] = function (this: unknown, path: unknown, ...rest: unknown[]) {
      note(path);
      return (original as (...args: unknown[]) => unknown).call(this, path, ...rest);
    };
  }
}

const PATH_FUNCTIONS = ['open', 'stat', 'lstat', 'readdir', 'readFile', 'opendir', 'access', 'realpath', 'readlink', 'createReadStream'];
watchPaths(fsPromises as unknown as Record<string, unknown>, PATH_FUNCTIONS);
watchPaths(fs as unknown as Record<string, unknown>, [...PATH_FUNCTIONS, ...PATH_FUNCTIONS.map((n) => `${n}Sync`), 'existsSync']);
watchPaths(fs.promises as unknown as Record<string, unknown>, PATH_FUNCTIONS);

for (const name of ['exec', 'execSync', 'execFile', 'execFileSync', 'spawn', 'spawnSync', 'fork']) {
  (childProcess as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
    executed.push(`child_process.${name}(${String(args[0]).slice(0, 60)})`);
    throw new Error('the fuzzer forbids starting processes');
  };
}
globalThis.eval = (code: unknown) => {
  executed.push(`eval(${String(code).slice(0, 60)})`);
  throw new Error('the fuzzer forbids eval');
};

/** Everything a user of the checkpoint would touch: every tensor's values, the report's fields. */
async function readCheckpoint(file: string): Promise<string> {
  const checkpoint = await openCheckpoint(file);
  try {
    for (const tensor of checkpoint.tensors) {
      const data = await checkpoint.read(tensor.name);
      const count = tensor.shape.reduce((a, b) => a * b, 1);
      if (data.data.length !== count * (DTYPES[tensor.dtype].kind === 'complex' ? 2 : 1)) {
        throw new Misread(`tensor '${tensor.name.slice(0, 40)}' of shape [${tensor.shape.join(', ')}] read ${data.data.length} values`);
      }
      if (DTYPES[tensor.dtype].kind !== 'complex') await checkpoint.readFloat32(tensor.name);
    }
    JSON.stringify({ tensors: checkpoint.tensors, metadata: checkpoint.metadata, notes: checkpoint.notes });
    return `${checkpoint.tensors.length} tensors`;
  } finally {
    await checkpoint.close();
  }
}

async function readDataset(file: string): Promise<string> {
  const d = await openDataset(file);
  if (d.sequence) return checkTokens(d);
  const size = d.inputShape.reduce((a, b) => a * b, 1);
  if (d.inputs.length !== d.count * size) throw new Misread(`${d.inputs.length} input values for ${d.count} examples of ${size}`);
  if (d.labels.length !== d.count) throw new Misread(`${d.labels.length} labels for ${d.count} examples`);
  if (d.labels.some((l) => l < 0 || l >= d.numClasses)) throw new Misread(`a label outside 0..${d.numClasses - 1}`);
  JSON.stringify(d.notes);
  return `${d.count} examples`;
}

/** Token sequences must hold what readTokenDataset promises: ids or −1, a target per position, one scored at least. */
function checkTokens(d: Dataset): string {
  const length = d.sequence!.length;
  const cells = d.count * length;
  if (d.inputShape.length !== 1 || d.inputShape[0] !== length) throw new Misread(`input shape [${d.inputShape.join(', ')}] for sequences of ${length}`);
  if (d.inputs.length !== cells || d.labels.length !== cells) throw new Misread(`${d.inputs.length} ids and ${d.labels.length} targets for ${d.count} sequences of ${length}`);
  if (!(Number.isSafeInteger(d.numClasses) && d.numClasses > 0 && d.numClasses <= TOKEN_ID_LIMIT)) throw new Misread(`a vocabulary of ${d.numClasses}`);
  const inRange = (v: number): boolean => Number.isInteger(v) && v >= 0 && v < d.numClasses;
  const id = d.inputs.findIndex((v) => v !== -1 && !inRange(v));
  if (id >= 0) throw new Misread(`id ${d.inputs[id]} at ${id} outside 0..${d.numClasses - 1}`);
  const target = d.labels.findIndex((v, at) => (v !== IGNORED_LABEL && !inRange(v)) || (at % length === length - 1 && v !== IGNORED_LABEL) || (v !== IGNORED_LABEL && d.inputs[at] === -1));
  if (target >= 0) throw new Misread(`target ${d.labels[target]} at ${target} (a last position, padding, or outside 0..${d.numClasses - 1})`);
  const scored = scoredCount(d.labels);
  if (scored === 0) throw new Misread('no position scored');
  JSON.stringify(d.notes);
  return `${d.count} sequences of ${length}, ${scored} scored`;
}

/**
 * A transformer as a comparison takes it: with the token data beside it read first, its shape
 * given to inference and the data checked against the network; without, the equivalence check's
 * probe tokens, the second sequence ending in padding. Then one forward pass on two sequences:
 * every logit of a position that is a token must be finite.
 */
async function readTransformer(file: string): Promise<string> {
  const dataFile = join(dirname(file), TRANSFORMER_DATA);
  const data = existsSync(dataFile) ? await openDataset(dataFile) : null;
  const checkpoint = await openCheckpoint(file);
  try {
    const sample = data ? { shape: data.inputShape, file: dataFile } : null;
    const { network, params } = await readNetwork(checkpoint, { activation: 'relu', sample });
    if (data) checkDataFits(data, network, 'evaluation');
    const shapes = valueShapes(network);
    const length = network.input[0]!;
    const width = shapes[shapes.length - 1]!.reduce((a, b) => a * b, 1) / length;
    const count = Math.min(2, data?.count ?? 2);
    const inputs = data ? data.inputs.slice(0, count * length) : probeInputs(network, count, 1);
    if (!data && length > 1) inputs[count * length - 1] = -1;
    const { logits } = await forwardNetwork(network, params, inputs, count);
    if (logits.length !== count * length * width) throw new Misread(`${logits.length} logits for ${count} sequences of ${length} over ${width}`);
    for (let at = 0; at < count * length; at++) {
      if (inputs[at] === -1) continue;
      const bad = logits.subarray(at * width, (at + 1) * width).findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new Misread(`the forward pass gives ${logits[at * width + bad]} at position ${at % length} of sequence ${Math.floor(at / length)}`);
    }
    return `${network.nodes.length} nodes, ${count} × ${length} tokens forward`;
  } finally {
    await checkpoint.close();
  }
}

async function readPickle(file: string): Promise<string> {
  const source = await openFileSource(file);
  try {
    const bytes = await source.read(0, source.size);
    const root = unpickle(bytes, { file, what: 'the pickle', findGlobal: torchGlobals(file), persistentLoad: torchPersistentLoad(file) });
    const located = locateTensors(file, root);
    JSON.stringify({ metadata: located.metadata, notes: located.notes });
    return `${located.tensors.length} tensors`;
  } finally {
    await source.close();
  }
}

/** A reader that accepted a file but handed back values that contradict what it said. */
class Misread extends Error {}

const READERS = { checkpoint: readCheckpoint, dataset: readDataset, pickle: readPickle, transformer: readTransformer };

async function runCase(request: CaseRequest): Promise<CaseOutcome> {
  rmSync(caseDir, { recursive: true, force: true });
  mkdirSync(caseDir, { recursive: true });
  for (const [name, bytes] of request.files) writeFileSync(join(caseDir, name), bytes);
  // The backend finds its wasm binaries outside the case's folder: started before the watch.
  if (request.mode === 'transformer') await initBackend();
  touched = [];
  executed = [];
  watching = true;
  const started = performance.now();
  const ms = (): number => Math.round(performance.now() - started);
  try {
    const detail = await READERS[request.mode](join(caseDir, request.target));
    return { id: request.id, status: 'accepted', detail, touched, executed, ms: ms() };
  } catch (error) {
    const e = error as Error & { file?: unknown };
    const misread = error instanceof Misread;
    return {
      id: request.id,
      status: misread ? 'misread' : 'threw',
      name: e?.name ?? typeof error,
      message: e?.message ?? String(error),
      file: typeof e?.file === 'string' ? e.file : undefined,
      stack: e?.stack?.split('\n').slice(0, 6).join('\n'),
      touched,
      executed,
      ms: ms(),
    };
  } finally {
    watching = false;
  }
}

parentPort!.on('message', (request: CaseRequest) => {
  void runCase(request).then((outcome) => parentPort!.postMessage(outcome));
});
