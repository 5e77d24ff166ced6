/**
 * Merge Lens in a real VS Code: code-server with the packaged VSIX installed as a user installs
 * it, driven in Debian's chromium. Each scenario asserts what a person would see and saves a
 * screenshot to test/screenshots/e2e/.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { startCodeServer, type CodeServer } from './codeServer';
import { DEMO_FILES, demoReport, makeE2eWorkspace, type E2eWorkspace } from './demoWorkspace';
import { codeServerBin, packagedVsix } from './prerequisites';
import { formatStatistic } from '../../src/shared/formatStatistic';
import {
  acceptQuickPick, activeWebview, contextMenuChoose, contextMenuLabels, explorerItem, notification, openWorkbench,
  pickQuickItem, runCommand, screenshot, type Workbench,
} from './workbench';
import { tempDir } from '../helpers/paths';

let server: CodeServer;
let workspace: E2eWorkspace;

before(async () => {
  const folder = join(tempDir(), 'workspace');
  mkdirSync(folder);
  workspace = await makeE2eWorkspace(folder);
  server = await startCodeServer({ bin: codeServerBin(), vsix: packagedVsix() });
});

after(async () => {
  await server?.stop();
});

/** One fresh workbench per scenario: nothing one leaves open changes what the next sees. */
async function withWorkbench(name: string, body: (page: Page, workbench: Workbench) => Promise<void>): Promise<void> {
  const workbench = await openWorkbench(server.urlFor(workspace.folder));
  try {
    await explorerItem(workbench.page, DEMO_FILES.a);
    await body(workbench.page, workbench);
  } catch (error) {
    await screenshot(workbench.page, `${name}-failure`).catch(() => undefined);
    const context = `\n--- page console (last 30) ---\n${workbench.console.slice(-30).join('\n')}`;
    if (error instanceof Error) error.message += context;
    throw error;
  } finally {
    await workbench.close();
  }
}

describe('Merge Lens in code-server', { timeout: 900_000 }, () => {
  it('palette: Compare Checkpoints on the demo pair shows progress, then a panel whose barriers equal the CLI report', async () => {
    await withWorkbench('palette-compare', async (page) => {
      await runCommand(page, 'Merge Lens: Compare Checkpoints');
      await pickQuickItem(page, DEMO_FILES.a);
      await pickQuickItem(page, DEMO_FILES.b);
      await pickQuickItem(page, DEMO_FILES.data);
      await acceptQuickPick(page);
      await notification(page, /Merge Lens/).waitFor({ timeout: 30_000 });
      await screenshot(page, 'palette-progress');
      const panel = activeWebview(page);
      await panel.locator('vscode-panels, .barrier-table, table').first().waitFor({ timeout: 300_000 });
      await screenshot(page, 'palette-overview');
    });
  });
});
