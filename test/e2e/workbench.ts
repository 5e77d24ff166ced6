/**
 * The VS Code workbench in Debian's chromium, driven the way a person uses it: the palette, the
 * explorer's context menu, notifications, and the webviews two iframes deep. Every wait has a
 * deadline and says what it waited for, so a failing scenario reads as what a person would have
 * seen go wrong.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, FrameLocator, Locator, Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, playwright } from '../helpers/chromium';
import { repoRoot } from './codeServer';


/** Where every scenario's screenshot goes (gitignored), beside the webview tests' ones. */
export const SCREENSHOTS = join(repoRoot, 'test', 'screenshots', 'e2e');

export interface Workbench {
  readonly page: Page;
  readonly context: BrowserContext;
  /** What the page printed to its console, for a failure's message. */
  readonly console: string[];
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Called as `window.codeAutomationExit(code)` when an extension test run ends. */
  readonly onAutomationExit?: (code: number) => void;
  readonly onAutomationLog?: (text: string) => void;
}

/** A fresh browser profile on `url`, waiting until the workbench has drawn its explorer. */
export async function openWorkbench(url: string, options: OpenOptions = {}): Promise<Workbench> {
  const { chromium } = playwright();
  const profile = mkdtempSync(join(tmpdir(), 'merge-lens-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true,
    viewport: { width: 1500, height: 950 },
  });
  const consoleLines: string[] = [];
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (message) => consoleLines.push(`${message.type()}: ${message.text()}`));
    if (options.onAutomationExit) await page.exposeFunction('codeAutomationExit', options.onAutomationExit);
    if (options.onAutomationLog) await page.exposeFunction('codeAutomationLog', options.onAutomationLog);
    await page.goto(url);
    await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
    return {
      page,
      context,
      console: consoleLines,
      close: async () => {
        await context.close().catch(() => undefined);
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await context.close().catch(() => undefined);
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
}

/** Waits until the explorer lists `name` (the workspace has loaded). */
export async function explorerItem(page: Page, name: string): Promise<Locator> {
  const item = page.locator(`.explorer-folders-view .monaco-list-row[aria-label="${name}"], .explorer-folders-view .monaco-list-row:has(.label-name:text-is("${name}"))`).first();
  await item.waitFor({ timeout: 60_000 });
  return item;
}

/**
 * Selects the named explorer rows together and chooses `label` from their context menu. The
 * first click opens that file in an editor, and the explorer then reveals the editor's file,
 * which resets the selection to that row alone; the reveal can come late (once the editor has
 * resolved), even after the Ctrl-click took. So the selection is confirmed, and when the menu
 * still shows a single file's items the whole gesture is made again.
 */
export async function chooseForSelection(page: Page, names: string[], label: string, deadlineMs = 60_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  const [first, ...rest] = names;
  for (;;) {
    await (await explorerItem(page, first!)).click();
    await page.locator('.tabs-container .tab.active', { hasText: first! }).waitFor({ timeout: 30_000 });
    for (const name of rest) await (await explorerItem(page, name)).click({ modifiers: ['Control'] });
    const selected = await Promise.all(names.map(async (name) => (await explorerItem(page, name)).getAttribute('aria-selected')));
    if (selected.every((value) => value === 'true')) {
      await (await explorerItem(page, names[names.length - 1]!)).click({ button: 'right' });
      const entry = contextMenuEntry(page, label);
      if (await entry.waitFor({ timeout: 5_000 }).then(() => true, () => false)) {
        await entry.hover();
        await page.keyboard.press('Enter');
        return;
      }
      await page.keyboard.press('Escape');
    }
    if (Date.now() > deadline) throw new Error(`the explorer's menu for ${names.join(', ')} together never offered "${label}" (aria-selected: ${selected.join(', ')})`);
    await page.waitForTimeout(500);
  }
}

/**
 * Runs a palette command by its full title. Right after load the palette may answer "No matching
 * commands" before the extensions' contributions arrive, and it does not refresh: close and retry.
 */
export async function runCommand(page: Page, title: string, deadlineMs = 60_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input.input');
    await input.waitFor({ timeout: 15_000 });
    await input.fill(`>${title}`);
    const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: title }).first();
    try {
      await row.waitFor({ timeout: 3_000 });
      await input.press('Enter');
      return;
    } catch (error) {
      await page.keyboard.press('Escape');
      if (Date.now() > deadline) throw new Error(`the palette never offered "${title}"`, { cause: error });
      await page.waitForTimeout(1_000);
    }
  }
}

/** The open quick pick: waits for a row matching `label`, then picks it. */
export async function pickQuickItem(page: Page, label: string | RegExp, timeout = 30_000): Promise<void> {
  const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: label }).first();
  await row.waitFor({ timeout });
  await row.click();
}

/** Accepts the open quick pick as it stands (Enter), e.g. a multi-select with its preselection. */
export async function acceptQuickPick(page: Page): Promise<void> {
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ timeout: 15_000 });
  await input.press('Enter');
}

/** A notification toast whose message contains `text`; with a severity, only toasts with its icon. */
export function notification(page: Page, text: string | RegExp, severity?: 'error' | 'warning' | 'info'): Locator {
  const toasts = page.locator('.notification-toast', { hasText: text });
  return (severity ? toasts.filter({ has: page.locator(`.notification-list-item-icon.codicon-${severity}`) }) : toasts).first();
}

/** The visible webview's content frame (the webview's own iframe holds the content's). */
export function activeWebview(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready:visible').frameLocator('#active-frame');
}

/** Right-click `item` and choose `label` from the context menu (hover then Enter: clicking is flaky there). */
export async function contextMenuChoose(page: Page, item: Locator, label: string): Promise<void> {
  await item.click({ button: 'right' });
  const entry = contextMenuEntry(page, label);
  await entry.waitFor({ timeout: 10_000 });
  await entry.hover();
  await page.keyboard.press('Enter');
}

export function contextMenuEntry(page: Page, label: string): Locator {
  return page.locator('.context-view .monaco-menu .action-item', { has: page.locator(`.action-label[aria-label="${label}"], .action-label:text-is("${label}")`) }).first();
}

export async function contextMenuLabels(page: Page, item: Locator): Promise<string[]> {
  await item.click({ button: 'right' });
  const menu = page.locator('.context-view .monaco-menu');
  await menu.waitFor({ timeout: 10_000 });
  const labels = await menu.locator('.action-item .action-label').allTextContents();
  await page.keyboard.press('Escape');
  return labels.map((label) => label.trim()).filter(Boolean);
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path });
  return path;
}
