import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = join(__dirname, '..', '..', '..');

/**
 * Which areas each area may import from (itself always). Data flows one way: the extension host
 * starts workers, the worker and the CLI run the engine, and everything speaks the contract in
 * src/shared, which imports nothing above it.
 */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  'src/shared': [],
  'src/engine': ['src/shared'],
  'src/worker': ['src/cache', 'src/engine', 'src/shared'],
  'src/cli': ['src/cache', 'src/engine', 'src/shared'],
  'src/cache': ['src/engine', 'src/shared'],
  'src/extension': ['src/cache', 'src/engine', 'src/shared'],
  webview: ['src/shared'],
};

/** Only the extension host may import `vscode`. */
const VSCODE_ALLOWED = ['src/extension'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** The area a path lies in: 'src/engine', 'webview', …; null outside them. */
function areaOf(path: string): string | null {
  const parts = relative(root, path).split(sep);
  if (parts[0] === 'src' && parts.length > 2) return `src/${parts[1]}`;
  if (parts[0] === 'webview') return 'webview';
  return null;
}

/** Every module specifier a source imports, re-exports, requires or imports dynamically. */
function specifiers(text: string): string[] {
  const found: string[] = [];
  const pattern = /(?:\bfrom\s+|\bimport\s+|\brequire\(\s*|\bimport\(\s*)['"]([^'"]+)['"]/g;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) found.push(match[1]!);
  return found;
}

/** "file → what it may not import" for every import that breaks the table. */
function violations(file: string, text: string): string[] {
  const from = areaOf(file);
  if (from === null) return [];
  return specifiers(text).flatMap((spec) => {
    if (spec === 'vscode') return VSCODE_ALLOWED.includes(from) ? [] : [`${relative(root, file)} → vscode`];
    if (!spec.startsWith('.')) return [];
    const to = areaOf(resolve(dirname(file), spec));
    if (to === null || to === from || MAY_IMPORT[from]!.includes(to)) return [];
    return [`${relative(root, file)} → ${to} (${spec})`];
  });
}

test('every area imports only the areas below it: the engine and the contract never reach up into the host, the worker or the CLI', () => {
  const files = [...Object.keys(MAY_IMPORT).flatMap((area) => sourceFiles(join(root, area)))];
  assert.ok(files.length > 150, `found only ${files.length} sources`);
  const unknown = files.filter((file) => areaOf(file) === null || !(areaOf(file)! in MAY_IMPORT)).map((f) => relative(root, f));
  assert.deepEqual(unknown, [], 'every source folder has a row in the table');
  assert.deepEqual(files.flatMap((file) => violations(file, readFileSync(file, 'utf8'))), []);
});

test('the check catches an upward import of every kind', () => {
  const engineFile = join(root, 'src', 'engine', 'compare', 'x.ts');
  const sharedFile = join(root, 'src', 'shared', 'x.ts');
  assert.deepEqual(violations(engineFile, "import { a } from '../../extension/comparisons';"), ['src/engine/compare/x.ts → src/extension (../../extension/comparisons)']);
  assert.equal(violations(engineFile, "import type { B } from '../../worker/jobs';").length, 1);
  assert.equal(violations(engineFile, "export { c } from '../../cli/main';").length, 1);
  assert.equal(violations(engineFile, "const d = await import('../../cache/resultCache');").length, 1);
  assert.equal(violations(sharedFile, "import type { Network } from '../engine/model/network';").length, 1);
  assert.equal(violations(sharedFile, "import * as vscode from 'vscode';").length, 1);
  assert.equal(violations(join(root, 'webview', 'panel', 'x.ts'), "import { tf } from '../../src/engine/backend/tfBackend';").length, 1);
  assert.deepEqual(violations(engineFile, "import { ACTIVATIONS } from '../../shared/compareRequest';\nimport { tf } from '../backend/tfBackend';"), []);
});

test('the worker and CLI bundles load without vscode', () => {
  for (const bundle of ['worker.js', 'cli.js']) {
    const text = readFileSync(join(root, 'dist', bundle), 'utf8');
    assert.doesNotMatch(text, /require\(["']vscode["']\)/, bundle);
  }
});

test('the extension host bundle stays light: no reader, no TensorFlow.js (the worker loads those)', () => {
  const text = readFileSync(join(root, 'dist', 'extension.js'), 'utf8');
  // The package name may appear as text (the native-backend hint names it); its code may not.
  assert.doesNotMatch(text, /tfjs-core|node_modules\/@tensorflow\/|require\(["']@tensorflow\//);
  assert.doesNotMatch(text, /function openCheckpoint\b/);
  assert.ok(text.length < 256 * 1024, `dist/extension.js is ${text.length} bytes`);
});

