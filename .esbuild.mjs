// One build script, one block per entry point.
//   node .esbuild.mjs                the extension, the worker, the compute helper and the CLI, into dist/
//   node .esbuild.mjs --tests        the same, and every test file into dist/test/
//   node .esbuild.mjs --tests-only   just the tests (the quick loop while working on the engine)
//   node .esbuild.mjs --bench        just the benchmarks, into dist/bench/
//   node .esbuild.mjs --e2e          just the end-to-end tests (code-server) and the sandbox, into dist/e2e/
//   node .esbuild.mjs --fuzz         just the fuzzer (npm run fuzz) and its worker, into dist/fuzz/
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, statSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const testsOnly = process.argv.includes('--tests-only');
const bench = process.argv.includes('--bench');
const e2e = process.argv.includes('--e2e');
const fuzz = process.argv.includes('--fuzz');
const buildTests = testsOnly || process.argv.includes('--tests');
const production = process.argv.includes('--production');

const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  // tfjs-node is optional and native; it is loaded at run time when present, never bundled.
  external: ['vscode', '@tensorflow/tfjs-node'],
};

/**
 * Every `*.test.ts` below `dir`, recursively, except test/e2e: its scenarios need the VSIX and
 * code-server, and its host/ suite runs only inside VS Code's extension host (the --e2e block).
 */
function testFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (path === join('test', 'e2e')) return [];
    if (statSync(path).isDirectory()) return testFiles(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

const builds = testsOnly || bench || e2e || fuzz ? [] : [
  // The extension host entry: the only bundle that may import `vscode`.
  { ...node, entryPoints: { extension: 'src/extension/extension.ts' }, outdir: 'dist' },
  // The background worker the extension starts for every heavy job.
  { ...node, entryPoints: { worker: 'src/worker/worker.ts' }, outdir: 'dist' },
  // The command-line tool, `merge-lens` (bin/merge-lens.js loads it).
  { ...node, entryPoints: { cli: 'src/cli/main.ts' }, outdir: 'dist' },
  // The webviews: the results panel, the Series panel and the checkpoint editor's tensor grid.
  // Each entry's CSS imports come out beside its script (panel.js + panel.css).
  {
    bundle: true,
    platform: 'browser',
    target: 'chrome114',
    format: 'iife',
    sourcemap: !production,
    minify: production,
    logLevel: 'warning',
    entryPoints: { panel: 'webview/panel/main.ts', series: 'webview/series/main.ts', tensors: 'webview/tensors/main.ts' },
    outdir: 'dist/webview',
  },
];

// The engine's compute helper, the thread each other core runs: the worker, the CLI, the tests and
// the benchmarks all start it from dist/, so every build but the end-to-end one refreshes it.
if (!e2e && !fuzz) builds.push({ ...node, entryPoints: { compute: 'src/engine/parallel/computeHelper.ts' }, outdir: 'dist' });

if (buildTests) {
  rmSync('dist/test', { recursive: true, force: true });
  builds.push({ ...node, entryPoints: testFiles('test'), outdir: 'dist/test', outbase: 'test' });
}

// The fuzzer's worker thread, which the unit tests' fuzz suite starts too, and `npm run fuzz`'s entry.
if (buildTests || fuzz) {
  builds.push({ ...node, entryPoints: { 'fuzz/worker': 'test/fuzz/fuzzWorker.ts', 'fuzz/main': 'test/fuzz/fuzzMain.ts' }, outdir: 'dist' });
}

if (bench) {
  rmSync('dist/bench', { recursive: true, force: true });
  const benches = readdirSync('test/bench').filter((name) => name.endsWith('.bench.ts')).map((name) => join('test/bench', name));
  builds.push({ ...node, entryPoints: benches, outdir: 'dist/bench', outbase: 'test/bench' });
}

if (e2e) {
  rmSync('dist/e2e', { recursive: true, force: true });
  // The scenarios (node --test files), the suite that runs inside the real extension host (its
  // mocha and `vscode` come from there and from node_modules, never bundled), and the sandbox.
  const entries = [
    ...readdirSync('test/e2e').filter((name) => name.endsWith('.e2e.ts')).map((name) => join('test/e2e', name)),
    ...readdirSync('test/e2e/host').filter((name) => name.endsWith('.ts')).map((name) => join('test/e2e/host', name)),
    'test/e2e/sandbox.ts',
    'test/e2e/installCodeServer.ts',
  ];
  builds.push({ ...node, external: [...node.external, 'mocha', 'playwright-core'], entryPoints: entries, outdir: 'dist/e2e', outbase: 'test/e2e' });
}

await Promise.all(builds.map((options) => esbuild.build(options)));

// The wasm backend loads its binary at run time from the bundle's own folder (tfBackend.ts).
// Node never runs the threaded build, so only the SIMD and the plain binaries travel.
if (!testsOnly && !bench && !e2e && !fuzz) {
  mkdirSync('dist', { recursive: true });
  for (const name of ['tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm.wasm']) {
    copyFileSync(join('node_modules/@tensorflow/tfjs-backend-wasm/dist', name), join('dist', name));
  }
}
