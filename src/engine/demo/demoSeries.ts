import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SERIES_VARIABLES, type SeriesManifest } from '../../shared/seriesReport';
import { writeAtomically } from '../export/atomicFile';
import { DEMO_CACHE_DIR, DEMO_SEEDS, ensureDemoPair, isCurrent, recipeOf, SPLIT_SEED, trainDemoModel, type DemoOptions } from './demoFiles';
import { loadMnistDigits } from './mnistDigits';

/**
 * Ferbach et al.'s width study in small: two-hidden-layer MLPs of each width from the demo pair's
 * two seeds, on its digits and recipe with fewer epochs (all eight train in about ten seconds on
 * two cores), compared pair by pair on the demo's held-out digits.
 */
export const SERIES_WIDTHS: readonly number[] = [16, 32, 64, 128];
export const SERIES_EPOCHS = 2;

/** The series' folder inside the demo's, and its manifest's name there. */
export const SERIES_FOLDER = 'series';
export const SERIES_MANIFEST = 'series.json';

/** Named so that "Compare Series…" on the selected files (manifestFromFiles) guesses the width and pairs the seeds. */
function modelName(width: number, seed: number): string {
  return `w${width}-seed${seed}.safetensors`;
}

export interface DemoSeriesOptions {
  /** Hidden widths, one pair each (default SERIES_WIDTHS). */
  readonly widths?: readonly number[];
  /** Training epochs of each model (default SERIES_EPOCHS). */
  readonly epochs?: number;
  /** The demo pair's own recipe (its widths and epochs), made first. */
  readonly pair?: Pick<DemoOptions, 'hidden' | 'epochs'>;
  readonly onProgress?: (message: string) => void;
  readonly signal?: AbortSignal;
}

/** The manifest: one pair per width, seed 1 against seed 2, on the demo pair's held-out digits, every other choice the defaults. */
export function demoSeriesManifest(widths: readonly number[] = SERIES_WIDTHS): SeriesManifest {
  return {
    variable: SERIES_VARIABLES.width,
    pairs: widths.map((width) => ({ value: width, a: modelName(width, DEMO_SEEDS.a), b: modelName(width, DEMO_SEEDS.b) })),
    data: '../demo-test.safetensors',
  };
}

/**
 * The demo's width series in `cacheDir`/series/: its eight models (made when missing or made by
 * another recipe, else reused) and series.json beside them. The demo pair comes first, for the
 * held-out digits the series is measured on. Returns the manifest's path.
 */
export async function ensureDemoSeries(cacheDir: string = DEMO_CACHE_DIR, options: DemoSeriesOptions = {}): Promise<string> {
  const widths = options.widths ?? SERIES_WIDTHS;
  const epochs = options.epochs ?? SERIES_EPOCHS;
  await ensureDemoPair(cacheDir, { ...options.pair, onProgress: options.onProgress, signal: options.signal });
  const folder = join(cacheDir, SERIES_FOLDER);
  const models = widths.flatMap((width) => [DEMO_SEEDS.a, DEMO_SEEDS.b].map((seed) => ({ width, seed, file: join(folder, modelName(width, seed)), recipe: recipeOf([width, width], epochs) })));
  const stale = [];
  for (const model of models) if (!(await isCurrent(model.file, model.recipe))) stale.push(model);
  const say = options.onProgress ?? (() => undefined);
  await mkdir(folder, { recursive: true });
  if (stale.length > 0) {
    say(`training the width series: ${stale.length} small MLP${stale.length === 1 ? '' : 's'}`);
    const digits = await loadMnistDigits({ seed: SPLIT_SEED });
    for (const { width, seed, file, recipe } of stale) {
      await trainDemoModel(digits, file, { name: `width ${width} seed ${seed}`, seed, hidden: [width, width], epochs, recipe, say, signal: options.signal });
    }
  }
  const manifest = join(folder, SERIES_MANIFEST);
  const text = `${JSON.stringify(demoSeriesManifest(widths), null, 2)}\n`;
  // Rewritten only when it differs: an unchanged file keeps its time stamp.
  if ((await readFile(manifest, 'utf8').catch(() => null)) !== text) await writeAtomically(manifest, { overwrite: true }, (handle) => handle.writeFile(text, 'utf8'));
  return manifest;
}
