import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { compareCheckpoints } from '../../src/engine/compare/compareCheckpoints';
import type { CompareReport } from '../../src/shared/compareReport';
import type { HostToPanel } from '../../src/shared/panelProtocol';
import { pairCost } from '../../src/shared/unitSimilarity';
import { fixture, repoRoot } from '../helpers/paths';
import type { PageCanvas, PageDocument } from './pageTypes';
import { syntheticSimilarity } from './syntheticSimilarity';
import { WebviewHarness, type ThemeKind, type WebviewSession } from './webviewHarness';

declare const document: PageDocument;

/**
 * The panel's heatmaps (LLFC, unit similarity) as a reader meets them: colour bars whose ticks
 * print their exact values, axis titles clear of the row labels in every theme, and a zoom that
 * makes a 512-unit map aimable.
 */
const SCREENSHOTS = join(repoRoot(), 'test', 'screenshots');
const CACHE_KEY = 'b'.repeat(64);

let harness: WebviewHarness;
let report: CompareReport;

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const [started, compared] = await Promise.all([
    WebviewHarness.start(),
    compareCheckpoints({
      a: fixture('compare', 'a.pt'), b: fixture('compare', 'b.pt'), data: fixture('compare', 'eval.npz'), activation: 'relu',
      methods: ['naive', 'weight'], alphas: 11, backend: 'auto', seed: 0, fitSamples: 100, llfcSamples: 100, layerBarriers: false,
    }),
  ]);
  harness = started;
  const full: CompareReport = JSON.parse(JSON.stringify(compared.report));
  // A PyTorch nn.Sequential's names, as the issue saw them: wider row labels than "layer 0".
  const rename = (name: string) => `layers.${name}`;
  report = {
    ...full,
    methods: Object.fromEntries(Object.entries(full.methods).map(([m, r]) => [m, { ...r!, llfc: r!.llfc.map((l) => ({ ...l, layer: rename(l.layer) })) }])),
  };
});

after(() => harness?.close());

const minus = (text: string) => text.replace('−', '-');

interface Box { x: number; y: number; w: number; h: number }
const parseBox = (text: string): Box => {
  const [x, y, w, h] = text.split(',').map(Number) as [number, number, number, number];
  return { x, y, w, h };
};
const overlaps = (a: Box, b: Box) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

/**
 * A colour bar's ticks as shown: each label's text, its value, and where its centre sits along
 * the strip (0 at the left end, 1 at the right).
 */
async function colorTicks(session: WebviewSession, scale: string): Promise<{ text: string; value: number; at: number }[]> {
  return session.page.$$eval(`${scale} .color-tick`, (ticks: unknown[]) =>
    (ticks as { textContent: string; dataset: { value: string }; getBoundingClientRect(): { left: number; width: number }; parentElement: { parentElement: { querySelector(s: string): { getBoundingClientRect(): { left: number; width: number } } } } }[]).map((tick) => {
      const strip = tick.parentElement.parentElement.querySelector('canvas.color-bar').getBoundingClientRect();
      const box = tick.getBoundingClientRect();
      return { text: tick.textContent, value: Number(tick.dataset.value), at: (box.left + box.width / 2 - strip.left) / strip.width };
    }));
}

/** Asserts that every tick label reads back as its value and sits where `domain` puts it. */
function assertExactTicks(ticks: { text: string; value: number; at: number }[], domain: readonly [number, number], stripWidth: number): void {
  assert.ok(ticks.length >= 3, `${ticks.length} ticks`);
  for (const tick of ticks) {
    assert.equal(Number(minus(tick.text)), tick.value, `the label "${tick.text}" prints its tick ${tick.value}`);
    const expected = (tick.value - domain[0]) / (domain[1] - domain[0]);
    assert.ok(Math.abs(tick.at - expected) * stripWidth < 1.5, `"${tick.text}" at ${(tick.at * stripWidth).toFixed(1)} px, expected ${(expected * stripWidth).toFixed(1)}`);
  }
  const steps = ticks.slice(1).map((t, k) => t.value - ticks[k]!.value);
  for (const step of steps) assert.ok(Math.abs(step - steps[0]!) < 1e-9, `evenly spaced: ${steps.join(', ')}`);
}

for (const theme of ['light', 'dark', 'high-contrast'] as ThemeKind[]) {
  test(`LLFC (${theme}): the rotated "layer" title clears every row label, and one colour bar with exact ticks serves every heatmap`, async () => {
    const session = await harness.open({ entry: 'panel', title: 'Merge Lens', theme, state: { tab: 'llfc', method: null, layer: null, aligned: true, cacheKey: CACHE_KEY } });
    await session.waitForPosted('ready');
    await session.send({ type: 'report', title: 'a.pt ↔ b.pt', report, cacheKey: CACHE_KEY, cached: false } satisfies HostToPanel);
    const { page } = session;
    await page.waitForSelector('canvas[data-chart="llfc-weight"]');

    const heatmaps = await page.$$eval('canvas[data-chart^="llfc-"]', (canvases: unknown[]) =>
      (canvases as PageCanvas[]).map((canvas) => {
        const ratio = canvas.width / canvas.getBoundingClientRect().width;
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        /** Painted device pixels inside a box given in CSS pixels. */
        const ink = (x0: number, y0: number, x1: number, y1: number) => {
          let count = 0;
          for (let y = Math.max(0, Math.floor(y0 * ratio)); y < Math.min(canvas.height, Math.ceil(y1 * ratio)); y++) {
            for (let x = Math.max(0, Math.floor(x0 * ratio)); x < Math.min(canvas.width, Math.ceil(x1 * ratio)); x++) if (data[(y * canvas.width + x) * 4 + 3]! > 0) count++;
          }
          return count;
        };
        const box = (text: string) => text.split(',').map(Number) as [number, number, number, number];
        const title = box(canvas.dataset.yTitleBox!);
        const labels = canvas.dataset.yLabelBoxes!.split(';').map(box);
        const [, top, , height] = canvas.dataset.plot!.split(',').map(Number) as [number, number, number, number];
        const gapFrom = title[0] + title[2] + 1;
        const gapTo = Math.min(...labels.map((l) => l[0])) - 1;
        return {
          title: canvas.dataset.yTitleBox!,
          labels: canvas.dataset.yLabelBoxes!.split(';'),
          titleInk: ink(title[0], title[1], title[0] + title[2], title[1] + title[3]),
          labelInk: labels.map((l) => ink(l[0], l[1], l[0] + l[2], l[1] + l[3])),
          // The columns between the title and the labels, along the plot's height: nothing drawn there.
          gapInk: gapTo > gapFrom ? ink(gapFrom, top, gapTo, top + height) : -1,
        };
      }));
    assert.equal(heatmaps.length, 2);
    for (const h of heatmaps) {
      const title = parseBox(h.title);
      assert.ok(h.titleInk > 20, 'the title is drawn inside its box');
      assert.equal(h.labels.length, 2);
      for (const [k, text] of h.labels.entries()) {
        const label = parseBox(text);
        assert.ok(!overlaps(title, label), `title ${h.title} overlaps label ${text}`);
        assert.ok(h.labelInk[k]! > 20, `label ${text} is drawn inside its box`);
      }
      assert.equal(h.gapInk, 0, 'a clear gap between the axis title and the row labels');
    }

    const cosines = Object.values(report.methods).flatMap((r) => r!.llfc.flatMap((l) => l.cosine));
    const domain = [Math.min(0.95, Math.floor(Math.min(...cosines) * 20) / 20), 1] as const;
    const stripWidth = (await page.locator('.llfc-scale canvas.color-bar').boundingBox())!.width;
    assertExactTicks(await colorTicks(session, '.llfc-scale'), domain, stripWidth);
    // Above the heatmaps, where a reader meets it first.
    assert.ok(await page.$eval('.llfc-scale', (scale: unknown) => {
      const first = (scale as { ownerDocument: { querySelector(s: string): unknown } }).ownerDocument.querySelector('canvas[data-chart^="llfc-"]');
      return ((scale as { compareDocumentPosition(n: unknown): number }).compareDocumentPosition(first) & 4) !== 0;
    }));
    await page.screenshot({ path: join(SCREENSHOTS, `heatmaps-llfc-${theme}.png`), fullPage: true });
    session.assertClean();
    await session.close();
  });
}

/**
 * A 512-unit group (the width, one pixel a unit), its cosines in [−0.29, 0.88] so that the
 * colour bar's ticks fall at quarters (−0.25, 0, 0.25, …), which one decimal would misprint.
 */
const similarity512 = () => syntheticSimilarity(512, 211, 7, 1.17, -0.29);

test('permutations, 512 units: the colour bar prints −0.25 as −0.25; drag, Ctrl + wheel and + zoom in, hover names the exact unit when zoomed, and the tab says how', async () => {
  const similarity = similarity512();
  const n = similarity.size;
  const wide: CompareReport = {
    ...report,
    methods: {
      weight: {
        ...report.methods.weight!,
        matching: [{ ...report.methods.weight!.matching[0]!, permutation: similarity.permutation, unitCosts: similarity.permutation.map((j, i) => pairCost(similarity, i, j)) }],
      },
    },
  };
  const session = await harness.open({ entry: 'panel', title: 'Merge Lens', state: { tab: 'permutations', method: 'weight', layer: '0', aligned: true, cacheKey: CACHE_KEY }, viewport: { width: 1280, height: 1100 } });
  await session.waitForPosted('ready');
  await session.send({ type: 'report', title: 'a.pt ↔ b.pt', report: wide, cacheKey: CACHE_KEY, cached: false } satisfies HostToPanel);
  await session.waitForPosted('requestSimilarity', (m) => m.layer === '0');
  await session.send({ type: 'similarity', similarity: { ...similarity, cosine: Array.from(similarity.cosine), normsA: Array.from(similarity.normsA), normsB: Array.from(similarity.normsB) } });
  const { page } = session;
  const heatmap = 'canvas[data-chart="similarity"]';
  await page.waitForSelector(heatmap);

  // The colour bar: the matrix runs from −0.29 to 0.9, so the scale is [−0.3, 0.9] in steps of 0.25.
  const stripWidth = (await page.locator('.color-scale canvas.color-bar').boundingBox())!.width;
  const ticks = await colorTicks(session, '.color-scale');
  assert.deepEqual(ticks.map((t) => t.text), ['−0.25', '0.00', '0.25', '0.50', '0.75']);
  assertExactTicks(ticks, [-0.3, 0.9], stripWidth);

  const help = (await page.textContent('.heatmap-help'))!;
  assert.match(help, /arrow keys move the selection/);
  assert.match(help, /Drag a rectangle to zoom/);

  const windowOf = async () => (await page.getAttribute(heatmap, 'data-window'))!.split(',').map(Number) as [number, number, number, number];
  assert.deepEqual(await windowOf(), [0, n, 0, n]);
  /** Client coordinates of a unit cell's centre, given the window on show. */
  const cellPoint = async (row: number, column: number) => {
    const [row0, rows, column0, columns] = await windowOf();
    return page.$eval(heatmap, (canvas: PageCanvas, [r, c, nr, nc]) => {
      const [left, top, width, height] = canvas.dataset.plot!.split(',').map(Number) as [number, number, number, number];
      const box = canvas.getBoundingClientRect();
      return [box.left + left + ((c + 0.5) / nc) * width, box.top + top + ((r + 0.5) / nr) * height] as [number, number];
    }, [row - row0, column - column0, rows, columns] as const);
  };
  const hover = async (row: number, column: number) => {
    const [x, y] = await cellPoint(row, column);
    await page.mouse.move(x, y);
    await page.waitForFunction(([r, c]) => document.querySelector('.similarity-tooltip')?.textContent?.startsWith(`A unit ${r} ↔ B unit ${c}`) ?? false, [row, similarity.permutation[column]!] as const);
    const card = (await page.textContent('.similarity-tooltip'))!;
    const j = similarity.permutation[column]!;
    assert.ok(card.includes(`cosine ${similarity.cosine[row * n + j]!.toFixed(4).replace('-', '−')}`), card);
  };

  // Drag from unit (100, 200) to unit (163, 263): those 64 × 64 units fill the plot.
  const [x0, y0] = await cellPoint(100, 200);
  const [x1, y1] = await cellPoint(163, 263);
  await page.mouse.move(x0, y0);
  await page.mouse.down();
  await page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2);
  assert.equal(await page.isVisible('.zoom-region'), true, 'the region is outlined while dragging');
  await page.mouse.move(x1, y1);
  await page.mouse.up();
  const [row0, rows, column0, columns] = await windowOf();
  assert.ok(Math.abs(row0 - 100) <= 1 && Math.abs(rows - 64) <= 2, `rows ${row0} + ${rows}`);
  assert.ok(Math.abs(column0 - 200) <= 1 && Math.abs(columns - 64) <= 2, `columns ${column0} + ${columns}`);
  assert.equal(await page.isVisible('.zoom-region'), false);
  assert.match((await page.textContent('.zoom-note'))!, new RegExp(`rows ${row0}–${row0 + rows - 1} and columns ${column0}–${column0 + columns - 1} of 512`));
  // Each unit is now several pixels wide, and the pointer at a unit's centre names that unit.
  const plotWidth = Number((await page.getAttribute(heatmap, 'data-plot'))!.split(',')[2]);
  assert.ok(plotWidth / columns >= 7, `${(plotWidth / columns).toFixed(1)} px a unit`);
  for (const [r, c] of [[row0, column0], [row0 + 17, column0 + 40], [row0 + rows - 1, column0 + columns - 1]] as const) await hover(r, c);
  await page.screenshot({ path: join(SCREENSHOTS, 'heatmaps-permutations-zoomed.png'), fullPage: true });

  // Ctrl + wheel zooms around the pointer: the unit under it stays under it.
  const [cx, cy] = await cellPoint(row0 + 32, column0 + 32);
  await page.mouse.move(cx, cy);
  await page.keyboard.down('Control');
  await page.mouse.wheel(0, -100);
  await page.keyboard.up('Control');
  await page.waitForFunction((s) => Number(document.querySelector(s) && (document.querySelector(s) as unknown as PageCanvas).dataset.window!.split(',')[1]) < 40, heatmap);
  const zoomedIn = await windowOf();
  assert.equal(zoomedIn[1], 32);
  assert.ok(zoomedIn[0] <= row0 + 32 && row0 + 32 < zoomedIn[0] + zoomedIn[1]);
  await hover(row0 + 32, column0 + 32);

  // The reset shows every unit; then + zooms around the keyboard cursor, and the arrow keys pan to follow it.
  await page.click('.zoom-reset');
  assert.deepEqual(await windowOf(), [0, n, 0, n]);
  await page.focus(heatmap);
  await page.keyboard.press('+');
  const keyed = await windowOf();
  assert.equal(keyed[1], n / 2);
  for (let k = 0; k < 12; k++) await page.keyboard.press('PageDown');
  const panned = await windowOf();
  assert.equal(panned[1], n / 2, 'panning keeps the size');
  assert.ok(panned[0] > 0, `the window followed the cursor down (rows from ${panned[0]})`);
  await page.keyboard.press('0');
  assert.deepEqual(await windowOf(), [0, n, 0, n]);
  session.assertClean();
  await session.close();
});
