import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { initBackend } from '../backend/tfBackend';
import { writeSafetensors } from '../export/writeSafetensors';
import { openSafetensors } from '../formats/safetensors/openSafetensors';
import { FormatError } from '../io/formatError';
import { accuracy } from '../metrics/classification';
import { forwardNetwork } from '../model/forward';
import { mlpNetwork } from '../model/mlpNetwork';
import { DIGIT_PIXELS, loadMnistDigits, type DigitSet, type MnistDigits } from './mnistDigits';
import { DEFAULT_BATCH_SIZE, DEFAULT_EPOCHS, DEFAULT_HIDDEN, DEFAULT_LEARNING_RATE, trainMlp } from './trainMlp';

/** Where the demo's files live, under the current folder (.gitignored). */
export const DEMO_CACHE_DIR = join('.merge-lens', 'demo');

/** The seeds of the two demo networks: same data, same recipe, different initialisation and batch order. */
export const DEMO_SEEDS = { a: 1, b: 2 } as const;

/** The digits' shuffle seed, fixed so that the test digits are never ones a demo model trained on. */
export const SPLIT_SEED = 0;

export interface DemoFiles {
  readonly a: string;
  readonly b: string;
  /** The held-out digits: `x` [n, 784] F32 in [0, 1] and `y` [n] I64. */
  readonly data: string;
}

export interface DemoOptions {
  /** Hidden widths (default [256, 256]). */
  readonly hidden?: readonly number[];
  /** Training epochs (default 4). */
  readonly epochs?: number;
  /** One line per step, e.g. "training demo model A: epoch 2/4". */
  readonly onProgress?: (message: string) => void;
  readonly signal?: AbortSignal;
}

/**
 * What the cached files were made with, stored in their metadata: files made by another recipe
 * (an older Merge Lens, other widths) are made again rather than silently reused.
 */
export function recipeOf(hidden: readonly number[], epochs: number): string {
  return `merge-lens demo 1; mnist package digits, split seed ${SPLIT_SEED}; relu mlp ${[DIGIT_PIXELS, ...hidden, 10].join('-')}; adam ${DEFAULT_LEARNING_RATE}, batch ${DEFAULT_BATCH_SIZE}, ${epochs} epochs`;
}

/** Whether `file` is a readable safetensors file made by `recipe`. */
export async function isCurrent(file: string, recipe: string): Promise<boolean> {
  try {
    const checkpoint = await openSafetensors(file);
    await checkpoint.close();
    return checkpoint.metadata.recipe === recipe;
  } catch (error) {
    // Missing or unreadable (a damaged cache): either way, make it again.
    if (error instanceof FormatError) return false;
    throw error;
  }
}

function testFileTensors(test: DigitSet) {
  return [
    { name: 'x', dtype: 'F32' as const, shape: [test.count, DIGIT_PIXELS], data: test.inputs },
    { name: 'y', dtype: 'I64' as const, shape: [test.count], data: BigInt64Array.from(test.labels, (label) => BigInt(label)) },
  ];
}

/** How one demo model is made: its name in progress lines, its seed, widths, epochs and the recipe its file records. */
export interface DemoModel {
  readonly name: string;
  readonly seed: number;
  readonly hidden: readonly number[];
  readonly epochs: number;
  readonly recipe: string;
  readonly say: (message: string) => void;
  readonly signal?: AbortSignal | undefined;
}

/** Trains one MLP on the training digits and writes it to `file`, its recipe, seed and test accuracy in the metadata. */
export async function trainDemoModel(digits: MnistDigits, file: string, model: DemoModel): Promise<void> {
  await initBackend();
  const trained = await trainMlp(digits.train, {
    seed: model.seed,
    hidden: model.hidden,
    epochs: model.epochs,
    onEpoch: (epoch, total) => model.say(`training ${model.name}: epoch ${epoch}/${total}`),
    signal: model.signal,
  });
  const { logits } = await forwardNetwork(mlpNetwork(trained.architecture), trained.params, digits.test.inputs, digits.test.count);
  const testAccuracy = accuracy(logits, digits.test.labels, digits.test.numClasses);
  model.say(`${model.name}: ${(100 * testAccuracy).toFixed(1)}% test accuracy after ${trained.seconds.toFixed(1)} s`);
  await writeSafetensors(file, trained.params, {
    overwrite: true,
    metadata: {
      recipe: model.recipe,
      seed: String(model.seed),
      train_examples: String(digits.train.count),
      test_accuracy: testAccuracy.toFixed(4),
    },
  });
}

/**
 * The embedded demo: two MLPs trained on the same real MNIST digits from different seeds, and
 * the digits they never saw, as files in `cacheDir` (made when missing or stale, else reused).
 */
export async function ensureDemoPair(cacheDir: string = DEMO_CACHE_DIR, options: DemoOptions = {}): Promise<DemoFiles> {
  const hidden = options.hidden ?? DEFAULT_HIDDEN;
  const epochs = options.epochs ?? DEFAULT_EPOCHS;
  const recipe = recipeOf(hidden, epochs);
  const files = {
    a: join(cacheDir, 'demo-a.safetensors'),
    b: join(cacheDir, 'demo-b.safetensors'),
    data: join(cacheDir, 'demo-test.safetensors'),
  };
  const stale = [];
  for (const key of ['a', 'b', 'data'] as const) {
    if (!(await isCurrent(files[key], recipe))) stale.push(key);
  }
  if (stale.length === 0) return files;

  const say = options.onProgress ?? (() => undefined);
  await mkdir(cacheDir, { recursive: true });
  say('loading the MNIST digits');
  const digits = await loadMnistDigits({ seed: SPLIT_SEED });
  if (stale.includes('data')) {
    await writeSafetensors(files.data, testFileTensors(digits.test), { overwrite: true, metadata: { recipe, content: 'held-out MNIST digits: x [n, 784] in [0, 1], y labels' } });
  }
  for (const key of ['a', 'b'] as const) {
    if (!stale.includes(key)) continue;
    await trainDemoModel(digits, files[key], { name: `demo model ${key.toUpperCase()}`, seed: DEMO_SEEDS[key], hidden, epochs, recipe, say, signal: options.signal });
  }
  return files;
}
