import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { compareCheckpoints } from '../../src/engine/compare/compareCheckpoints';
import { loadCheckpointPair } from '../../src/engine/compare/loadPair';
import { unitSimilarity } from '../../src/engine/metrics/unitSimilarity';
import { networkChannelSpaces } from '../../src/engine/model/networkSpaces';
import { derivePermutationSpec } from '../../src/engine/model/permutationSpec';
import { bestMethod } from '../../src/shared/bestMethod';
import type { CompareReport, MethodName } from '../../src/shared/compareReport';
import type { HostToPanel } from '../../src/shared/panelProtocol';
import { formatCondition } from '../../src/shared/presentation/llfcConditions';
import { METHOD_STYLE } from '../../src/shared/presentation/methodStyles';
import { pairCost, type UnitSimilarity } from '../../src/shared/unitSimilarity';
import { fixture, repoRoot } from '../helpers/paths';
import type { PageCanvas, PageDocument } from './pageTypes';
import { syntheticSimilarity } from './syntheticSimilarity';
import { WebviewHarness, type OpenOptions, type WebviewSession } from './webviewHarness';

declare const document: PageDocument;
declare function getComputedStyle(element: unknown): { readonly backgroundColor: string };

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
let noLlfc: CompareReport;
let similarityOf: (method: MethodName, layer: string) => Promise<UnitSimilarity>;

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const common = { a: A, b: B, activation: 'relu' as const, alphas: 25, backend: 'auto' as const, seed: 0, fitSamples: 300, llfcSamples: 300 };
  const [started, full, bare, none, pair] = await Promise.all([
    WebviewHarness.start(),
    compareCheckpoints({ ...common, data: fixture('compare', 'eval.npz'), methods: ['naive', 'weight', 'activation', 'covariance'] }),
    compareCheckpoints({ ...common, data: null, methods: ['naive', 'weight'] }),
    compareCheckpoints({ ...common, data: fixture('compare', 'eval.npz'), methods: ['naive'], alphas: 3, layerBarriers: false, llfcSamples: 0 }),
    loadCheckpointPair(A, B, { activation: 'relu' }),
  ]);
  harness = started;
  // What the host sends went through the extension's JSON: the panel sees plain data.
  report = JSON.parse(JSON.stringify(full.report));
  weightsOnly = JSON.parse(JSON.stringify(bare.report));
  noLlfc = JSON.parse(JSON.stringify(none.report));
  const spec = derivePermutationSpec(networkChannelSpaces(pair.network));
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

/** The colour of a method's swatch in the barrier table, as the browser computes it. */
async function swatchColor(session: WebviewSession, method: MethodName): Promise<string> {
  return session.page.$eval(`.barrier-table tr[data-method="${method}"] .swatch`, (swatch: unknown) => getComputedStyle(swatch).backgroundColor);
}

/** '#0072B2' as getComputedStyle writes it: 'rgb(0, 114, 178)'. */
const rgb = (hex: string) => `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;

async function selectTab(session: WebviewSession, tab: string): Promise<void> {
  await session.page.click(`#tab-${tab}`);
  await session.page.waitForFunction((t) => document.querySelector(`#view-${t}`)!.childElementCount > 0, tab);
}

/** How much of a canvas is painted: the count of pixels that are not transparent. */
async function paintedPixels(session: WebviewSession, selector: string): Promise<number> {
  return session.page.$eval(selector, (canvas: PageCanvas) => {
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let count = 0;
    for (let k = 3; k < data.length; k += 4) if (data[k]! > 0) count++;
    return count;
  });
}

/** Mean brightness (0–255) of the painted pixels of a canvas, or of the pixels on its plot's diagonal. */
async function meanBrightness(session: WebviewSession, selector: string, diagonal = false): Promise<number> {
  return session.page.$eval(selector, (canvas: PageCanvas, onDiagonal) => {
    const ratio = canvas.width / canvas.getBoundingClientRect().width;
    const [left, top, width] = (canvas.dataset.plot ?? `0,0,${canvas.width / ratio}`).split(',').map(Number) as [number, number, number];
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let sum = 0;
    let count = 0;
    const add = (x: number, y: number) => {
      const k = (Math.floor(y) * canvas.width + Math.floor(x)) * 4;
      if (data[k + 3] === 0) return;
      sum += (data[k]! + data[k + 1]! + data[k + 2]!) / 3;
      count++;
    };
    if (onDiagonal) {
      for (let t = 1; t < width * ratio - 1; t++) add(left * ratio + t, top * ratio + t);
    } else {
      for (let y = 0; y < canvas.height; y++) for (let x = 0; x < canvas.width; x++) add(x, y);
    }
    return count ? sum / count : 0;
  }, diagonal);
}

/** Client coordinates of the centre of a cell of a heatmap canvas (data-plot: its plot area in CSS pixels). */
async function cellPoint(session: WebviewSession, selector: string, row: number, column: number, rows: number, columns: number): Promise<[number, number]> {
  return session.page.$eval(selector, (canvas: PageCanvas, [r, c, nr, nc]) => {
    const [left, top, width, height] = canvas.dataset.plot!.split(',').map(Number) as [number, number, number, number];
    const box = canvas.getBoundingClientRect();
    return [box.left + left + ((c + 0.5) / nc) * width, box.top + top + ((r + 0.5) / nr) * height] as [number, number];
  }, [row, column, rows, columns] as const);
}

/** The (row, column) cell under a client point, as a person pointing there means it. */
async function cellAt(session: WebviewSession, selector: string, x: number, y: number, n: number): Promise<[number, number]> {
  return session.page.$eval(selector, (canvas: PageCanvas, [px, py, size]) => {
    const [left, top, width, height] = canvas.dataset.plot!.split(',').map(Number) as [number, number, number, number];
    const box = canvas.getBoundingClientRect();
    return [Math.floor(((py - box.top - top) / height) * size), Math.floor(((px - box.left - left) / width) * size)] as [number, number];
  }, [x, y, n] as const);
}

/** Client coordinates of the middle of a bar chart's category (data-area: its chart area). */
async function categoryPoint(session: WebviewSession, selector: string, index: number, count: number): Promise<[number, number]> {
  return session.page.$eval(selector, (canvas: PageCanvas, [i, n]) => {
    const [left, top, right, bottom] = canvas.dataset.area!.split(',').map(Number) as [number, number, number, number];
    const box = canvas.getBoundingClientRect();
    return [box.left + left + ((i + 0.5) / n) * (right - left), box.top + (top + bottom) / 2] as [number, number];
  }, [index, count] as const);
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
  // Every chart's numbers are there as text too, and the canvas points at them.
  const described = await page.getAttribute('canvas[data-chart="path-loss"]', 'aria-describedby');
  assert.equal(await page.locator(`#${described} tbody tr`).count(), report.alphas.length);
  assert.equal(await page.textContent(`#${described} tbody tr:first-child td:nth-child(3)`), fixed(report.methods.weight!.path!.loss[0]!, 4));

  await page.click('.barrier-table tr[data-method="weight"] vscode-button[data-export="exportAligned"]');
  await page.click('.barrier-table tr[data-method="covariance"] vscode-button[data-export="exportMerged"]');
  await session.waitForPosted('exportAligned', (m) => m.method === 'weight');
  await session.waitForPosted('exportMerged', (m) => m.method === 'covariance');
  await page.mouse.move(0, 0);
  await screenshot(session, 'overview');
  session.assertClean();
  await session.close();
});

test('layers: per-layer barriers drawn; hovering a layer shows its matching costs, correlations and Dim(S) from the report', async () => {
  const session = await openPanel();
  await showReport(session);
  await selectTab(session, 'layers');
  const { page } = session;
  for (const chart of ['layer-loss', 'layer-accuracy', 'layer-cost']) assert.ok(await paintedPixels(session, `canvas[data-chart="${chart}"]`) > 3000, `${chart} is drawn`);

  const layers = report.methods.weight!.layerBarriers.map((b) => b.layer);
  const hidden = report.methods.weight!.matching.map((m) => m.layer);
  const layer = hidden[1]!;
  const [x, y] = await categoryPoint(session, 'canvas[data-chart="layer-loss"]', layers.indexOf(layer), layers.length);
  await page.mouse.move(x, y);
  await page.waitForSelector('.layer-tooltip:not([hidden])');
  const card = (await page.textContent('.layer-tooltip'))!;
  assert.equal(await page.getAttribute('.layer-tooltip', 'role'), 'tooltip');
  assert.match(card, new RegExp(`layer ${layer} · linear, 64 units · permuted`));
  for (const [method, r] of Object.entries(report.methods)) {
    const m = r.matching.find((x) => x.layer === layer)!;
    const row = await page.textContent(`.layer-tooltip tbody tr:nth-child(${Object.keys(report.methods).indexOf(method) + 1})`);
    for (const value of [m.costBefore, m.costAfter, m.correlationBefore!, m.correlationAfter!]) assert.ok(row!.includes(fixed(value, 4)), `${method} ${layer}: ${fixed(value, 4)} in "${row}"`);
  }
  const dim = report.dimS.find((d) => d.layer === layer)!;
  assert.ok(card.includes(`Dim(S): A ${fixed(dim.a, 2)}, B ${fixed(dim.b, 2)}`), card);
  await screenshot(session, 'layers');

  // The output layer is not matched: the card says so rather than showing empty costs.
  const [ox, oy] = await categoryPoint(session, 'canvas[data-chart="layer-accuracy"]', layers.length - 1, layers.length);
  await page.mouse.move(ox, oy);
  await page.waitForFunction(() => /not permuted/.test(document.querySelector('.layer-tooltip')!.textContent ?? ''));
  await page.mouse.move(0, 0);
  await page.waitForSelector('.layer-tooltip', { state: 'hidden' });

  // The host's "show this layer" lands on the Layers tab from the Overview, with its details.
  await selectTab(session, 'overview');
  await session.send({ type: 'focusLayer', layer: hidden[0]! } satisfies HostToPanel);
  await page.waitForFunction((l) => (document.querySelector('.layer-details')?.textContent ?? '').startsWith(`layer ${l} ·`), hidden[0]!);
  assert.equal(await page.getAttribute('vscode-panels', 'activeid'), 'tab-layers');
  session.assertClean();
  await session.close();
});

test('layers: W2 between the neurons beside Dim(S), in one chart row and one table; the card adds covariance W2 when measured; the keyboard reaches every layer', async () => {
  const session = await openPanel();
  await showReport(session);
  await selectTab(session, 'layers');
  const { page } = session;
  const methods = Object.keys(report.methods) as MethodName[];
  const hidden = report.methods.weight!.matching.map((m) => m.layer);
  const covariance = methods.some((m) => report.methods[m]!.matching.some((x) => x.wasserstein.covariance !== null));
  for (const chart of ['w2', 'dim-s', ...(covariance ? ['w2-covariance'] : [])]) assert.ok(await paintedPixels(session, `canvas[data-chart="${chart}"]`) > 3000, `${chart} is drawn`);
  assert.equal(await page.locator('canvas[data-chart="w2-covariance"]').count(), covariance ? 1 : 0);

  const optional = (v: number | undefined) => (v === undefined ? 'n/a' : fixed(v, 4));
  const expected = hidden.flatMap((layer) => {
    const dim = report.dimS.find((d) => d.layer === layer)!;
    return methods.map((m) => {
      const w = report.methods[m]!.matching.find((x) => x.layer === layer)!.wasserstein;
      return [
        `layer ${layer}`, METHOD_STYLE[m].label, fixed(w.identity, 4), fixed(w.aligned, 4), fixed(w.optimal, 4),
        ...(covariance ? [optional(w.covariance?.identity), optional(w.covariance?.aligned), optional(w.covariance?.optimal)] : []),
        fixed(dim.a, 2), fixed(dim.b, 2),
      ];
    });
  });
  assert.deepEqual(await tableCells(session, '.distance-table'), expected);

  // Keyboard: focusing the W2 chart shows the first matched layer's card; the arrow keys walk on.
  await page.focus('canvas[data-chart="w2"]');
  await page.waitForFunction((l) => (document.querySelector('.layer-tooltip:not([hidden])')?.textContent ?? '').startsWith(`layer ${l} ·`), hidden[0]!);
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction((l) => (document.querySelector('.layer-tooltip:not([hidden])')?.textContent ?? '').startsWith(`layer ${l} ·`), hidden[1]!);
  const card = (await page.textContent('.layer-tooltip'))!;
  const dim = report.dimS.find((d) => d.layer === hidden[1])!;
  assert.ok(card.includes(`Dim(S): A ${fixed(dim.a, 2)}, B ${fixed(dim.b, 2)}`), card);
  assert.equal(card.includes('Cov. W2 optimal'), covariance, card);
  for (const m of methods) {
    const w = report.methods[m]!.matching.find((x) => x.layer === hidden[1])!.wasserstein;
    if (w.covariance) assert.ok(card.includes(fixed(w.covariance.aligned, 4)) && card.includes(fixed(w.covariance.optimal, 4)), `${m} covariance W2 in "${card}"`);
  }
  // Enter picks the layer for the details box below.
  await page.keyboard.press('Enter');
  await page.waitForFunction((l) => (document.querySelector('.layer-details')?.textContent ?? '').startsWith(`layer ${l} ·`), hidden[1]!);
  session.assertClean();
  await session.close();
});

test('LLFC: one heatmap per method on one scale; hovering a cell gives the layer, α, exact cosine and scale c', async () => {
  const session = await openPanel();
  await showReport(session);
  await selectTab(session, 'llfc');
  const { page } = session;
  for (const method of Object.keys(report.methods)) assert.ok(await paintedPixels(session, `canvas[data-chart="llfc-${method}"]`) > 5000, `${method} heatmap drawn`);
  assert.ok(await paintedPixels(session, 'canvas.color-bar') > 1000, 'colour bar drawn');

  const llfc = report.methods.activation!.llfc;
  const column = 12;
  const [x, y] = await cellPoint(session, 'canvas[data-chart="llfc-activation"]', 1, column, llfc.length, report.alphas.length);
  await page.mouse.move(x, y);
  await page.waitForSelector('.llfc-tooltip:not([hidden])');
  const card = (await page.textContent('.llfc-tooltip'))!;
  const layer = llfc[1]!;
  assert.ok(card.includes(`activation matching · layer ${layer.layer}`), card);
  assert.ok(card.includes(`α = ${fixed(report.alphas[column]!, 4)}`), card);
  assert.ok(card.includes(`cosine ${fixed(layer.cosine[column]!, 5)}`), card);
  assert.ok(card.includes(`scale c = ${fixed(layer.scale[column]!, 4)}`), card);
  assert.ok(card.includes(`= ${fixed(layer.baseline, 4)}`), card);
  // Baselines and every value are in the text alternative too.
  const data = (await page.textContent('[data-tab="llfc"] .panel:has(canvas[data-chart="llfc-activation"]) details.figure-data'))!;
  assert.ok(data.includes(fixed(layer.cosine[column]!, 4)) && data.includes(fixed(layer.baseline, 4)), 'the values are in the text alternative');
  await screenshot(session, 'llfc');
  session.assertClean();
  await session.close();
});

/** Every cell's text of the rows of a table, header cell first. */
async function tableCells(session: WebviewSession, selector: string): Promise<string[][]> {
  return session.page.$$eval(`${selector} tbody tr`, (rows: unknown[]) =>
    rows.map((row) => Array.from((row as { children: ArrayLike<{ textContent: string | null }> }).children, (cell) => cell.textContent ?? '')));
}

const middleAlpha = (r: CompareReport) => r.alphas.reduce((best, a, i) => (Math.abs(a - 0.5) < Math.abs(r.alphas[best]! - 0.5) ? i : best), 0);

test('why: per layer and method, the LLFC cosine beside weak additivity and commutativity with their shuffled baselines; the table holds the report\'s numbers; keyboard and hover reach every layer', async () => {
  const session = await openPanel();
  await showReport(session);
  await selectTab(session, 'why');
  const { page } = session;
  for (const chart of ['why-cosine', 'why-additivity', 'why-commutativity']) assert.ok(await paintedPixels(session, `canvas[data-chart="${chart}"]`) > 3000, `${chart} is drawn`);

  // An MLP pairs the ReLU after each hidden layer with that layer, by name; the logits have commutativity only.
  const methods = Object.keys(report.methods) as MethodName[];
  const layers = report.layers.map((l) => l.name);
  const middle = middleAlpha(report);
  const expected = layers.flatMap((layer) => methods.map((m) => {
    const r = report.methods[m]!;
    const llfc = r.llfc.find((l) => l.layer === layer);
    const add = r.conditions!.additivity.find((a) => a.layer === layer);
    const com = r.conditions!.commutativity.find((c) => c.layer === layer);
    return [
      `layer ${layer}`, METHOD_STYLE[m].label, llfc ? fixed(llfc.cosine[middle]!, 4) : '–',
      formatCondition(add?.dissimilarity.flat), formatCondition(add?.shuffled.dissimilarity.flat), formatCondition(add?.dissimilarity.mean), formatCondition(add?.coefficient.flat),
      formatCondition(com?.distance), formatCondition(com?.shuffled.distance), formatCondition(com?.dissimilarity.flat),
    ];
  }));
  // Every activation and every weighted layer of the report has its row.
  assert.equal(report.methods.weight!.conditions!.additivity.length, layers.length - 1);
  assert.equal(report.methods.weight!.conditions!.commutativity.length, layers.length);
  // The table is reached from the keyboard: its disclosure opens with Enter.
  await page.focus('[data-tab="why"] details.figure-data summary');
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-tab="why"] details.figure-data[open]');
  assert.deepEqual(await tableCells(session, '.why-table'), expected);
  assert.match((await page.textContent('[data-tab="why"] .subtitle'))!, new RegExp(`measured on ${report.methods.weight!.conditions!.samples} evaluation samples`));
  const mean = (values: number[]) => values.reduce((x, y) => x + y, 0) / values.length;
  const summary = (await page.textContent('.why-summary'))!;
  for (const m of methods) {
    const c = report.methods[m]!.conditions!.commutativity;
    assert.ok(summary.includes(`${METHOD_STYLE[m].label} ${formatCondition(mean(c.map((x) => x.distance)))} (shuffled ${formatCondition(mean(c.map((x) => x.shuffled.distance)))})`), summary);
  }
  await screenshot(session, 'why');

  // Keyboard: the chart takes focus and the arrow keys walk its layers, each card with every method's numbers.
  const card = async (layer: string) => {
    await page.waitForFunction((l) => (document.querySelector('.why-tooltip:not([hidden])')?.textContent ?? '').startsWith(`layer ${l}`), layer);
    return (await page.textContent('.why-tooltip'))!;
  };
  await page.focus('canvas[data-chart="why-commutativity"]');
  await card(layers[0]!);
  await page.keyboard.press('ArrowRight');
  const second = await card(layers[1]!);
  for (const m of methods) {
    const com = report.methods[m]!.conditions!.commutativity.find((c) => c.layer === layers[1])!;
    assert.ok(second.includes(formatCondition(com.distance)) && second.includes(formatCondition(com.shuffled.distance)), `${m}: ${second}`);
  }
  assert.match(second, /The activation after layer \S+ \(weak additivity, LLFC\) and the layer's weights \(commutativity\)/);
  await page.keyboard.press('End');
  assert.match(await card(layers[layers.length - 1]!), /No activation reads this layer directly: commutativity only/);
  await page.keyboard.press('Escape');
  await page.waitForSelector('.why-tooltip', { state: 'hidden' });

  // The pointer: the additivity chart's second layer.
  const [x, y] = await categoryPoint(session, 'canvas[data-chart="why-additivity"]', 1, layers.length);
  await page.mouse.move(x, y);
  assert.ok((await card(layers[1]!)).includes(formatCondition(report.methods.activation!.conditions!.additivity.find((a) => a.layer === layers[1])!.dissimilarity.flat)));
  await page.mouse.move(0, 0);
  session.assertClean();
  await session.close();
});

test('why: weights only, and no LLFC samples, each say why there is nothing and what to do', async () => {
  const session = await openPanel();
  await showReport(session, weightsOnly);
  await selectTab(session, 'why');
  const { page } = session;
  assert.equal(await page.getAttribute('[data-tab="why"] .empty-state', 'role'), 'status');
  assert.match((await page.textContent('[data-tab="why"] .empty-state'))!, /weights only\)\. Give evaluation data to measure LLFC and its conditions\./);
  assert.equal(await page.locator('[data-tab="why"] canvas').count(), 0);
  await screenshot(session, 'why-empty');
  await showReport(session, noLlfc);
  await page.waitForFunction(() => /--llfc-samples 0/.test(document.querySelector('[data-tab="why"] .empty-state')?.textContent ?? ''));
  session.assertClean();
  await session.close();
});

test('permutations: choosing a layer asks the host; the engine\'s similarity is drawn, hover names the units with the exact cosine and cost, aligned reorders', async () => {
  const session = await openPanel();
  await showReport(session);
  await selectTab(session, 'permutations');
  const { page } = session;
  const method = bestMethod(report)!;
  const first = report.methods[method]!.matching[0]!.layer;
  await session.waitForPosted('requestSimilarity', (m) => m.method === method && m.layer === first);
  await page.waitForSelector('.permutation-body vscode-progress-ring');

  const similarity = await similarityOf(method, first);
  await session.send({ type: 'similarity', similarity } satisfies HostToPanel);
  const heatmap = 'canvas[data-chart="similarity"]';
  await page.waitForSelector(heatmap);
  const n = similarity.size;
  assert.ok(await paintedPixels(session, heatmap) > 10000);
  // Aligned, a good matching is a bright diagonal.
  const alignedDiagonal = await meanBrightness(session, heatmap, true);
  const overall = await meanBrightness(session, heatmap);
  assert.ok(alignedDiagonal > overall * 1.1, `the diagonal stands out when aligned (${alignedDiagonal.toFixed(0)} against ${overall.toFixed(0)} overall)`);

  const hover = async (row: number, column: number) => {
    const [x, y] = await cellPoint(session, heatmap, row, column, n, n);
    await page.mouse.move(x, y);
    await page.waitForFunction((r) => document.querySelector('.similarity-tooltip')?.textContent?.startsWith(`A unit ${r} ↔`) ?? false, row);
    return (await page.textContent('.similarity-tooltip'))!;
  };
  const expectPair = (card: string, i: number, j: number) => {
    assert.ok(card.startsWith(`A unit ${i} ↔ B unit ${j}`), card);
    assert.ok(card.includes(`cosine ${fixed(similarity.cosine[i * n + j]!, 4)}, cost ${fixed(pairCost(similarity, i, j), 4)}`), card);
  };
  const perm = similarity.permutation;
  expectPair(await hover(5, 5), 5, perm[5]!);
  assert.ok((await page.textContent('.similarity-tooltip'))!.includes('the matched pair'));
  // The pair's cost is the report's unit cost.
  assert.ok((await page.textContent('.similarity-tooltip'))!.includes(`cost ${fixed(report.methods[method]!.matching[0]!.unitCosts[5]!, 4)}`));
  expectPair(await hover(9, 30), 9, perm[30]!);
  await screenshot(session, 'permutations');

  // B's own order: column j is B's unit j, and the diagonal is no longer special.
  await page.click('#permutation-aligned');
  await page.waitForFunction(() => document.querySelector('.similarity-heatmap') !== null);
  expectPair(await hover(9, 30), 9, 30);
  const ownOrderDiagonal = await meanBrightness(session, heatmap, true);
  assert.ok(ownOrderDiagonal < alignedDiagonal, `the diagonal is dimmer in B's own order (${ownOrderDiagonal.toFixed(0)} against ${alignedDiagonal.toFixed(0)})`);
  assert.deepEqual(await session.state(), { tab: 'permutations', method, layer: first, aligned: false, cacheKey: CACHE_KEY, hiddenMethods: [] });

  // Keyboard: the heatmap takes focus and the arrow keys walk its cells.
  await page.focus(heatmap);
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => document.querySelector('.similarity-tooltip')?.textContent?.startsWith('A unit 10 ↔ B unit 31') ?? false);

  // Another layer: asked for on choosing it.
  const second = report.methods[method]!.matching[1]!.layer;
  await page.click('#permutation-layer');
  await page.click(`#permutation-layer vscode-option[value="${second}"]`);
  await session.waitForPosted('requestSimilarity', (m) => m.method === method && m.layer === second);
  await session.send({ type: 'similarityFailed', method, layer: second, message: 'the worker stopped' } satisfies HostToPanel);
  await page.waitForSelector('.permutation-body .error[role="alert"]');
  assert.match((await page.textContent('.permutation-body .error'))!, /the worker stopped/);
  session.assertClean();
  await session.close();
});

/** A 4096-unit group, the same numbers in the page and here: i ↦ (7919·i + 13) mod n, other cosines in [−0.3, 0.3]. */
const WIDE_PATTERN = [7919, 13, 0.6, -0.3] as const;

test('permutations: a 4096-wide layer is drawn downsampled and quickly, and hover stays exact', async () => {
  const n = 4096;
  const similarity = syntheticSimilarity(n, ...WIDE_PATTERN);
  const wide: CompareReport = {
    ...report,
    layers: report.layers.map((l, k) => (k === 0 ? { ...l, width: n } : l)),
    methods: {
      weight: {
        ...report.methods.weight!,
        matching: [{ ...report.methods.weight!.matching[0]!, permutation: similarity.permutation, unitCosts: similarity.permutation.map((j, i) => pairCost(similarity, i, j)) }],
      },
    },
  };
  const session = await openPanel({ state: { tab: 'permutations', method: 'weight', layer: '0', aligned: true, cacheKey: CACHE_KEY } });
  await showReport(session, wide);
  await session.waitForPosted('requestSimilarity', (m) => m.layer === '0');
  const { page } = session;
  // Built in the page (64 MiB is no test fixture), from the same function as here.
  const started = Date.now();
  await page.evaluate(`window.postMessage({ type: 'similarity', similarity: (${syntheticSimilarity.toString()})(${n}, ${WIDE_PATTERN.join(', ')}) }, '*')`);
  const heatmap = 'canvas[data-chart="similarity"]';
  await page.waitForSelector(heatmap);
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 3000, `drawn in ${elapsed} ms`);
  const block = Number(await page.getAttribute(heatmap, 'data-block'));
  assert.ok(block > 1 && Math.ceil(n / block) <= 1024, `block maxima of ${block} units`);
  assert.ok((await meanBrightness(session, heatmap, true)) > (await meanBrightness(session, heatmap)) * 1.5, 'matched pairs survive the downsampling');

  for (const [fx, fy] of [[0.5, 0.5], [0.13, 0.77], [0.999, 0.001]] as const) {
    const box = (await page.$eval(heatmap, (c: PageCanvas) => c.dataset.plot!)).split(',').map(Number);
    const canvasBox = (await page.locator(heatmap).boundingBox())!;
    // Whole pixels, where the pointer really is: one pixel spans several units here.
    const x = Math.round(canvasBox.x + box[0]! + fx * box[2]!);
    const y = Math.round(canvasBox.y + box[1]! + fy * box[3]!);
    await page.mouse.move(x, y);
    const [i, column] = await cellAt(session, heatmap, x, y, n);
    const j = similarity.permutation[column]!;
    await page.waitForFunction((r) => document.querySelector('.similarity-tooltip')?.textContent?.startsWith(`A unit ${r} ↔`) ?? false, i);
    const card = (await page.textContent('.similarity-tooltip'))!;
    assert.ok(card.startsWith(`A unit ${i} ↔ B unit ${j}`), card);
    assert.ok(card.includes(`cosine ${fixed(similarity.cosine[i * n + j]!, 4)}, cost ${fixed(pairCost(similarity, i, j), 4)}`), card);
  }
  await screenshot(session, 'permutations-4096');
  session.assertClean();
  await session.close();
});

test('running and failed: the stage with a progress ring and a Cancel that posts cancel; a failure says why', async () => {
  const session = await openPanel();
  const { page } = session;
  await session.send({ type: 'running', title: 'a.pt ↔ b.pt', stage: 'weight matching: sweep 3', fraction: 0.42 } satisfies HostToPanel);
  await page.waitForSelector('.running vscode-progress-ring');
  assert.equal(await page.textContent('.running .stage'), 'weight matching: sweep 3… 42%');
  await page.click('#cancel');
  await session.waitForPosted('cancel');
  await page.mouse.move(0, 0);
  await screenshot(session, 'running');

  await session.send({ type: 'failed', title: 'a.pt ↔ b.pt', message: "b.pt: tensor 'layers.2.weight' has shape [64, 32], A's has [64, 64]" } satisfies HostToPanel);
  await page.waitForSelector('.error[role="alert"]');
  assert.equal(await page.textContent('.error .message'), "b.pt: tensor 'layers.2.weight' has shape [64, 32], A's has [64, 64]");
  await screenshot(session, 'failed');
  session.assertClean();
  await session.close();
});

test('state: the tab and choices come back when the page reloads (hidden and shown), and a restored state opens where it was', async () => {
  const session = await openPanel();
  await showReport(session);
  await selectTab(session, 'llfc');
  assert.deepEqual(await session.state(), { tab: 'llfc', method: null, layer: null, aligned: true, cacheKey: CACHE_KEY, hiddenMethods: [] });
  await session.reload();
  await session.waitForPosted('ready');
  await showReport(session);
  assert.equal(await session.page.getAttribute('vscode-panels', 'activeid'), 'tab-llfc');
  assert.ok(await paintedPixels(session, 'canvas[data-chart="llfc-weight"]') > 5000);
  session.assertClean();
  await session.close();

  const restored = await openPanel({ state: { tab: 'permutations', method: 'activation', layer: '2', aligned: false, cacheKey: CACHE_KEY } });
  await showReport(restored);
  await restored.waitForPosted('requestSimilarity', (m) => m.method === 'activation' && m.layer === '2');
  assert.equal(await restored.page.$eval('#permutation-aligned', (box) => (box as unknown as { checked: boolean }).checked), false);
  restored.assertClean();
  await restored.close();
});

test('themes: light, dark and high contrast render; a theme switch redraws the charts in the new colours', async () => {
  const session = await openPanel({ theme: 'light' });
  await showReport(session);
  const light = await meanBrightness(session, 'canvas[data-chart="path-loss"]');
  // The method colours come from the presentation table, the light ones on a light theme; naive is the editor's foreground.
  for (const method of ['weight', 'activation', 'covariance'] as const) assert.equal(await swatchColor(session, method), rgb(METHOD_STYLE[method].color.light), method);
  assert.equal(await swatchColor(session, 'naive'), 'rgb(59, 59, 59)');
  await session.setTheme('dark');
  await session.page.waitForFunction(() => document.querySelector('canvas[data-chart="path-loss"]') !== null);
  await session.page.waitForTimeout(100);
  const dark = await meanBrightness(session, 'canvas[data-chart="path-loss"]');
  // The axes' text is most of the canvas's ink in the foreground (the legend is HTML, above the charts); a chart not redrawn keeps its brightness exactly.
  assert.ok(dark > light + 15, `chart ink brighter on the dark theme (${light.toFixed(0)} → ${dark.toFixed(0)})`);
  for (const method of ['weight', 'activation', 'covariance'] as const) assert.equal(await swatchColor(session, method), rgb(METHOD_STYLE[method].color.dark), method);
  assert.equal(await swatchColor(session, 'naive'), 'rgb(204, 204, 204)');
  await screenshot(session, 'overview-dark');
  await selectTab(session, 'layers');
  await screenshot(session, 'layers-dark');
  await selectTab(session, 'llfc');
  assert.ok(await paintedPixels(session, 'canvas[data-chart="llfc-weight"]') > 5000);
  await selectTab(session, 'why');
  assert.ok(await paintedPixels(session, 'canvas[data-chart="why-commutativity"]') > 3000);
  session.assertClean();
  await session.close();

  const contrast = await openPanel({ theme: 'high-contrast' });
  await showReport(contrast);
  assert.ok(await paintedPixels(contrast, 'canvas[data-chart="path-accuracy"]') > 5000);
  assert.equal(await swatchColor(contrast, 'weight'), rgb(METHOD_STYLE.weight.color.dark), 'high contrast (dark) takes the dark colours');
  await screenshot(contrast, 'overview-high-contrast');
  contrast.assertClean();
  await contrast.close();
});

test('weights only: no path to draw is said so, and the layers and permutations still show the matching', async () => {
  const session = await openPanel();
  await showReport(session, weightsOnly);
  const { page } = session;
  assert.match((await page.textContent('[data-tab="overview"] .note'))!, /Weights only/);
  assert.equal(await page.textContent('.barrier-table tr[data-method="weight"] td[data-key="lossBarrier"]'), '–');
  await selectTab(session, 'layers');
  assert.ok(await paintedPixels(session, 'canvas[data-chart="layer-cost"]') > 3000);
  assert.equal(await page.locator('canvas[data-chart="layer-loss"]').count(), 0);
  await selectTab(session, 'llfc');
  assert.match((await page.textContent('[data-tab="llfc"]'))!, /No LLFC/);
  await selectTab(session, 'permutations');
  await session.waitForPosted('requestSimilarity');
  session.assertClean();
  await session.close();
});

test('a ResNet: conv layers and residual groups in the layers and permutations tabs, the variance-collapse chart with REPAIR', async () => {
  const { report: resnet } = await compareCheckpoints({
    a: fixture('conv', 'resnet_a.pt'), b: fixture('conv', 'resnet_b.pt'), data: fixture('compare', 'eval.npz'),
    methods: ['weight', 'weight+repair'], alphas: 5, activation: 'relu', backend: 'auto', seed: 0,
    bnReset: false, layerBarriers: false, fitSamples: 300, llfcSamples: 50,
  });
  const shown: CompareReport = JSON.parse(JSON.stringify(resnet));
  const session = await openPanel();
  await showReport(session, shown);
  const { page } = session;
  assert.match((await page.textContent('.facts'))!, /convolutional, 1×28×28 input, 10 convolutions and 1 linear layer, 6 permutation groups \(2 residual\)/);
  assert.match((await page.textContent('.facts'))!, /running statistics interpolated, not recomputed \(no reset\)/);
  // The REPAIR variant's swatch is its alignment's colour, paler: painted, and not the plain one.
  const [plain, repaired] = [await swatchColor(session, 'weight'), await swatchColor(session, 'weight+repair')];
  assert.equal(plain, rgb(METHOD_STYLE.weight.color.light));
  assert.ok(repaired !== plain && repaired !== 'rgba(0, 0, 0, 0)', `REPAIR swatch ${repaired}`);

  await selectTab(session, 'layers');
  assert.ok(await paintedPixels(session, 'canvas[data-chart="variance-collapse"]') > 3000, 'the variance collapse is drawn');
  const collapse = shown.methods['weight+repair']!.varianceCollapse!;
  const data = (await page.textContent('[data-tab="layers"]'))!;
  for (const v of collapse.slice(0, 3)) assert.ok(data.includes(fixed(v.before, 4)) && data.includes(fixed(v.after, 4)), `${v.layer}: ${v.before} → ${v.after}`);
  // A block's second convolution writes into its stage: its card names the residual group it shares.
  await session.send({ type: 'focusLayer', layer: 'layer1.0.conv2' } satisfies HostToPanel);
  await page.waitForFunction(() => /Residual group conv1: 3 layers share one permutation of its 8 channels \(conv1, layer1\.0\.conv2, layer1\.1\.conv2\)/.test(document.querySelector('.layer-details')?.textContent ?? ''));
  assert.match((await page.textContent('.layer-details'))!, /layer1\.0\.conv2 · convolution, 8 channels, BatchNorm layer1\.0\.bn2 · permuted/);

  // Why LLFC: a convolution feeding a residual sum has commutativity only; the ReLU after the sum, named by it, LLFC and weak additivity only.
  await selectTab(session, 'why');
  const order = [
    'conv1', 'layer1.0.conv1', 'layer1.0.conv2', 'layer1.0', 'layer1.1.conv1', 'layer1.1.conv2', 'layer1.1',
    'layer2.0.conv1', 'layer2.0.conv2', 'layer2.0.downsample.0', 'layer2.0', 'layer2.1.conv1', 'layer2.1.conv2', 'layer2.1', 'fc',
  ];
  const why = await tableCells(session, '.why-table');
  assert.deepEqual(why.map((row) => row[0]), order.flatMap((l) => [l, l]));
  const rowOf = (layer: string) => why.find((row) => row[0] === layer && row[1] === METHOD_STYLE.weight.label)!;
  const conditions = shown.methods.weight!.conditions!;
  assert.deepEqual(rowOf('layer1.0.conv2').slice(2, 7), ['–', '–', '–', '–', '–']);
  assert.equal(rowOf('layer1.0.conv2')[7], formatCondition(conditions.commutativity.find((c) => c.layer === 'layer1.0.conv2')!.distance));
  assert.equal(rowOf('layer1.0')[3], formatCondition(conditions.additivity.find((a) => a.layer === 'layer1.0')!.dissimilarity.flat));
  assert.deepEqual(rowOf('layer1.0').slice(7), ['–', '–', '–']);
  assert.ok(await paintedPixels(session, 'canvas[data-chart="why-additivity"]') > 3000);

  await selectTab(session, 'permutations');
  await session.waitForPosted('requestSimilarity');
  assert.match((await page.textContent('#permutation-group-layers'))!, /One permutation of 8 channels shared by 3 layers: conv1, layer1\.0\.conv2, layer1\.1\.conv2/);
  session.assertClean();
  await session.close();
});
