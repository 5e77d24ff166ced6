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

test('the presentation module, shared by the CLI, the extension and the webviews, imports nothing from outside src/shared', () => {
  const outward = /from\s+['"]\.\.\/\.\.\/|from\s+['"](?!\.)/;
  const offenders = sourceFiles(join(root, 'src', 'shared', 'presentation'))
    .filter((file) => outward.test(readFileSync(file, 'utf8')))
    .map((file) => relative(root, file));
  assert.deepEqual(offenders, []);
});
