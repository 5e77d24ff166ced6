import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { compareCheckpoints } from '../../src/engine/compare/compareCheckpoints';
import { openCheckpoint } from '../../src/engine/formats/openCheckpoint';
import { inspectCheckpoint } from '../../src/engine/inspect/inspectCheckpoint';
import type { CompareReport, MethodName } from '../../src/shared/compareReport';
import type { InspectReport } from '../../src/shared/inspectReport';
import type { HostToPanel } from '../../src/shared/panelProtocol';
import { fixture, repoRoot } from '../helpers/paths';
import type { PageCanvas } from './pageTypes';
import { WebviewHarness, type OpenOptions, type WebviewSession } from './webviewHarness';

/**
 * The panel's finish (issue 14): the layer card holds its table, the overview's legend hides a
 * method and the y-axis fits what is left, secondary text is the foreground in high contrast, and
 * the tensor grid's header and negative numbers read as the panel's. In a real browser, under the
 * real CSP, on the engine's comparison of the fixture networks.
 */

/** The few DOM members the in-page callbacks use (the root type-check has no DOM library). */
interface Box {
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}
interface PageElement {
  readonly dataset: Readonly<Record<string, string | undefined>>;
  readonly textContent: string | null;
  readonly scrollWidth: number;
  readonly clientWidth: number;
  readonly classList: { add(...names: string[]): void; remove(...names: string[]): void };
  readonly style: { setProperty(name: string, value: string): void };
  getBoundingClientRect(): Box;
  querySelectorAll(selector: string): ArrayLike<PageElement>;
}
declare const document: { readonly body: PageElement; readonly documentElement: PageElement & { readonly clientWidth: number }; querySelector(selector: string): PageElement | null; querySelectorAll(selector: string): ArrayLike<PageElement> };
declare const window: { readonly innerHeight: number };
declare function getComputedStyle(element: unknown): { readonly color: string; getPropertyValue(name: string): string };

const SCREENSHOTS = join(repoRoot(), 'test', 'screenshots');
const CACHE_KEY = 'b'.repeat(64);

let harness: WebviewHarness;
let report: CompareReport;
let tensors: InspectReport;

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const checkpoint = await openCheckpoint(fixture('pytorch', 'mlp.pt'));
  const [started, compared, inspected] = await Promise.all([
    WebviewHarness.start(),
    compareCheckpoints({
      a: fixture('compare', 'a.pt'), b: fixture('compare', 'b.pt'), data: fixture('compare', 'eval.npz'), activation: 'relu', alphas: 11,
      backend: 'auto', seed: 0, fitSamples: 200, llfcSamples: 100, methods: ['naive', 'weight', 'activation', 'covariance'],
    }),
    inspectCheckpoint(checkpoint, { statsBudgetBytes: null }).finally(() => checkpoint.close()),
  ]);
  harness = started;
  // What the host sends went through the extension's JSON: the page sees plain data.
  report = JSON.parse(JSON.stringify(compared.report));
  tensors = JSON.parse(JSON.stringify(inspected));
});

after(() => harness?.close());

async function openPanel(options: Partial<OpenOptions> = {}): Promise<WebviewSession> {
  const session = await harness.open({ entry: 'panel', title: 'Merge Lens', ...options });
  await session.waitForPosted('ready');
  await session.send({ type: 'report', title: 'a.pt ↔ b.pt', report, cacheKey: CACHE_KEY, cached: false } satisfies HostToPanel);
  await session.page.waitForSelector('vscode-panels');
  return session;
}

async function selectTab(session: WebviewSession, tab: string): Promise<void> {
  await session.page.click(`#tab-${tab}`);
  await session.page.waitForFunction((t) => (document.querySelector(`#view-${t}`)?.querySelectorAll('*').length ?? 0) > 0, tab);
}

const screenshot = (session: WebviewSession, name: string) => session.page.screenshot({ path: join(SCREENSHOTS, `panel-${name}.png`), fullPage: true });

/** Every element of the card that reaches past its right edge (or the card past the viewport's), as text for the message. */
async function spills(session: WebviewSession, selector: string): Promise<string[]> {
  return session.page.$eval(selector, (card: PageElement) => {
    const outer = card.getBoundingClientRect();
    const out: string[] = [];
    if (outer.left < 0 || outer.right > document.documentElement.clientWidth) out.push(`the card [${outer.left}, ${outer.right}] past the viewport (${document.documentElement.clientWidth})`);
    if (outer.top < 0 || outer.bottom > window.innerHeight) out.push(`the card [${outer.top}, ${outer.bottom}] below the viewport (${window.innerHeight})`);
    for (const child of Array.from(card.querySelectorAll('*'))) {
      const box = child.getBoundingClientRect();
      if (box.right > outer.right + 0.5 || box.left < outer.left - 0.5) out.push(`"${(child.textContent ?? '').slice(0, 30)}" [${box.left}, ${box.right}] outside [${outer.left}, ${outer.right}]`);
    }
    return out;
  });
}

test('layers: the hover card holds its table, wherever the layer is, in a wide and in a narrow panel', async () => {
  for (const viewport of [{ width: 1280, height: 900 }, { width: 620, height: 700 }]) {
    const session = await openPanel({ viewport });
    await selectTab(session, 'layers');
    const { page } = session;
    const barrierLayers = report.methods.weight!.layerBarriers.map((b) => b.layer);
    const matched = report.methods.weight!.matching.map((m) => m.layer);
    // The right-hand chart (at 1280 px) and the one below: near the right edge the card flips left of the pointer.
    for (const [chart, layers] of [['layer-accuracy', barrierLayers], ['layer-cost', matched]] as const) {
      await page.locator(`canvas[data-chart="${chart}"]`).scrollIntoViewIfNeeded();
      for (const [i, layer] of layers.entries()) {
        const [x, y] = await page.$eval(`canvas[data-chart="${chart}"]`, (canvas: PageCanvas, [k, n]) => {
          const [left, top, right, bottom] = canvas.dataset.area!.split(',').map(Number) as [number, number, number, number];
          const box = canvas.getBoundingClientRect();
          return [box.left + left + ((k + 0.5) / n) * (right - left), box.top + (top + bottom) / 2] as [number, number];
        }, [i, layers.length] as const);
        await page.mouse.move(x, y);
        await page.waitForFunction((l) => document.querySelector('.layer-tooltip:not([hidden])')?.textContent?.startsWith(`layer ${l} ·`) ?? false, layer);
        if (matched.includes(layer)) assert.ok((await page.textContent('.layer-tooltip thead'))!.includes('Corr. after'));
        assert.deepEqual(await spills(session, '.layer-tooltip'), [], `${chart}, layer ${layer}, at ${viewport.width} px`);
      }
    }
    // For the screenshot, a matched layer of the right-hand chart.
    await page.locator('canvas[data-chart="layer-accuracy"]').scrollIntoViewIfNeeded();
    const box = (await page.locator('canvas[data-chart="layer-accuracy"]').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.55, box.y + box.height / 2);
    await page.waitForSelector('.layer-tooltip:not([hidden]) table');
    await page.screenshot({ path: join(SCREENSHOTS, `panel-layer-card${viewport.width === 1280 ? '' : '-narrow'}.png`) });
    session.assertClean();
    await session.close();
  }
});

/** The y-axis's [min, max] a chart drew. */
async function yRange(session: WebviewSession, chart: string): Promise<[number, number]> {
  const range = await session.page.getAttribute(`canvas[data-chart="${chart}"]`, 'data-y-range');
  return range!.split(',').map(Number) as [number, number];
}

test('overview: pressing a method in the legend hides its curves, the y-axes fit the others, and the choice is kept', async () => {
  const session = await openPanel();
  const { page } = session;
  const methods = Object.keys(report.methods) as MethodName[];
  const loss = (m: MethodName) => report.methods[m]!.path!.loss;
  const peak = (ms: MethodName[]) => Math.max(...ms.flatMap(loss));
  const [, before] = await yRange(session, 'path-loss');
  const [accuracyLow] = await yRange(session, 'path-accuracy');
  assert.ok(before >= peak(methods), `the axis reaches the naive peak ${peak(methods)}: ${before}`);

  const button = 'button.legend-entry[data-method="naive"]';
  assert.equal(await page.getAttribute(button, 'aria-pressed'), 'true');
  await page.click(button);
  await page.waitForFunction((b) => Number(document.querySelector('canvas[data-chart="path-loss"]')?.dataset.yRange?.split(',')[1]) < b, before);
  const aligned = methods.filter((m) => m !== 'naive');
  const range = await yRange(session, 'path-loss');
  // The axis now spans the aligned curves (and the endpoints' straight line), with Chart.js's rounding to a tick.
  const shown = aligned.flatMap(loss);
  const [low, high] = [Math.min(...shown), Math.max(...shown)];
  assert.ok(range[1] < before && range[1] >= high && range[1] - high <= (high - low) * 0.5 + 1e-9, `loss axis ${range} for aligned curves in [${low}, ${high}] (was up to ${before})`);
  assert.ok(range[0] <= low, `loss axis ${range} starts below ${low}`);
  // One legend for both charts: the accuracy axis no longer reaches down to naive's dip.
  const accuracy = aligned.flatMap((m) => report.methods[m]!.path!.accuracy);
  const [accuracyAfter] = await yRange(session, 'path-accuracy');
  assert.ok(accuracyAfter > accuracyLow && accuracyAfter <= Math.min(...accuracy), `accuracy axis from ${accuracyAfter} (was ${accuracyLow})`);
  assert.equal(await page.getAttribute(button, 'aria-pressed'), 'false');
  assert.deepEqual((await session.state() as { hiddenMethods: string[] }).hiddenMethods, ['naive']);
  await page.mouse.move(0, 0);
  await screenshot(session, 'overview-aligned');

  // Kept when the panel is hidden and shown; the keyboard shows the method again.
  await session.reload();
  await session.waitForPosted('ready');
  await session.send({ type: 'report', title: 'a.pt ↔ b.pt', report, cacheKey: CACHE_KEY, cached: false } satisfies HostToPanel);
  await page.waitForSelector(button);
  assert.equal(await page.getAttribute(button, 'aria-pressed'), 'false');
  assert.deepEqual(await yRange(session, 'path-loss'), range);
  await page.focus(button);
  await page.keyboard.press('Enter');
  await page.waitForFunction((b) => Number(document.querySelector('canvas[data-chart="path-loss"]')?.dataset.yRange?.split(',')[1]) === b, before);
  assert.equal(await page.getAttribute(button, 'aria-pressed'), 'true');
  assert.deepEqual((await session.state() as { hiddenMethods: string[] }).hiddenMethods, []);
  session.assertClean();
  await session.close();
});

test('high contrast: subtitle, captions, notes, labels and the LLFC baselines are in the theme\'s foreground', async () => {
  for (const light of [false, true]) {
    const session = await openPanel({ theme: 'high-contrast' });
    const { page } = session;
    // VS Code's high-contrast description colour is the foreground at 70% (grey); the panel must not use it.
    const foreground = light ? '#0f4a85' : '#ffffff';
    await page.evaluate(([isLight, fg]) => {
      if (isLight) {
        document.body.classList.add('vscode-high-contrast-light');
        document.documentElement.style.setProperty('--vscode-editor-background', '#ffffff');
        document.documentElement.style.setProperty('--vscode-foreground', fg!);
        document.documentElement.style.setProperty('--vscode-editor-foreground', fg!);
        document.documentElement.style.setProperty('--vscode-descriptionForeground', 'rgba(15, 74, 133, 0.7)');
      } else {
        document.documentElement.style.setProperty('--vscode-descriptionForeground', 'rgba(255, 255, 255, 0.7)');
      }
    }, [light, foreground] as const);
    const rgb = `rgb(${[1, 3, 5].map((i) => parseInt(foreground.slice(i, i + 2), 16)).join(', ')})`;
    const colors = async (selector: string) => page.$$eval(selector, (nodes: unknown[]) => nodes.map((n) => getComputedStyle(n).color));
    await page.waitForFunction(() => document.querySelector('.caption') !== null);
    for (const selector of ['.subtitle', '[data-tab="overview"] .caption', 'dl.facts dt']) {
      // The theme's properties take effect as the panel redraws: on a loaded machine a node read
      // mid-redraw gave no colour once, so the colours are read once they have settled.
      await page
        .waitForFunction(([sel, want]) => Array.from(document.querySelectorAll(sel!)).every((n) => getComputedStyle(n).color === want), [selector, rgb] as const, { timeout: 5_000 })
        .catch(() => {});
      const found = await colors(selector);
      assert.ok(found.length > 0, selector);
      assert.deepEqual(new Set(found), new Set([rgb]), `${selector} in ${light ? 'high contrast light' : 'high contrast'}`);
    }
    await selectTab(session, 'layers');
    assert.deepEqual(new Set(await colors('[data-tab="layers"] .caption, .toolbar label')), new Set([rgb]));
    if (!light) await screenshot(session, 'layers-high-contrast');

    // The canvas's secondary text (each LLFC row's baseline) is drawn in the foreground too: its
    // brightest (or darkest) pixels right of the plot are the foreground itself, not a grey.
    await selectTab(session, 'llfc');
    await page.waitForFunction(() => document.querySelector('canvas[data-chart="llfc-weight"]') !== null);
    await page.waitForTimeout(50);
    const extreme = await page.$eval('canvas[data-chart="llfc-weight"]', (canvas: PageCanvas, isLight) => {
      const ratio = canvas.width / canvas.getBoundingClientRect().width;
      const [left, , width] = canvas.dataset.plot!.split(',').map(Number) as [number, number, number];
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let best = isLight ? [255, 255, 255] : [0, 0, 0];
      const key = (c: number[]) => c[0]! + c[1]! + c[2]!;
      for (let y = 0; y < canvas.height; y++) {
        for (let x = Math.ceil((left + width) * ratio) + 2; x < canvas.width; x++) {
          const k = (y * canvas.width + x) * 4;
          if (data[k + 3]! < 255) continue;
          const c = [data[k]!, data[k + 1]!, data[k + 2]!];
          if (isLight ? key(c) < key(best) : key(c) > key(best)) best = c;
        }
      }
      return best;
    }, light);
    assert.equal(`rgb(${extreme.join(', ')})`, rgb, 'the baselines\' ink');
    session.assertClean();
    await session.close();
  }
});

test('tensor grid: the header reads "Parameters" whole, no cell is cut, and negative statistics have the typeset minus', async () => {
  const session = await harness.open({ entry: 'tensors', title: 'mlp.pt' });
  await session.waitForPosted('ready');
  await session.send({ type: 'inspect', report: tensors });
  const { page } = session;
  await page.waitForSelector('vscode-data-grid-row[row-type="default"]');
  const clipped = await page.$$eval('vscode-data-grid-cell', (cells: unknown[]) =>
    (cells as PageElement[]).filter((c) => c.scrollWidth > c.clientWidth).map((c) => `${c.textContent}: ${c.scrollWidth} > ${c.clientWidth}`));
  assert.deepEqual(clipped, []);
  const header = await page.$$eval('vscode-data-grid-cell[cell-type="columnheader"]', (cells: unknown[]) => (cells as PageElement[]).map((c) => (c.textContent ?? '').trim()));
  assert.ok(header.includes('Parameters'), header.join(' | '));

  const statistics = await page.$$eval('vscode-data-grid-row[row-type="default"]', (rows: unknown[]) =>
    (rows as PageElement[]).flatMap((row) => Array.from(row.querySelectorAll('vscode-data-grid-cell')).slice(4, 8).map((c) => (c.textContent ?? '').trim())));
  const values = tensors.tensors.flatMap((t) => [t.mean, t.std, t.min, t.max]);
  assert.equal(statistics.length, values.length);
  assert.ok(values.some((v) => v !== null && v < 0 && Math.abs(v) < 1e-3) || values.some((v) => v !== null && v < 0), 'the fixture has negative statistics');
  statistics.forEach((text, k) => {
    assert.ok(!text.includes('-'), `no hyphen-minus in "${text}"`);
    const v = values[k];
    if (v !== null && v !== undefined && v < 0) assert.ok(text.startsWith('−'), `${v} reads "${text}"`);
  });
  await page.screenshot({ path: join(SCREENSHOTS, 'tensors-grid.png') });
  session.assertClean();
  await session.close();
});
