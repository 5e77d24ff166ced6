import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(__dirname, '..', '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const importsVscode = /(?:from\s+|require\(\s*|import\(\s*)['"]vscode['"]/;

test('only src/extension imports vscode: the engine, worker, CLI and shared types serve everything', () => {
  const offenders = ['engine', 'worker', 'cli', 'shared']
    .flatMap((folder) => sourceFiles(join(root, 'src', folder)))
    .filter((file) => importsVscode.test(readFileSync(file, 'utf8')))
    .map((file) => relative(root, file));
  assert.deepEqual(offenders, []);
});

test('the engine never reaches up into the extension, worker or CLI', () => {
  const upward = /from\s+['"](?:\.\.\/)+(?:extension|worker|cli)\//;
  const offenders = sourceFiles(join(root, 'src', 'engine'))
    .filter((file) => upward.test(readFileSync(file, 'utf8')))
    .map((file) => relative(root, file));
  assert.deepEqual(offenders, []);
});

test('the worker and CLI bundles load without vscode', () => {
  for (const bundle of ['worker.js', 'cli.js']) {
    const text = readFileSync(join(root, 'dist', bundle), 'utf8');
    assert.doesNotMatch(text, /require\(["']vscode["']\)/, bundle);
  }
});

test('the contract types in src/shared import only from src/shared', () => {
  // workerProtocol.ts still names two engine types (BackendName, Activation); everything else is self-contained.
  const known = ['src/shared/workerProtocol.ts'];
  const outward = /from\s+['"]\.\.\//;
  const offenders = sourceFiles(join(root, 'src', 'shared'))
    .filter((file) => outward.test(readFileSync(file, 'utf8')))
    .map((file) => relative(root, file))
    .filter((file) => !known.includes(file));
  assert.deepEqual(offenders, []);
});
