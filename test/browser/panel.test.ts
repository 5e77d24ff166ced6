import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { compareCheckpoints } from '../../src/engine/compare/compareCheckpoints';
import { loadCheckpointPair } from '../../src/engine/compare/loadPair';
import { unitSimilarity } from '../../src/engine/metrics/unitSimilarity';
import { mlpChannelSpaces } from '../../src/engine/model/mlpSpaces';
import { derivePermutationSpec } from '../../src/engine/model/permutationSpec';
import { bestMethod } from '../../src/shared/bestMethod';
import type { CompareReport, MethodName } from '../../src/shared/compareReport';
import type { HostToPanel } from '../../src/shared/panelProtocol';
import { pairCost, type UnitSimilarity } from '../../src/shared/unitSimilarity';
import { fixture, repoRoot } from '../helpers/paths';
import { WebviewHarness, type OpenOptions, type WebviewSession } from './webviewHarness';

/**
 * The results panel in a real browser, under its real CSP, drawing a real report: the engine's
 * comparison of the trained fixture networks, and the engine's unit similarities.
 */
const A = fixture('compare', 'a.pt');
const B = fixture('compare', 'b.pt');
const CACHE_KEY = 'a'.repeat(64);
const SCREENSHOTS = join(repoRoot(), 'test', 'screenshots');

let harness: WebviewHarness;
let report: CompareReport;
let weightsOnly: CompareReport;
let similarityOf: (method: MethodName, layer: string) => Promise<UnitSimilarity>;

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const common = { a: A, b: B, activation: 'relu' as const, alphas: 25, backend: 'auto' as const, seed: 0, fitSamples: 300, llfcSamples: 300 };
  const [started, full, bare, pair] = await Promise.all([
    WebviewHarness.start(),
    compareCheckpoints({ ...common, data: fixture('compare', 'eval.npz'), methods: ['naive', 'weight', 'activation', 'covariance'] }),
    compareCheckpoints({ ...common, data: null, methods: ['naive', 'weight'] }),
    loadCheckpointPair(A, B, 'relu'),
  ]);
  harness = started;
  // What the host sends went through the extension's JSON: the panel sees plain data.
  report = JSON.parse(JSON.stringify(full.report));
  weightsOnly = JSON.parse(JSON.stringify(bare.report));
  const spec = derivePermutationSpec(mlpChannelSpaces(pair.a.architecture));
  similarityOf = (method, layer) => {
    const perms = report.methods[method]!.matching.map((m) => Int32Array.from(m.permutation));
    const g = spec.groups.findIndex((group) => group.name === layer);
    return unitSimilarity(pair.a.params, pair.b.params, spec, perms, g, method);
  };
});

after(() => harness?.close());

/** The panel's own number formats, from the report's values. */
const fixed = (v: number, d: number) => v.toFixed(d).replace(/^-(0\.0*)$/, '$1').replace('-', '−');
const percent = (v: number) => `${fixed(v * 100, 2)}%`;

async function openPanel(options: Partial<OpenOptions> = {}): Promise<WebviewSession> {
  const session = await harness.open({ entry: 'panel', title: 'Merge Lens', ...options });
  await session.waitForPosted('ready');
  return session;
}

function reportMessage(r: CompareReport = report): HostToPanel {
  return { type: 'report', title: 'a.pt ↔ b.pt', report: r, cacheKey: CACHE_KEY, cached: false };
}

async function showReport(session: WebviewSession, r: CompareReport = report): Promise<void> {
  await session.send(reportMessage(r));
  await session.page.waitForSelector('vscode-panels');
}

async function selectTab(session: WebviewSession, tab: string): Promise<void> {
  await session.page.click(`#tab-${tab}`);
  await session.page.waitForFunction((t) => document.querySelector(`#view-${t}`)!.childElementCount > 0, tab);
}

/** How much of a canvas is painted: the count of pixels that are neither transparent nor the page background. */
async function paintedPixels(session: WebviewSession, selector: string): Promise<number> {
  return session.page.$eval(selector, (canvas: HTMLCanvasElement) => {
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let count = 0;
    for (let k = 0; k < data.length; k += 4) if (data[k + 3]! > 0) count++;
    return count;
  });
}

/** Mean brightness (0–255) of the painted pixels of a canvas. */
async function meanBrightness(session: WebviewSession, selector: string): Promise<number> {
  return session.page.$eval(selector, (canvas: HTMLCanvasElement) => {
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let sum = 0;
    let count = 0;
    for (let k = 0; k < data.length; k += 4) {
      if (data[k + 3]! === 0) continue;
      sum += (data[k]! + data[k + 1]! + data[k + 2]!) / 3;
      count++;
    }
    return count ? sum / count : 0;
  });
}

/** Client coordinates of a cell of a heatmap canvas (data-plot: its plot area in CSS pixels). */
async function cellPoint(session: WebviewSession, selector: string, row: number, column: number, rows: number, columns: number): Promise<[number, number]> {
  return session.page.$eval(selector, (canvas: HTMLCanvasElement, [r, c, nr, nc]) => {
    const [left, top, width, height] = canvas.dataset.plot!.split(',').map(Number) as [number, number, number, number];
    const box = canvas.getBoundingClientRect();
    return [box.left + left + ((c + 0.5) / nc) * width, box.top + top + ((r + 0.5) / nr) * height] as [number, number];
  }, [row, column, rows, columns] as const);
}

async function screenshot(session: WebviewSession, name: string): Promise<void> {
  await session.page.screenshot({ path: join(SCREENSHOTS, `panel-${name}.png`), fullPage: true });
}

test('overview: loss and accuracy along α drawn, the barrier table holds the report\'s numbers, backend and warnings shown, exports posted', async () => {
  const session = await openPanel();
  const warned = { ...report, warnings: ['covariance: 3 samples had all-zero features and were left out of LLFC'] };
  await showReport(session, warned);
  const { page } = session;
  for (const chart of ['path-loss', 'path-accuracy']) assert.ok(await paintedPixels(session, `canvas[data-chart="${chart}"]`) > 5000, `${chart} is drawn`);

  const middle = report.alphas.reduce((best, a, i) => (Math.abs(a - 0.5) < Math.abs(report.alphas[best]! - 0.5) ? i : best), 0);
  for (const [method, r] of Object.entries(report.methods)) {
    const cell = (key: string) => page.textContent(`.barrier-table tr[data-method="${method}"] td[data-key="${key}"]`);
    assert.equal(await cell('lossBarrier'), fixed(r.barrier!.loss, 4), `${method} loss barrier`);
    assert.equal(await cell('accuracyBarrier'), percent(r.barrier!.accuracy), `${method} accuracy barrier`);
    assert.equal(await cell('accuracyMiddle'), percent(r.path!.accuracy[middle]!), `${method} accuracy at α=0.5`);
    assert.equal(await cell('seconds'), fixed(r.seconds, 2));
    assert.equal(await cell('equivalent'), r.equivalent ? 'yes' : 'INVALID');
  }
  assert.match((await page.textContent('.equivalence'))!, /Equivalence check passed for every method/);
  assert.equal(await page.textContent('dd.backend'), report.backendDetail);
  assert.equal(await page.getAttribute('.warnings', 'role'), 'alert');
  assert.match((await page.textContent('.warnings'))!, /3 samples had all-zero features/);
  // Every chart's numbers are there as text too.
  const lossRows = await page.$$eval('canvas[data-chart="path-loss"] ~ *, .panel:first-child details.figure-data tbody tr', (rows) => rows.length);
  assert.ok(lossRows >= report.alphas.length);

  await page.click('.barrier-table tr[data-method="weight"] vscode-button[data-export="exportAligned"]');
  await page.click('.barrier-table tr[data-method="covariance"] vscode-button[data-export="exportMerged"]');
  await session.waitForPosted('exportAligned', (m) => m.method === 'weight');
  await session.waitForPosted('exportMerged', (m) => m.method === 'covariance');
  await screenshot(session, 'overview');
  session.assertClean();
  await session.close();
});
