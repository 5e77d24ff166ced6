/**
 * The extension-host test runner: VS Code loads this module (extensionTestsPath) inside the real
 * extension host and calls run(); its outcome becomes the workbench's codeAutomationExit code.
 * Every test's outcome also goes, one line each, to the file MERGE_LENS_HOST_LOG names, so the
 * scenario driving the browser can print what failed.
 */
import { appendFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Mocha from 'mocha';

function record(line: string): void {
  const file = process.env.MERGE_LENS_HOST_LOG;
  if (file) appendFileSync(file, `${line}\n`);
}

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 300_000, color: false, reporter: 'spec' });
  for (const name of readdirSync(__dirname).filter((n) => n.endsWith('.test.js')).sort()) mocha.addFile(join(__dirname, name));
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      record(`done: ${failures} failed`);
      if (failures > 0) reject(new Error(`${failures} extension-host tests failed`));
      else resolve();
    });
    runner.on('pass', (test) => record(`pass: ${test.fullTitle()}`));
    runner.on('fail', (test, error: Error) => record(`FAIL: ${test.fullTitle()}\n${error.stack ?? error.message}`));
  });
}
