import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { resolveSeries } from '../../src/engine/series/readManifest';
import { runSeries } from '../../src/engine/series/runSeries';
import { seriesReport } from '../../src/engine/series/seriesFigures';
import type { MethodName } from '../../src/shared/compareReport';
import type { HostToSeries, SeriesSource } from '../../src/shared/seriesPanelProtocol';
import type { SeriesManifest, SeriesReport } from '../../src/shared/seriesReport';
import { fixture, repoRoot } from '../helpers/paths';
import type { PageCanvas, PageDocument } from './pageTypes';
import { WebviewHarness, type WebviewSession } from './webviewHarness';

declare const document: PageDocument;

/**
 * The Series panel in a real browser, under its real CSP, drawing a real series: the engine's run
 * of three pairs of the width fixtures (widths 16, 32, 64; seeds 1 and 2), small options so that
 * it takes seconds.
 */
const WIDTHS = [16, 32, 64];
const SCREENSHOTS = join(repoRoot(), 'test', 'screenshots');

let harness: WebviewHarness;
/** What the host ran for `report`, as it says in the report message. */
let source: SeriesSource;
let report: SeriesReport;
let weightsOnly: SeriesReport;
let allPairs: SeriesReport;

function manifest(data: string | null): SeriesManifest {
  return {
    variable: 'width',
    pairs: WIDTHS.map((w) => ({ value: w, a: `w${w}_seed1.pt`, b: `w${w}_seed2.pt` })),
    data,
    methods: ['naive', 'weight'],
    options: { alphas: 5, llfcSamples: 64, fitSamples: 64, layerBarriers: false },
  };
}

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const base = { file: null, folder: fixture('series', 'width') };
  const width = manifest(fixture('compare', 'eval.npz'));
  source = { manifest: width, folder: base.folder };
  // Every pair among three 64-wide networks: two seeds of the width series and a spawned child.
  const seeds: SeriesManifest = {
    variable: 'seed',
    pairs: [['width/w64_seed1.pt', 'width/w64_seed2.pt'], ['width/w64_seed1.pt', 'spawn/child3_seed10.pt'], ['width/w64_seed2.pt', 'spawn/child3_seed10.pt']].map(([a, b]) => ({ value: `${a} × ${b}`, a: a!, b: b! })),
    data: fixture('compare', 'eval.npz'),
    methods: ['naive', 'weight'],
    options: { alphas: 5, llfcSamples: 64, fitSamples: 64, layerBarriers: false },
  };
  const [started, full, bare, matrix] = await Promise.all([
    WebviewHarness.start(),
    runSeries(resolveSeries(width, base)),
    runSeries(resolveSeries(manifest(null), base)),
    runSeries(resolveSeries(seeds, { file: null, folder: fixture('series') })),
  ]);
  harness = started;
  // What the host sends went through the extension's JSON: the panel sees plain data.
  report = JSON.parse(JSON.stringify(full));
  weightsOnly = JSON.parse(JSON.stringify(bare));
  allPairs = JSON.parse(JSON.stringify(matrix));
});

after(() => harness?.close());

/** The panel's own number formats, from the report's values. */
const fixed = (v: number, d: number) => v.toFixed(d).replace(/^-(0\.0*)$/, '$1').replace('-', '−');
const percent = (v: number) => `${fixed(v * 100, 2)}%`;

async function openSeries(message: HostToSeries, theme: 'light' | 'dark' = 'light'): Promise<WebviewSession> {
  const session = await harness.open({ entry: 'series', title: 'Merge Lens Series', theme, viewport: { width: 1280, height: 1000 } });
  await session.waitForPosted('ready');
  await session.send(message);
  return session;
}

/** Non-transparent pixels of a chart, once Chart.js has drawn it. */
async function painted(session: WebviewSession, chart: string): Promise<number> {
  const selector = `canvas[data-chart="${chart}"]`;
  await session.page.waitForSelector(`${selector}[data-area]`);
  return session.page.$eval(selector, (canvas: PageCanvas) => {
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let count = 0;
    for (let k = 3; k < data.length; k += 4) if (data[k]! > 0) count++;
    return count;
  });
}

/** Client coordinates of a pair on a chart: its x (the chart's data-items) at the middle of the plot's height. */
async function pairPoint(session: WebviewSession, chart: string, item: number): Promise<[number, number]> {
  return session.page.$eval(`canvas[data-chart="${chart}"]`, (canvas: PageCanvas, wanted) => {
    const at = canvas.dataset.items!.split(' ').map((entry) => entry.split(':').map(Number) as [number, number]);
    const [, top, , bottom] = canvas.dataset.area!.split(',').map(Number) as [number, number, number, number];
    const box = canvas.getBoundingClientRect();
    return [box.left + at.find(([i]) => i === wanted)![1], box.top + (top + bottom) / 2] as [number, number];
  }, item);
}

test('a width series: every figure drawn, the pairs table holds each pair\'s barriers from its own report, a point or a row opens that pair', async () => {
  assert.deepEqual(report.items.map((i) => i.value), WIDTHS);
  assert.ok(report.figures.widthScaling, 'three widths make a log-log fit');
  const session = await openSeries({ type: 'report', title: 'width series (3 pairs)', source, report });
  const { page } = session;
  for (const chart of ['series-loss', 'series-accuracy', 'series-w2', 'series-dims', 'series-llfc', 'series-additivity', 'series-commutativity', 'series-scaling']) {
    assert.ok((await painted(session, chart)) > 3000, `${chart} is drawn`);
  }

  const methods: MethodName[] = ['naive', 'weight'];
  for (const item of report.items) {
    const row = `.series-items tr[data-item="${item.index}"]`;
    assert.equal(await page.textContent(`${row} th`), String(item.value));
    for (const m of methods) {
      const barrier = item.report.methods[m]!.barrier!;
      assert.equal(await page.textContent(`${row} td[data-key="loss-${m}"]`), fixed(barrier.loss, 4), `width ${item.value} ${m} loss barrier`);
      assert.equal(await page.textContent(`${row} td[data-key="accuracy-${m}"]`), percent(barrier.accuracy), `width ${item.value} ${m} accuracy barrier`);
    }
  }
  // The fitted exponents, beside the theory's rate, as the report has them.
  const fits = report.figures.widthScaling!;
  const scaling = await page.locator('.scaling-table tbody tr').allTextContents();
  assert.equal(scaling.length, fits.length);
  for (const [k, fit] of fits.entries()) assert.ok(scaling[k]!.includes(fixed(fit.exponent, 3)) && scaling[k]!.includes(fixed(fit.theory, 3)), scaling[k]);

  // A point on the loss chart, then one on the W2 chart, then a row: each posts its own pair.
  const [x1, y1] = await pairPoint(session, 'series-loss', report.items[1]!.index);
  await page.mouse.click(x1, y1);
  await session.waitForPosted('openPair', (m) => m.index === report.items[1]!.index);
  const [x2, y2] = await pairPoint(session, 'series-w2', report.items[2]!.index);
  await page.mouse.click(x2, y2);
  await session.waitForPosted('openPair', (m) => m.index === report.items[2]!.index);
  await page.click(`.series-items tr[data-item="${report.items[0]!.index}"]`);
  await session.waitForPosted('openPair', (m) => m.index === report.items[0]!.index);
  assert.deepEqual((await session.posted()).filter((m) => m.type === 'openPair').map((m) => m.index), [1, 2, 0]);

  await page.mouse.move(0, 0);
  await page.screenshot({ path: join(SCREENSHOTS, 'series-panel.png'), fullPage: true });
  session.assertClean();
  await session.close();
});

test('the layer chosen for the per-layer figures survives hiding and showing; the dark theme draws cleanly', async () => {
  const layers = report.figures.layers.map((l) => l.layer);
  assert.deepEqual(layers, ['0', '2']);
  const session = await openSeries({ type: 'report', title: 'width series', source, report }, 'dark');
  const { page } = session;
  assert.ok((await painted(session, 'series-w2')) > 3000);
  assert.match((await page.textContent('#series-layers figcaption'))!, /^\(layer 0\)/);
  await page.click('#series-layer');
  await page.click('#series-layer vscode-option[value="2"]');
  await page.waitForFunction(() => /^\(layer 2\)/.test(document.querySelector('#series-layers figcaption')?.textContent ?? ''));
  assert.deepEqual(await session.state(), { layer: '2', shown: { title: 'width series', source } });
  await session.reload();
  await session.waitForPosted('ready');
  await session.send({ type: 'report', title: 'width series', source, report } satisfies HostToSeries);
  assert.ok((await painted(session, 'series-w2')) > 3000);
  assert.ok((await painted(session, 'series-scaling')) > 3000);
  assert.equal(await page.getAttribute('#series-layer', 'current-value'), '2');
  assert.match((await page.textContent('#series-scaling figcaption'))!, /^\(layer 2\)/);
  await page.screenshot({ path: join(SCREENSHOTS, 'series-panel-dark.png'), fullPage: true });
  session.assertClean();
  await session.close();
});

test('the page saves the series\' source and title from the report message, not the report; a panel restored with the window opens on its saved layer', async () => {
  const session = await openSeries({ type: 'report', title: 'width series', source, report });
  await painted(session, 'series-w2');
  // Exactly this: the pairs' reports (megabytes in a real series) stay with the host.
  assert.deepEqual(await session.state(), { layer: null, shown: { title: 'width series', source } });
  // Anything but a report on show: nothing to run again after a reload.
  await session.send({ type: 'failed', title: 'series.json', message: 'series.json: pairs[1].b: no such file: /w/w32_seed2.pt' } satisfies HostToSeries);
  await session.page.waitForSelector('section.error');
  assert.deepEqual(await session.state(), { layer: null, shown: null });
  await session.close();

  // As VS Code restores it: the page gets the state it saved, the host runs the source again and sends its report.
  const restored = await harness.open({ entry: 'series', state: { layer: '2', shown: { title: 'width series', source } }, viewport: { width: 1280, height: 1000 } });
  await restored.waitForPosted('ready');
  await restored.send({ type: 'running', title: 'width series', stage: 'reading the series', fraction: 0 } satisfies HostToSeries);
  await restored.page.waitForSelector('.running .stage');
  await restored.send({ type: 'report', title: 'width series', source, report } satisfies HostToSeries);
  assert.ok((await painted(restored, 'series-w2')) > 3000);
  assert.match((await restored.page.textContent('#series-layers figcaption'))!, /^\(layer 2\)/);
  assert.deepEqual(await restored.state(), { layer: '2', shown: { title: 'width series', source } });
  restored.assertClean();
  await restored.close();
});

test('weights only: no barrier or LLFC chart, each says what is missing; W2 and Dim(S) are drawn; an empty series says so', async () => {
  const session = await openSeries({ type: 'report', title: 'width series, weights only', source: { file: '/w/weights-only.json' }, report: weightsOnly });
  const { page } = session;
  assert.ok((await painted(session, 'series-w2')) > 3000);
  assert.ok((await painted(session, 'series-dims')) > 3000);
  for (const chart of ['series-loss', 'series-llfc', 'series-additivity']) assert.equal(await page.locator(`canvas[data-chart="${chart}"]`).count(), 0, `${chart} is not drawn`);
  assert.match((await page.textContent('#series-barriers .missing'))!, /no evaluation data was given, so no barriers/);
  assert.match((await page.textContent('#series-why .missing'))!, /no LLFC or conditions without evaluation data/);
  assert.equal(await page.textContent(`.series-items tr[data-item="0"] td[data-key="loss-weight"]`), 'n/a');
  await page.screenshot({ path: join(SCREENSHOTS, 'series-panel-weights-only.png'), fullPage: true });

  await session.send({ type: 'report', title: 'nothing yet', source: { file: '/w/series.json' }, report: JSON.parse(JSON.stringify(seriesReport({ manifest: null, variable: 'width' }, []))) } satisfies HostToSeries);
  await page.waitForFunction(() => /no finished pairs/.test(document.querySelector('#app')?.textContent ?? ''));
  session.assertClean();
  await session.close();
});

test('every pair among three checkpoints: each method\'s N×N barrier matrix holds each pair\'s barrier from its report, symmetric; names on a category axis', async () => {
  const matrix = allPairs.figures.barrierMatrix;
  assert.ok(matrix, 'three checkpoints, every pair once');
  assert.equal(allPairs.numeric, false);
  const session = await openSeries({ type: 'report', title: 'three checkpoints', source: { file: '/w/three.json' }, report: allPairs });
  const { page } = session;
  assert.ok((await painted(session, 'series-loss')) > 3000);
  assert.deepEqual(await page.locator('table.barrier-matrix[data-method="weight"] thead th').allTextContents(), ['', ...matrix.files]);
  const cells = async (method: string) =>
    page.$$eval(`table.barrier-matrix[data-method="${method}"] tbody tr`, (rows: { querySelectorAll(s: string): ArrayLike<{ textContent: string | null }> }[]) =>
      rows.map((row) => Array.from(row.querySelectorAll('td'), (td) => td.textContent)));
  for (const method of ['naive', 'weight'] as const) {
    const shown = await cells(method);
    for (const item of allPairs.items) {
      const i = matrix.files.findIndex((f) => item.report.request.a.endsWith(f));
      const j = matrix.files.findIndex((f) => item.report.request.b.endsWith(f));
      const expected = fixed(item.report.methods[method]!.barrier!.loss, 4);
      assert.equal(shown[i]![j], expected, `${method} ${item.value}`);
      assert.equal(shown[j]![i], expected, `${method} ${item.value}, the other way`);
    }
    matrix.files.forEach((_, i) => assert.equal(shown[i]![i], 'n/a'));
  }
  const [x, y] = await pairPoint(session, 'series-loss', 2);
  await page.mouse.click(x, y);
  await session.waitForPosted('openPair', (m) => m.index === 2);
  await page.mouse.move(0, 0);
  await page.screenshot({ path: join(SCREENSHOTS, 'series-panel-matrix.png'), fullPage: true });
  session.assertClean();
  await session.close();
});

test('running shows the stage and a Cancel that asks the host; a failure shows the engine\'s message; a cancelled series says it resumes', async () => {
  const session = await openSeries({ type: 'running', title: 'series.json', stage: 'width 32 (2/4): weight matching', fraction: 0.4 });
  const { page } = session;
  await page.waitForSelector('.running .stage');
  assert.equal(await page.textContent('.running .stage'), 'width 32 (2/4): weight matching… 40%');
  await page.click('#cancel');
  await session.waitForPosted('cancel');
  await session.send({ type: 'failed', title: 'series.json', message: 'series.json: pairs[1].b: no such file: /w/w32_seed2.pt' } satisfies HostToSeries);
  await page.waitForSelector('section.error[role="alert"]');
  assert.equal(await page.textContent('section.error .message'), 'series.json: pairs[1].b: no such file: /w/w32_seed2.pt');
  await session.send({ type: 'cancelled', title: 'series.json' } satisfies HostToSeries);
  await page.waitForSelector('section.cancelled');
  assert.match((await page.textContent('section.cancelled'))!, /The pairs it finished are kept in the result cache/);
  session.assertClean();
  await session.close();
});
