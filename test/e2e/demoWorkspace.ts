/**
 * The workspace a person would open to try Merge Lens: the demo's two MNIST MLPs and their
 * held-out digits, its width series (series/, with series.json) (all made by `merge-lens demo`,
 * whose report.json and series-report.json are the CLI's answers for the same inputs), a PyTorch
 * checkpoint, and for the end-to-end scenarios a corrupt checkpoint, a text file and a pair wide
 * enough that a comparison takes long enough to cancel.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSafetensors } from '../../src/engine/export/writeSafetensors';
import type { CompareReport } from '../../src/shared/compareReport';
import type { SeriesReport } from '../../src/shared/seriesReport';
import { repoRoot } from './codeServer';
import { mulberry32 } from '../helpers/randomMatrices';

export const DEMO_FILES = { a: 'demo-a.safetensors', b: 'demo-b.safetensors', data: 'demo-test.safetensors' } as const;

/** The demo's width series: its folder (eight models and the manifest), as the workspace names them. */
export const DEMO_SERIES = { folder: 'series', manifest: 'series/series.json' } as const;

/** Where `merge-lens demo` keeps its files for the tests and the sandbox (gitignored, reused). */
const DEMO_CACHE = join(repoRoot, '.merge-lens', 'demo');

/**
 * Runs the built CLI's demo (it reuses its trained models when they are current) and returns its
 * folder: the two checkpoints, the test digits and report.json.
 */
export function ensureDemo(): string {
  execFileSync(process.execPath, [join(repoRoot, 'bin', 'merge-lens.js'), 'demo', '--dir', DEMO_CACHE], {
    cwd: repoRoot,
    // Its progress lines would drown the test output; its error, if any, is in the exception.
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 600_000,
  });
  return DEMO_CACHE;
}

export function demoReport(): CompareReport {
  return JSON.parse(readFileSync(join(DEMO_CACHE, 'report.json'), 'utf8')) as CompareReport;
}

/** The CLI's series report of the demo's width series. */
export function demoSeriesReport(): SeriesReport {
  return JSON.parse(readFileSync(join(DEMO_CACHE, 'series-report.json'), 'utf8')) as SeriesReport;
}

/** A random 784-W-W-10 MLP in torch's Linear layout: big enough that comparing two takes a while. */
async function writeWideMlp(file: string, width: number, seed: number): Promise<void> {
  const next = mulberry32(seed);
  const sizes = [784, width, width, 10];
  const tensors = sizes.slice(1).flatMap((out, layer) => {
    const inputs = sizes[layer]!;
    const weight = new Float32Array(out * inputs).map(() => (next() * 2 - 1) / Math.sqrt(inputs));
    const bias = new Float32Array(out).map(() => (next() * 2 - 1) * 0.01);
    return [
      { name: `layers.${layer}.weight`, dtype: 'F32' as const, shape: [out, inputs], data: weight },
      { name: `layers.${layer}.bias`, dtype: 'F32' as const, shape: [out], data: bias },
    ];
  });
  await writeSafetensors(file, tensors, { overwrite: true });
}

export interface E2eWorkspace {
  readonly folder: string;
  /** Two random 1536-wide networks: four methods on them take tens of seconds. */
  readonly wide: { readonly a: string; readonly b: string };
}

/** Fills `folder` (which must exist) for the scenarios. */
export async function makeE2eWorkspace(folder: string): Promise<E2eWorkspace> {
  const demo = ensureDemo();
  for (const name of Object.values(DEMO_FILES)) copyFileSync(join(demo, name), join(folder, name));
  copyFileSync(join(demo, 'report.json'), join(folder, 'cli-report.json'));
  cpSync(join(demo, DEMO_SERIES.folder), join(folder, DEMO_SERIES.folder), { recursive: true });
  copyFileSync(join(repoRoot, 'test', 'fixtures', 'pytorch', 'mlp.pt'), join(folder, 'mlp.pt'));
  // What PyTorch itself listed for mlp.pt when it wrote it (make_fixtures.py).
  const listed = JSON.parse(readFileSync(join(repoRoot, 'test', 'fixtures', 'pytorch', 'expected.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(folder, 'mlp.expected.json'), JSON.stringify(listed['mlp.pt']));
  writeFileSync(join(folder, 'notes.txt'), 'Not a checkpoint: the Merge Lens menu items must not show here.\n');
  // A real safetensors file cut short: its header promises more bytes than the file has.
  const whole = readFileSync(join(folder, DEMO_FILES.a));
  writeFileSync(join(folder, 'corrupt.safetensors'), whole.subarray(0, Math.floor(whole.length / 3)));
  mkdirSync(join(folder, 'wide'), { recursive: true });
  const wide = { a: join(folder, 'wide', 'wide-a.safetensors'), b: join(folder, 'wide', 'wide-b.safetensors') };
  await writeWideMlp(wide.a, 1536, 11);
  await writeWideMlp(wide.b, 1536, 12);
  return { folder, wide };
}

/** The sandbox's workspace: just the demo's files (its pair, its width series and their reports), made once and reused. */
export function makeDemoWorkspace(folder: string): string {
  const demo = ensureDemo();
  mkdirSync(folder, { recursive: true });
  for (const name of [...Object.values(DEMO_FILES), 'report.html', 'report.json', 'series-report.html', 'series-report.json']) {
    if (existsSync(join(demo, name))) copyFileSync(join(demo, name), join(folder, name));
  }
  cpSync(join(demo, DEMO_SERIES.folder), join(folder, DEMO_SERIES.folder), { recursive: true });
  copyFileSync(join(repoRoot, 'test', 'fixtures', 'pytorch', 'mlp.pt'), join(folder, 'mlp.pt'));
  return folder;
}
