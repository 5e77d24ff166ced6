import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixture, tempDir } from '../helpers/paths';
import { cli as runCli } from '../helpers/runCli';

/**
 * The command line's side of hostile files: whatever a reader meets, `merge-lens` exits 1 with
 * one line on stderr, never 70 with a stack trace. The files are the fuzzer's reproducers (each
 * once an ugly error) and the classic attacks.
 */

const cli = (...args: string[]) => runCli(args, { timeoutMs: 60_000 });

function assertOneLineRefusal(run: ReturnType<typeof cli>, what: string): void {
  assert.equal(run.code, 1, `${what}: exit ${run.code}\n${run.stderr}`);
  assert.match(run.stderr, /^merge-lens: [^\n]+\n$/, `${what}: ${run.stderr}`);
}

test("every fuzz reproducer: inspect or dataset reads it (exit 0) or refuses it in one line (exit 1)", () => {
  const root = fixture('fuzz');
  let cases = 0;
  for (const family of readdirSync(root)) {
    for (const folder of readdirSync(join(root, family))) {
      const description = JSON.parse(readFileSync(join(root, family, folder, 'case.json'), 'utf8')) as { target: string; expect: string };
      const run = cli(family.startsWith('dataset-') ? 'dataset' : 'inspect', join(root, family, folder, description.target));
      if (run.code === 0 && description.expect !== 'refused') continue;
      assertOneLineRefusal(run, `${family}/${folder}`);
      cases++;
    }
  }
  assert.ok(cases > 0, 'no reproducer was refused: the fixtures are missing');
});

test('classic attacks through the command line: one line each, exit 1', () => {
  const dir = tempDir();
  const deepHeader = Buffer.from(`{"a":${'['.repeat(20_000)}${']'.repeat(20_000)}}`);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(deepHeader.length));
  writeFileSync(join(dir, 'deep.safetensors'), Buffer.concat([length, deepHeader]));
  writeFileSync(join(dir, 'lying.safetensors'), Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0]), Buffer.from('{}')]));
  writeFileSync(join(dir, 'named\nline.pt'), 'not a checkpoint');
  const cases: [string, string, RegExp][] = [
    ['inspect', fixture('pytorch', 'evil.pt'), /evil\.pt: refuses to load global 'posix\.system'/],
    ['inspect', join(dir, 'deep.safetensors'), /deep\.safetensors: .*nests 20001 levels deep/],
    ['inspect', join(dir, 'lying.safetensors'), /lying\.safetensors: /],
    ['inspect', join(dir, 'named\nline.pt'), /named\\nline\.pt: is neither a zip archive/],
    ['dataset', fixture('pytorch', 'evil.pt'), /evil\.pt: /],
    ['inspect', dir, /: is a directory, not a regular file/],
  ];
  for (const [command, file, expected] of cases) {
    const run = cli(command, file);
    assertOneLineRefusal(run, file);
    assert.match(run.stderr, expected);
  }
});
