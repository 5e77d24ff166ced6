/**
 * Merge Lens in a real VS Code: code-server with the packaged VSIX installed as a user installs
 * it, driven in Debian's chromium. Each scenario asserts what a person would see and saves a
 * screenshot to test/screenshots/e2e/.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import type { PageCanvas } from '../browser/pageTypes';
import { startCodeServer, type CodeServer } from './codeServer';
import { CRASH_FILES, CRASH_MEMORY_MB, makeCrashWorkspace } from './crashWorkspace';
import { DEMO_FILES, DEMO_SERIES, demoReport, demoSeriesReport, makeE2eWorkspace, type E2eWorkspace } from './demoWorkspace';
import { TRANSFORMER_FILES, makeTransformerWorkspace } from './transformerWorkspace';
import { codeServerBin, packagedVsix } from './prerequisites';
import {
  acceptQuickPick, activeWebview, chooseForSelection, contextMenuChoose, contextMenuLabels, explorerItem, notification, openWorkbench,
  pickQuickItem, runCommand, screenshot, type Workbench,
} from './workbench';
import { tempDir } from '../helpers/paths';

let server: CodeServer;
let workspace: E2eWorkspace;
let crashFolder: string;
let transformerFolder: string;

before(async () => {
  const folder = join(tempDir(), 'workspace');
  mkdirSync(folder);
  workspace = await makeE2eWorkspace(folder);
  crashFolder = makeCrashWorkspace(join(tempDir(), 'crash-workspace'));
  transformerFolder = makeTransformerWorkspace(join(tempDir(), 'transformer-workspace'));
  server = await startCodeServer({ bin: codeServerBin(), vsix: packagedVsix() });
});

after(async () => {
  await server?.stop();
});

/**
 * One fresh workbench per scenario: nothing one leaves open changes what the next sees. It opens
 * the demo's workspace unless `where` names another folder and a file its explorer lists.
 */
async function withWorkbench(
  name: string,
  body: (page: Page, workbench: Workbench) => Promise<void>,
  where: { readonly folder: string; readonly lists: string } = { folder: workspace.folder, lists: DEMO_FILES.a },
): Promise<void> {
  const workbench = await openWorkbench(server.urlFor(where.folder));
  try {
    await explorerItem(workbench.page, where.lists);
    // The extension's contributions have arrived once its view shows: before that, opening a
    // checkpoint would pick the text editor and the palette would not know the commands.
    await workbench.page.locator('.pane-header', { hasText: /Merge Lens/i }).first().waitFor({ timeout: 60_000 });
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

/**
 * Double-clicks `name` in the explorer until `shown` appears in its editor. Right after the
 * workbench loads, VS Code may still pick its text editor for a checkpoint (our custom editor's
 * registration not yet in): that tab is closed and the file opened again, as a user would.
 */
async function openInCheckpointEditor(page: Page, name: string, shown: Locator): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    await (await explorerItem(page, name)).dblclick();
    const tab = page.locator('.tabs-container .tab.active', { hasText: name });
    await tab.waitFor({ timeout: 30_000 });
    const binaryNotice = page.getByText('is not displayed in the text editor').first();
    const which = await Promise.race([
      shown.waitFor({ timeout: 30_000 }).then(() => 'grid' as const),
      binaryNotice.waitFor({ timeout: 30_000 }).then(() => 'text' as const),
    ]).catch(() => 'neither' as const);
    if (which === 'grid') return;
    if (Date.now() > deadline || which === 'neither') {
      await screenshot(page, `tensor-grid-${name.replace(/\W+/g, '-')}-missing`);
      throw new Error(`${name}: the checkpoint editor never showed its tensors (${which === 'text' ? 'the text editor kept opening it' : 'neither it nor the text editor showed'})`);
    }
    await tab.locator('.codicon-close').click();
    await page.waitForTimeout(1_000);
  }
}

const fixed = (v: number, d: number) => v.toFixed(d).replace(/^-(0\.0*)$/, '$1').replace('-', '−');
const percent = (v: number) => `${fixed(v * 100, 2)}%`;

/** Non-transparent pixels of the canvas `selector` in the panel: a chart that drew something. */
async function painted(panel: FrameLocator, selector: string): Promise<number> {
  return panel.locator(selector).first().evaluate((canvas: PageCanvas) => {
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let count = 0;
    for (let k = 3; k < data.length; k += 4) if (data[k]! > 0) count++;
    return count;
  });
}

/** Page coordinates of category `index` of `count` on a bar chart in the panel (from its data-area, CSS pixels of the frame). */
async function categoryPoint(panel: FrameLocator, selector: string, index: number, count: number): Promise<{ x: number; y: number }> {
  const canvas = panel.locator(selector).first();
  const area = (await canvas.getAttribute('data-area'))!.split(',').map(Number) as [number, number, number, number];
  const box = (await canvas.boundingBox())!;
  return { x: box.x + area[0] + ((index + 0.5) / count) * (area[2] - area[0]), y: box.y + (area[1] + area[3]) / 2 };
}

/** Page coordinates of a pair on a Series panel chart: its x (the chart's data-items) at the middle of the plot's height. */
async function seriesPoint(panel: FrameLocator, chart: string, item: number): Promise<{ x: number; y: number }> {
  const canvas = panel.locator(`canvas[data-chart="${chart}"]`);
  const at = new Map((await canvas.getAttribute('data-items'))!.split(' ').map((entry) => entry.split(':').map(Number) as [number, number]));
  const area = (await canvas.getAttribute('data-area'))!.split(',').map(Number) as [number, number, number, number];
  const box = (await canvas.boundingBox())!;
  return { x: box.x + at.get(item)!, y: box.y + (area[1] + area[3]) / 2 };
}

async function cellPoint(panel: FrameLocator, selector: string, row: number, column: number, rows: number, columns: number): Promise<{ x: number; y: number }> {
  const canvas = panel.locator(selector).first();
  const [left, top, width, height] = (await canvas.getAttribute('data-plot'))!.split(',').map(Number) as [number, number, number, number];
  const box = (await canvas.boundingBox())!;
  return { x: box.x + left + ((column + 0.5) / columns) * width, y: box.y + top + ((row + 0.5) / rows) * height };
}

async function selectTab(panel: FrameLocator, tab: string): Promise<void> {
  await panel.locator(`#tab-${tab}`).click();
  await panel.locator(`#view-${tab} canvas`).first().waitFor({ timeout: 60_000 });
}

/** Palette → Compare Checkpoints, through its four steps. */
async function compareFromPalette(page: Page, a: string, b: string, data: string): Promise<void> {
  await runCommand(page, 'Merge Lens: Compare Checkpoints');
  await pickQuickItem(page, a);
  await pickQuickItem(page, b);
  await pickQuickItem(page, data);
  await acceptQuickPick(page);
}

describe('Merge Lens in code-server', { timeout: 1_200_000 }, () => {
  it('palette: Compare Checkpoints shows progress, then a panel whose every tab draws and whose barriers equal the CLI report', async () => {
    await withWorkbench('palette', async (page) => {
      await compareFromPalette(page, DEMO_FILES.a, DEMO_FILES.b, DEMO_FILES.data);
      await notification(page, /Merge Lens: comparing demo-a\.safetensors ↔ demo-b\.safetensors/).waitFor({ timeout: 30_000 });
      await page.locator('.statusbar-item', { hasText: 'Merge Lens' }).first().waitFor({ timeout: 10_000 });
      await screenshot(page, 'palette-progress');

      const panel = activeWebview(page);
      await panel.locator('.barrier-table').waitFor({ timeout: 300_000 });
      const cli = demoReport();
      const middle = cli.alphas.reduce((best, a, i) => (Math.abs(a - 0.5) < Math.abs(cli.alphas[best]! - 0.5) ? i : best), 0);
      for (const [method, r] of Object.entries(cli.methods)) {
        const cell = (key: string) => panel.locator(`.barrier-table tr[data-method="${method}"] td[data-key="${key}"]`).textContent();
        assert.equal(await cell('lossBarrier'), fixed(r.barrier!.loss, 4), `${method} loss barrier as the CLI reports it`);
        assert.equal(await cell('accuracyBarrier'), percent(r.barrier!.accuracy), `${method} accuracy barrier`);
        assert.equal(await cell('accuracyMiddle'), percent(r.path!.accuracy[middle]!), `${method} accuracy at α = 0.5`);
        assert.equal(await cell('equivalent'), 'yes');
      }
      for (const chart of ['path-loss', 'path-accuracy']) assert.ok((await painted(panel, `canvas[data-chart="${chart}"]`)) > 5000, `${chart} is drawn`);
      await screenshot(page, 'palette-overview');

      await selectTab(panel, 'layers');
      for (const chart of ['layer-loss', 'layer-accuracy', 'layer-cost']) assert.ok((await painted(panel, `canvas[data-chart="${chart}"]`)) > 3000, `${chart} is drawn`);
      const layers = cli.methods.weight!.layerBarriers.map((l) => l.layer);
      const hovered = cli.methods.weight!.matching[1]!;
      const point = await categoryPoint(panel, 'canvas[data-chart="layer-cost"]', layers.indexOf(hovered.layer), layers.length);
      await page.mouse.move(point.x, point.y);
      const card = panel.locator('.layer-tooltip:not([hidden])');
      await card.waitFor({ timeout: 10_000 });
      const text = (await card.textContent())!;
      assert.ok(text.startsWith(`${hovered.layer} ·`) && text.includes('256 units · permuted'), text);
      for (const value of [hovered.costBefore, hovered.costAfter, hovered.correlationBefore!, hovered.correlationAfter!, hovered.wasserstein.aligned, hovered.wasserstein.optimal]) {
        assert.ok(text.includes(fixed(value, 4)), `the card shows ${fixed(value, 4)}: "${text}"`);
      }
      await screenshot(page, 'palette-layers');

      await selectTab(panel, 'llfc');
      for (const method of Object.keys(cli.methods)) assert.ok((await painted(panel, `canvas[data-chart="llfc-${method}"]`)) > 5000, `${method} LLFC heatmap drawn`);
      await page.mouse.move(0, 0);
      await screenshot(page, 'palette-llfc');

      // The similarity heatmap is a job of its own: the panel asks, the extension's worker answers.
      await panel.locator('#tab-permutations').click();
      const heatmap = 'canvas[data-chart="similarity"]';
      await panel.locator(heatmap).waitFor({ timeout: 120_000 });
      assert.ok((await painted(panel, heatmap)) > 10000, 'similarity heatmap drawn');
      const units = Number(await panel.locator(heatmap).getAttribute('data-units'));
      assert.equal(units, 256);
      const cell = await cellPoint(panel, heatmap, 5, 5, units, units);
      await page.mouse.move(cell.x, cell.y);
      const pair = panel.locator('.similarity-tooltip:not([hidden])');
      await pair.waitFor({ timeout: 10_000 });
      const method = (await panel.locator('#permutation-method').getAttribute('current-value')) ?? 'weight';
      const layer0 = cli.methods[method as keyof typeof cli.methods]!.matching[0]!;
      assert.match((await pair.textContent())!, new RegExp(`^A unit 5 ↔ B unit ${layer0.permutation[5]}`));
      assert.ok((await pair.textContent())!.includes(`cost ${fixed(layer0.unitCosts[5]!, 4)}`), 'the matched pair\'s cost is the report\'s unit cost');
      await screenshot(page, 'palette-permutations');
    });
  });

  it('a transformer: Compare Checkpoints on the GPT-2 pair with its token data shows blocks, heads and the head-to-head maps', async () => {
    await withWorkbench(
      'transformer',
      async (page) => {
        await compareFromPalette(page, TRANSFORMER_FILES.a, TRANSFORMER_FILES.b, TRANSFORMER_FILES.data);
        const panel = activeWebview(page);
        await panel.locator('.barrier-table').waitFor({ timeout: 180_000 });
        assert.match((await panel.locator('.facts').textContent())!, /transformer: 2 blocks, 4 heads per attention, residual stream 64, MLP 256/);
        for (const method of ['naive', 'weight']) assert.equal(await panel.locator(`.barrier-table tr[data-method="${method}"] td[data-key="equivalent"]`).textContent(), 'yes');

        // The side bar lists the blocks (its view opened, as a user opens it).
        const header = page.locator('.pane-header', { hasText: /Merge Lens/i }).first();
        if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
        const view = page.locator('.pane', { has: header }).first();
        for (const label of ['embeddings', 'block 0', 'block 1']) await view.locator('.monaco-list-row', { hasText: label }).first().waitFor({ timeout: 30_000 });

        await selectTab(panel, 'layers');
        assert.equal(await panel.locator('.block-table tbody tr').count(), 8);
        await screenshot(page, 'transformer-layers');

        // One head-to-head map per attention; hover names two heads; the worker draws the units of the chosen group.
        await panel.locator('#tab-permutations').click();
        const maps = panel.locator('canvas[data-chart="heads"]');
        await maps.first().waitFor({ timeout: 30_000 });
        assert.equal(await maps.count(), 2);
        assert.ok((await painted(panel, 'canvas[data-chart="heads"]')) > 5000, 'head map drawn');
        // The unit map arrives from the worker and redraws the tab, which hides an open hover card:
        // it is awaited first, so the hover below is not raced by it.
        await panel.locator('canvas[data-chart="similarity"]').waitFor({ timeout: 60_000 });
        assert.equal(await panel.locator('canvas[data-chart="similarity"]').getAttribute('data-units'), '64');
        const cell = await cellPoint(panel, 'canvas[data-chart="heads"]', 1, 1, 4, 4);
        await page.mouse.move(cell.x, cell.y);
        const card = panel.locator('.similarity-tooltip:not([hidden])');
        await card.waitFor({ timeout: 10_000 });
        assert.match((await card.textContent({ timeout: 10_000 }))!, /^block 0 · A head 1 ↔ B head \dsimilarity −?\d\.\d{4}the matched pair/);
        await screenshot(page, 'transformer-heads');
      },
      { folder: transformerFolder, lists: TRANSFORMER_FILES.a },
    );
  });

  it('explorer: two selected checkpoints → Compare Checkpoints; the menu items are absent on a .txt file', async () => {
    await withWorkbench('explorer', async (page) => {
      const notes = await explorerItem(page, 'notes.txt');
      const onText = await contextMenuLabels(page, notes);
      assert.ok(onText.length > 3, `the context menu opened: ${onText.join(', ')}`);
      for (const label of ['Compare Checkpoints', 'Select Checkpoint for Compare', 'Inspect Checkpoint']) assert.ok(!onText.includes(label), `"${label}" is not offered on a .txt file`);

      const single = await contextMenuLabels(page, await explorerItem(page, 'mlp.pt'));
      assert.ok(single.includes('Inspect Checkpoint') && single.includes('Select Checkpoint for Compare'), `a checkpoint offers Merge Lens: ${single.join(', ')}`);

      await chooseForSelection(page, [DEMO_FILES.a, DEMO_FILES.b], 'Compare Checkpoints');
      await pickQuickItem(page, /Weights only/);
      await acceptQuickPick(page);
      const panel = activeWebview(page);
      await panel.locator('.barrier-table, .weights-only, vscode-panels').first().waitFor({ timeout: 120_000 });
      await panel.locator('#tab-permutations').waitFor();
      await screenshot(page, 'explorer-compare');
    });
  });

  it('Compare Series… on the demo\'s width series: the Series panel draws it with the CLI\'s numbers, comes back on Reload Window, and a point opens that pair in the results panel', async () => {
    await withWorkbench('series', async (page) => {
      await runCommand(page, 'Merge Lens: Compare Series…');
      await pickQuickItem(page, DEMO_SERIES.manifest);
      await notification(page, /Merge Lens: comparing series\.json/).waitFor({ timeout: 30_000 });
      const panel = activeWebview(page);
      await panel.locator('.series-items').waitFor({ timeout: 120_000 });
      const cli = demoSeriesReport();
      assert.equal(await panel.locator('.series-items tbody tr').count(), cli.items.length);
      for (const item of cli.items) {
        for (const [method, r] of Object.entries(item.report.methods)) {
          const cell = (key: string) => panel.locator(`.series-items tr[data-item="${item.index}"] td[data-key="${key}-${method}"]`).textContent();
          assert.equal(await cell('loss'), fixed(r.barrier!.loss, 4), `width ${item.value}, ${method}: the loss barrier the CLI reports`);
          assert.equal(await cell('accuracy'), percent(r.barrier!.accuracy), `width ${item.value}, ${method}: accuracy barrier`);
        }
      }
      for (const chart of ['series-loss', 'series-w2', 'series-scaling']) assert.ok((await painted(panel, `canvas[data-chart="${chart}"][data-items]`)) > 3000, `${chart} is drawn`);
      await page.mouse.move(0, 0);
      await screenshot(page, 'series-panel');

      // Reloaded with the command, as a user does (it waits for the workbench to save its state; a bare
      // page reload may not): the panel comes back on the same series, its pairs read from the cache.
      // Until the new page has loaded, the old one's panel still answers the locators.
      const reloaded = page.waitForEvent('load', { timeout: 60_000 });
      await runCommand(page, 'Developer: Reload Window');
      await reloaded;
      const restored = activeWebview(page);
      await restored.locator('.series-items tbody tr').nth(cli.items.length - 1).waitFor({ timeout: 60_000 });
      assert.equal(await restored.locator('.series-items tbody tr').count(), cli.items.length);
      await page.locator('.tabs-container .tab.active', { hasText: 'series.json' }).waitFor();

      const widest = cli.items.at(-1)!;
      const point = await seriesPoint(restored, 'series-loss', widest.index);
      await page.mouse.click(point.x, point.y);
      const results = activeWebview(page);
      await page.locator('.tabs-container .tab.active', { hasText: 'w128-seed1.safetensors ↔ w128-seed2.safetensors' }).waitFor({ timeout: 30_000 });
      await results.locator('.barrier-table').waitFor({ timeout: 30_000 });
      const weight = widest.report.methods.weight!;
      assert.equal(await results.locator('.barrier-table tr[data-method="weight"] td[data-key="lossBarrier"]').textContent(), fixed(weight.barrier!.loss, 4));
      await screenshot(page, 'series-open-pair');
    });
  });

  it('opening a .safetensors and a .pt file shows the tensor grid', async () => {
    await withWorkbench('tensor-grid', async (page) => {
      // What wrote each file listed: the demo's writer, and PyTorch itself for mlp.pt.
      const listings = {
        [DEMO_FILES.a]: ['layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias', 'layers.2.weight', 'layers.2.bias'],
        'mlp.pt': (JSON.parse(readFileSync(join(workspace.folder, 'mlp.expected.json'), 'utf8')) as { tensors: { name: string }[] }).tensors.map((t) => t.name),
      };
      for (const [name, tensors] of Object.entries(listings)) {
        const rows = activeWebview(page).locator('vscode-data-grid-row[row-type="default"]');
        await openInCheckpointEditor(page, name, rows.filter({ hasText: tensors[0]! }).first());
        assert.equal(await rows.count(), tensors.length, `${name}: one row per tensor`);
        const text = (await rows.allTextContents()).join('\n');
        for (const tensor of tensors) assert.ok(text.includes(tensor), `${name}: ${tensor} listed`);
        await screenshot(page, `tensor-grid-${name.replace(/\W+/g, '-')}`);
      }
    });
  });

  it('a corrupt checkpoint gives an error naming the file and the problem; the extension keeps working', async () => {
    await withWorkbench('corrupt', async (page) => {
      await compareFromPalette(page, 'corrupt.safetensors', DEMO_FILES.b, 'Weights only');
      const error = notification(page, /corrupt\.safetensors/, 'error');
      await error.waitFor({ timeout: 60_000 });
      const message = (await error.textContent())!;
      assert.match(message, /corrupt\.safetensors/);
      assert.doesNotMatch(message, /failed unexpectedly/, 'an input error, told as one');
      // The panel says it too, in place of results.
      await activeWebview(page).locator('section.error[role="alert"]', { hasText: 'corrupt.safetensors' }).waitFor({ timeout: 30_000 });
      await screenshot(page, 'corrupt-error');
      await error.locator('.codicon-notifications-clear, .codicon-close').first().click().catch(() => page.keyboard.press('Escape'));

      await compareFromPalette(page, DEMO_FILES.a, DEMO_FILES.b, 'Weights only');
      await activeWebview(page).locator('#tab-permutations').waitFor({ timeout: 120_000 });
      await screenshot(page, 'corrupt-then-compare');
    });
  });

  it('a job past the worker\'s memory limit ends with an error saying so, a comparison that would pass it is refused before reading, and the next job works', async () => {
    await withWorkbench(
      'crash',
      async (page) => {
        const limit = `its limit is ${CRASH_MEMORY_MB} MB`;
        await runCommand(page, 'Merge Lens: Inspect Checkpoint');
        await pickQuickItem(page, CRASH_FILES.manyTensors);
        const outOfMemory = notification(page, /ran out of memory/, 'error');
        await outOfMemory.waitFor({ timeout: 60_000 });
        const told = (await outOfMemory.textContent())!;
        assert.ok(told.includes(`inspecting ${CRASH_FILES.manyTensors} stopped: the worker ran out of memory (${limit}) while reading the header; raise mergeLens.workerMemoryMb`), told);
        assert.doesNotMatch(told, /exit code|failed unexpectedly/);
        await screenshot(page, 'crash-out-of-memory');
        await outOfMemory.locator('.codicon-notifications-clear, .codicon-close').first().click().catch(() => page.keyboard.press('Escape'));

        await compareFromPalette(page, CRASH_FILES.wide.a, CRASH_FILES.wide.b, 'Weights only');
        const refused = notification(page, /needs about/, 'error');
        await refused.waitFor({ timeout: 60_000 });
        const refusal = (await refused.textContent())!;
        assert.match(refusal, new RegExp(`comparing ${CRASH_FILES.wide.a} with ${CRASH_FILES.wide.b} needs about [\\d,]+ MB .* but the memory limit is ${CRASH_MEMORY_MB} MB; raise mergeLens\\.workerMemoryMb`));
        await screenshot(page, 'crash-refused');
        await refused.locator('.codicon-notifications-clear, .codicon-close').first().click().catch(() => page.keyboard.press('Escape'));

        // The same extension host, a fresh worker under the same limit: a small checkpoint lists its tensors.
        const rows = activeWebview(page).locator('vscode-data-grid-row[row-type="default"]');
        await openInCheckpointEditor(page, CRASH_FILES.small, rows.filter({ hasText: 'weight' }).first());
        assert.equal(await rows.count(), 6);
        await screenshot(page, 'crash-then-inspect');
      },
      { folder: crashFolder, lists: CRASH_FILES.manyTensors },
    );
  });

  it('Cancel during a long comparison stops it promptly; the extension host answers commands while it runs', async () => {
    await withWorkbench('cancel', async (page) => {
      await compareFromPalette(page, 'wide/wide-a.safetensors', 'wide/wide-b.safetensors', DEMO_FILES.data);
      const progress = notification(page, /Merge Lens: comparing wide-a\.safetensors ↔ wide-b\.safetensors/);
      await progress.waitFor({ timeout: 60_000 });
      // While the worker computes, the extension host still answers: a command run now
      // (Select Checkpoint for Compare sets a context key) shows its effect in the explorer's
      // menu before the comparison ends.
      await contextMenuChoose(page, await explorerItem(page, 'mlp.pt'), 'Select Checkpoint for Compare');
      let offered: string[] = [];
      for (let attempt = 0; attempt < 20 && !offered.includes('Compare Checkpoint with Selected'); attempt++) {
        offered = await contextMenuLabels(page, await explorerItem(page, DEMO_FILES.a));
        if (!offered.includes('Compare Checkpoint with Selected')) await page.waitForTimeout(500);
      }
      assert.ok(offered.includes('Compare Checkpoint with Selected'), `the command ran during the comparison: ${offered.join(', ')}`);
      assert.ok(await progress.isVisible(), 'the comparison is still running');
      await screenshot(page, 'cancel-running');

      await progress.locator('a.monaco-button, .monaco-button', { hasText: 'Cancel' }).first().click();
      const cancelled = Date.now();
      await progress.waitFor({ state: 'detached', timeout: 15_000 });
      const panel = activeWebview(page);
      await panel.locator('section.cancelled', { hasText: 'The comparison was cancelled. Nothing was written.' }).waitFor({ timeout: 15_000 });
      assert.ok(Date.now() - cancelled < 15_000);
      await page.locator('.statusbar-item', { hasText: 'Merge Lens' }).first().waitFor({ state: 'detached', timeout: 15_000 }).catch(async () => {
        assert.equal(await page.locator('.statusbar-item .codicon-loading', { hasText: 'Merge Lens' }).count(), 0, 'no job is left running');
      });
      assert.ok(!existsSync(join(workspace.folder, 'wide', 'wide-b.aligned-weight.safetensors')), 'nothing was written');
      await screenshot(page, 'cancel-done');
    });
  });
});
