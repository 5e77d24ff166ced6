/**
 * The mocha suite in test/e2e/host/ run inside code-server's real extension host, against the
 * extension exactly as the VSIX unpacks: the workbench loads it as the development extension
 * (`?payload=`), runs the suite, and reports the exit code through codeAutomationExit.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { installVsix, repoRoot, startCodeServer, type CodeServer } from './codeServer';
import { makeE2eWorkspace } from './demoWorkspace';
import { codeServerBin, packagedVsix } from './prerequisites';
import { openWorkbench, screenshot } from './workbench';
import { tempDir } from '../helpers/paths';

let server: CodeServer;
let folder: string;
let extensionFolder: string;
const log = join(tempDir(), 'host-tests.log');

before(async () => {
  folder = join(tempDir(), 'workspace');
  mkdirSync(folder);
  await makeE2eWorkspace(folder);
  // Unpacked by code-server itself, into a folder of its own: the development extension is then
  // the only Merge Lens the server knows.
  extensionFolder = installVsix(codeServerBin(), tempDir(), packagedVsix());
  server = await startCodeServer({ bin: codeServerBin(), env: { MERGE_LENS_HOST_LOG: log } });
});

after(async () => {
  await server?.stop();
});

/** Resolves to the failure count once the runner has written its last line; rejects at the deadline. */
async function suiteEnd(file: string, deadline: number): Promise<number> {
  while (Date.now() < deadline) {
    const done = existsSync(file) ? /^done: (\d+) failed$/m.exec(readFileSync(file, 'utf8')) : null;
    if (done) return Number(done[1]);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error('the extension-host suite did not finish within 10 minutes');
}

test('the extension-host suite passes inside code-server', { timeout: 900_000 }, async () => {
  const remote = (path: string) => `vscode-remote://127.0.0.1:${server.port}${path}`;
  const payload = JSON.stringify([
    ['extensionDevelopmentPath', remote(extensionFolder)],
    ['extensionTestsPath', remote(join(repoRoot, 'dist', 'e2e', 'host', 'index.js'))],
  ]);
  // The workbench calls codeAutomationExit when it notices the run's end, which code-server's
  // remote extension host does not always let it do: the runner's last line is what counts.
  let automationExit: number | undefined;
  const lines: string[] = [];
  const workbench = await openWorkbench(server.urlFor(folder, { payload }), {
    onAutomationExit: (code) => (automationExit = code),
    onAutomationLog: (text) => lines.push(text),
  });
  try {
    const failures = await suiteEnd(log, Date.now() + 600_000);
    await screenshot(workbench.page, 'extension-host-suite').catch(() => undefined);
    const results = existsSync(log) ? readFileSync(log, 'utf8') : '(the suite wrote no results)';
    assert.equal(failures, 0, `extension-host tests failed:\n${results}\n${lines.join('\n')}`);
    if (automationExit !== undefined) assert.equal(automationExit, 0, 'the exit code the workbench reported');
    const passed = results.split('\n').filter((line) => line.startsWith('pass: ')).length;
    assert.ok(passed >= 7, `every test ran (${passed} passed):\n${results}`);
  } finally {
    await workbench.close();
  }
});
