import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { bestMethod } from '../../src/shared/bestMethod';
import { compareCheckpoints } from '../../src/engine/compare/compareCheckpoints';
import { formatCompareTable } from '../../src/cli/compareTable';
import { renderHtmlReport } from '../../src/cli/htmlReport';
import { layersViewItems, type LayersViewItem } from '../../src/extension/layersViewItems';
import type { CompareReport, HeadMatching, MethodName } from '../../src/shared/compareReport';
import type { HostToPanel } from '../../src/shared/panelProtocol';
import { layerCosts } from '../../src/shared/presentation/layerCosts';
import { METHOD_STYLE } from '../../src/shared/presentation/methodStyles';
import { groupLabel, layerInBlockLabel, transformerOutline } from '../../src/shared/presentation/transformerParts';
import { fixture, repoRoot } from '../helpers/paths';
import type { PageCanvas, PageDocument } from './pageTypes';
import { WebviewHarness, type WebviewSession } from './webviewHarness';

declare const document: PageDocument & { querySelectorAll(selector: string): ArrayLike<{ readonly textContent: string | null }> };

/**
 * A transformer's comparison in the results panel, the side bar, the CLI's table and the HTML
 * report: the engine's comparison of the two tiny GPT-2 fixtures on their token data (few α and
 * samples, so it takes seconds), drawn in a real browser under the panel's CSP.
 */
const SCREENSHOTS = join(repoRoot(), 'test', 'screenshots');
const CACHE_KEY = 'c'.repeat(64);
const METHODS: MethodName[] = ['naive', 'weight', 'activation'];

let harness: WebviewHarness;
let report: CompareReport;

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const dir = (name: string) => fixture('transformers', 'gpt2', name);
  const [started, compared] = await Promise.all([
    WebviewHarness.start(),
    compareCheckpoints({
      a: dir('gpt2_a.pt'), b: dir('gpt2_b.pt'), data: fixture('transformers', 'modadd_eval.npz'),
      methods: METHODS, alphas: 5, backend: 'auto', seed: 0, fitSamples: 64, llfcSamples: 64,
    }),
  ]);
  harness = started;
  // What the host sends went through the extension's JSON: the panel sees plain data.
  report = JSON.parse(JSON.stringify(compared.report));
});

after(() => harness?.close());

const fixed = (v: number, d: number) => v.toFixed(d).replace(/^-(0\.0*)$/, '$1').replace('-', '−');

async function openPanel(): Promise<WebviewSession> {
  const session = await harness.open({ entry: 'panel', title: 'Merge Lens' });
  await session.waitForPosted('ready');
  await session.send({ type: 'report', title: 'gpt2_a.pt ↔ gpt2_b.pt', report, cacheKey: CACHE_KEY, cached: false } satisfies HostToPanel);
  await session.page.waitForSelector('vscode-panels');
  return session;
}

async function selectTab(session: WebviewSession, tab: string): Promise<void> {
  await session.page.click(`#tab-${tab}`);
  await session.page.waitForFunction((t) => document.querySelector(`#view-${t}`)!.childElementCount > 0, tab);
}

const texts = (session: WebviewSession, selector: string) => session.page.$$eval(selector, (nodes) => nodes.map((n) => (n as { textContent: string | null }).textContent ?? ''));

/** Client coordinates of a point in a heatmap's cell, as fractions of the cell (data-plot: its plot area). */
async function cellPoint(session: WebviewSession, selector: string, row: number, column: number, n: number, fx = 0.5, fy = 0.5): Promise<[number, number]> {
  return session.page.$eval(selector, (canvas: PageCanvas, [r, c, size, x, y]) => {
    const [left, top, width, height] = canvas.dataset.plot!.split(',').map(Number) as [number, number, number, number];
    const box = canvas.getBoundingClientRect();
    return [box.left + left + ((c + x) / size) * width, box.top + top + ((r + y) / size) * height] as [number, number];
  }, [row, column, n, fx, fy] as const);
}

/** The RGB of a canvas pixel at client coordinates. */
async function pixel(session: WebviewSession, selector: string, x: number, y: number): Promise<[number, number, number]> {
  return session.page.$eval(selector, (canvas: PageCanvas, [px, py]) => {
    const box = canvas.getBoundingClientRect();
    const ratio = canvas.width / box.width;
    const data = canvas.getContext('2d').getImageData(Math.floor((px - box.left) * ratio), Math.floor((py - box.top) * ratio), 1, 1).data;
    return [data[0]!, data[1]!, data[2]!] as [number, number, number];
  }, [x, y] as const);
}

const similarity = (h: HeadMatching, a: number, b: number) => h.similarity[a * h.count + b]!;

test('the engine reports a transformer: roles, blocks and heads the views read', () => {
  assert.equal(report.architecture.kind, 'transformer');
  assert.deepEqual(report.groups.map((g) => g.role), ['residual', 'query-key', 'value-output', 'mlp', 'query-key', 'value-output', 'mlp']);
  for (const method of METHODS) assert.equal(report.methods[method]!.heads?.length, 2, `${method} matched the heads of both attentions`);
});

test('permutations: one head-to-head map per attention, hover names the two heads with the report\'s similarity, the matched pairs framed; groups by role', async () => {
  const session = await openPanel();
  await selectTab(session, 'permutations');
  const { page } = session;
  // The tab opens on the featured method, as it does for any network.
  const shownMethod = bestMethod(report)!;
  assert.equal((await session.state() as { method: MethodName }).method, shownMethod);
  const heads = report.methods[shownMethod]!.heads!;
  assert.deepEqual(await page.$$eval('canvas[data-chart="heads"]', (nodes) => nodes.map((n) => (n as unknown as PageCanvas).dataset.attention)), heads.map((h) => h.attention));
  assert.deepEqual(await texts(session, '#permutation-layer vscode-option'), [
    'residual stream',
    'block 0 · attention Q/K (4 heads)', 'block 0 · attention V/O (4 heads)', 'block 0 · MLP',
    'block 1 · attention Q/K (4 heads)', 'block 1 · attention V/O (4 heads)', 'block 1 · MLP',
  ]);

  // Aligned (the default): column c is B's head π(c), so the matched pairs lie on the diagonal.
  const map = `canvas[data-chart="heads"][data-attention="${heads[0]!.attention}"]`;
  const h = heads[0]!;
  const n = h.count;
  const hover = async (row: number, column: number) => {
    const [x, y] = await cellPoint(session, map, row, column, n);
    await page.mouse.move(x, y);
    await page.waitForFunction(([r, c]) => document.querySelector('.similarity-tooltip:not([hidden])')?.textContent?.includes(`A head ${r} ↔ B head ${c}`) ?? false, [row, h.permutation[column]!] as const);
    return (await page.textContent('.similarity-tooltip:not([hidden])'))!;
  };
  for (let a = 0; a < n; a++) {
    const card = await hover(a, a);
    assert.ok(card.includes(`similarity ${fixed(similarity(h, a, h.permutation[a]!), 4)}`), card);
    assert.ok(card.includes('the matched pair'), card);
  }
  const off = await hover(0, 1);
  assert.ok(off.includes(`similarity ${fixed(similarity(h, 0, h.permutation[1]!), 4)}`), off);
  assert.ok(off.includes(`A head 0 is matched with B head ${h.permutation[0]}`), off);

  // A framed cell shows the theme's background just inside its edge; an unframed one its own colour.
  // The inner (background) ring is 3.5 px inside the cell's edge.
  const cellHeight = await page.$eval(map, (canvas: PageCanvas, size) => Number(canvas.dataset.plot!.split(',')[3]) / size, n);
  const [fx, fy] = await cellPoint(session, map, 1, 1, n, 0.5, 3.5 / cellHeight);
  const [ux, uy] = await cellPoint(session, map, 1, 2, n, 0.5, 3.5 / cellHeight);
  const framed = await pixel(session, map, fx, fy);
  const plain = await pixel(session, map, ux, uy);
  assert.ok(framed.every((c) => c > 235), `the matched cell's frame is white on the light theme: ${framed}`);
  assert.ok(!plain.every((c) => c > 235), `an unmatched cell is not framed: ${plain}`);

  // The colour bar prints its ends exactly, and every map's numbers are in its table.
  assert.ok((await texts(session, '.figure.heads .color-tick')).length >= 3);
  const tableRows = await texts(session, `.head-panel[data-attention="${h.attention}"] tbody tr`);
  assert.equal(tableRows.length, n);
  assert.ok(tableRows[0]!.includes(fixed(similarity(h, 0, 0), 4)) && tableRows[0]!.endsWith(`B head ${h.permutation[0]}`), tableRows[0]);
  await page.mouse.move(0, 0);
  await page.screenshot({ path: join(SCREENSHOTS, 'panel-transformer-heads.png'), fullPage: true });

  // B's own order: column b is B's head b; the frames move off the diagonal with the permutation.
  await page.click('#permutation-aligned');
  await page.waitForFunction(() => document.querySelector('canvas[data-chart="heads"]') !== null);
  const moved = h.permutation.findIndex((b, a) => b !== a);
  if (moved >= 0) {
    const [x, y] = await cellPoint(session, map, moved, h.permutation[moved]!, n);
    await page.mouse.move(x, y);
    await page.waitForFunction((a) => document.querySelector('.similarity-tooltip:not([hidden])')?.textContent?.includes('the matched pair') && document.querySelector('.similarity-tooltip:not([hidden])')?.textContent?.includes(`A head ${a} ↔`), moved);
  }

  // Another method redraws the maps with its own heads; clicking a map shows its attention's query/key units.
  const other = METHODS.find((m) => m !== shownMethod)!;
  await page.click('#permutation-method');
  await page.click(`#permutation-method vscode-option[value="${other}"]`);
  await page.waitForFunction((label) => document.querySelector('.figure.heads h2')?.textContent?.endsWith(label) ?? false, METHOD_STYLE[other].label);
  const last = report.methods[other]!.heads![1]!;
  await page.click(`canvas[data-chart="heads"][data-attention="${last.attention}"]`);
  await session.waitForPosted('requestSimilarity', (m) => m.method === other && m.layer === last.queryKey);
  session.assertClean();
  await session.close();
});

test('layers: barriers per part and LLFC by block in network order, readable labels, and a part\'s card with its groups\' costs', async () => {
  const session = await openPanel();
  await selectTab(session, 'layers');
  const { page } = session;
  const parts = ['embeddings', 'block 0 · attention', 'block 0 · MLP', 'block 0', 'block 1 · attention', 'block 1 · MLP', 'block 1', 'head (lm_head)'];
  assert.deepEqual(await texts(session, '.block-table tbody th'), parts);
  const weight = report.methods.weight!;
  const middle = report.alphas.indexOf(0.5);
  const row = async (part: string) => (await page.$$eval(`.block-table tbody tr[data-part="${part}"] td`, (cells) => cells.map((c) => (c as { textContent: string | null }).textContent ?? '')));
  // Columns: per method, its loss barrier then its LLFC at α = 0.5; weight matching is the second method.
  for (const barrier of weight.layerBarriers) {
    const cells = await row(barrier.layer);
    assert.equal(cells[2], fixed(barrier.loss, 4), `${barrier.layer} weight matching barrier`);
  }
  const block = weight.llfc.find((l) => l.layer === 'transformer.h.0')!;
  const mlp = weight.llfc.find((l) => l.layer === 'transformer.h.0.mlp.c_fc')!;
  assert.equal((await row('transformer.h.0'))[3], fixed(block.cosine[middle]!, 4));
  assert.equal((await row('transformer.h.0.mlp'))[3], fixed(mlp.cosine[middle]!, 4));
  assert.equal((await row('transformer.h.0.attn'))[3], '–');

  // The part picker names parts; an attention's card lists its two groups and the head matching.
  assert.deepEqual(await texts(session, '#layer-picker vscode-option'), parts);
  await page.click('#layer-picker');
  await page.click('#layer-picker vscode-option[value="transformer.h.1.attn"]');
  await page.waitForFunction(() => (document.querySelector('.layer-details')?.textContent ?? '').startsWith('block 1 · attention'));
  const card = (await page.textContent('.layer-details'))!;
  assert.ok(card.includes('block 1 · attention Q/K (4 heads): 64 units') && card.includes('block 1 · attention V/O (4 heads): 64 units'), card);
  const costs = layerCosts(report, 'transformer.h.1.attn.c_attn.q');
  for (const r of costs.rows) assert.ok(card.includes(r.join('')), `${r.join(' | ')} in the card`);
  const heads = weight.heads!.find((h) => h.block === 'transformer.h.1')!;
  assert.ok(card.includes(heads.permutation.map((b, a) => `${a}→${b}`).join(' ')), card);
  await page.screenshot({ path: join(SCREENSHOTS, 'panel-transformer-layers.png'), fullPage: true });

  // The host's "show this" with a layer inside a block opens its part.
  await session.send({ type: 'focusLayer', layer: 'transformer.h.0.mlp.c_proj' } satisfies HostToPanel);
  await page.waitForFunction(() => (document.querySelector('.layer-details')?.textContent ?? '').startsWith('block 0 · MLP'));
  session.assertClean();
  await session.close();
});

test('LLFC: rows are each MLP\'s hidden units and the residual stream after each block', async () => {
  const session = await openPanel();
  await selectTab(session, 'llfc');
  const rows = await texts(session, '.figure-data tbody th');
  assert.deepEqual(rows.slice(0, 8), [
    'block 0 · MLP cosine', 'block 0 · MLP scale c', 'residual stream after block 0 cosine', 'residual stream after block 0 scale c',
    'block 1 · MLP cosine', 'block 1 · MLP scale c', 'residual stream after block 1 cosine', 'residual stream after block 1 scale c',
  ]);
  session.assertClean();
  await session.close();
});

test('the side bar lists blocks with their attention and MLP and those with their layers; a part\'s tooltip holds its groups\' cost tables', () => {
  const items = layersViewItems({ type: 'report', title: 't', report, cacheKey: CACHE_KEY, cached: false });
  const label = (i: LayersViewItem) => (i.kind === 'part' ? i.label : i.kind === 'layer' ? (i.label ?? i.layer) : i.label);
  assert.deepEqual(items.map(label), ['embeddings', 'block 0', 'block 1', 'head (lm_head)']);
  const block = items[1]!;
  assert.ok(block.kind === 'part');
  assert.deepEqual(block.children.map(label), ['attention', 'MLP']);
  const attention = block.children[0]!;
  assert.ok(attention.kind === 'part');
  assert.deepEqual(attention.children.map(label), ['attn.c_attn.q', 'attn.c_attn.k', 'attn.c_attn.v', 'attn.c_proj']);
  assert.deepEqual(attention.children.map((c) => c.kind === 'layer' && c.layer), ['transformer.h.0.attn.c_attn.q', 'transformer.h.0.attn.c_attn.k', 'transformer.h.0.attn.c_attn.v', 'transformer.h.0.attn.c_proj']);
  for (const row of layerCosts(report, 'transformer.h.0.attn.c_attn.v').rows) assert.ok(attention.tooltip.includes(`| ${row.join(' | ')} |`), row.join(' | '));
  assert.match(attention.tooltip, /\*\*block 0 · attention V\/O \(4 heads\)\*\*: 64 units/);
  assert.match(items[0]!.kind === 'part' ? items[0]!.tooltip : '', /\*\*residual stream\*\*: 64 units/);
});

test('the CLI\'s table says transformer and lists the heads; the HTML report draws a head map per attention and method', () => {
  const text = formatCompareTable(report);
  assert.match(text, /transformer: 2 blocks, 4 heads per attention, residual stream 64, MLP 256/);
  assert.doesNotMatch(text, /conv network/);
  assert.match(text, /^ {2}block 0 {2}\d→\d \d→\d \d→\d \d→\d · \d of 4 heads moved/m);
  const html = renderHtmlReport(report);
  assert.equal(html.match(/aria-label="head-to-head similarity in block \d/g)?.length, METHODS.length * 2);
  assert.match(html, /Figure 7\./);
  assert.ok(html.includes('block 0 · attention Q/K (4 heads)'));
});

test('the outline reads other families by structure, not by GPT-2\'s names: Llama (GQA, rotary, SwiGLU) and a timm ViT, weights only', async () => {
  const family = (dir: string, a: string, b: string) =>
    compareCheckpoints({ a: fixture('transformers', dir, a), b: fixture('transformers', dir, b), data: null, methods: ['naive', 'weight'], alphas: 3, backend: 'auto', seed: 0 });
  const [llama, vit] = (await Promise.all([family('llama', 'llama_a.pt', 'llama_b.pt'), family('vit', 'vit_a.pt', 'vit_b.pt')])).map((r) => r.report);
  const parts = (r: CompareReport) => transformerOutline(r)!.parts.map((p) => [p.label, p.layers.map((l) => layerInBlockLabel(r, l)).join(' ')]);
  assert.deepEqual(parts(llama!), [
    ['embeddings', ''],
    ['block 0 · attention', 'self_attn.q_proj self_attn.k_proj self_attn.v_proj self_attn.o_proj'],
    ['block 0 · MLP', 'mlp.gate_proj mlp.up_proj mlp.down_proj'],
    ['block 0', 'self_attn.q_proj self_attn.k_proj self_attn.v_proj self_attn.o_proj mlp.gate_proj mlp.up_proj mlp.down_proj'],
    ['block 1 · attention', 'self_attn.q_proj self_attn.k_proj self_attn.v_proj self_attn.o_proj'],
    ['block 1 · MLP', 'mlp.gate_proj mlp.up_proj mlp.down_proj'],
    ['block 1', 'self_attn.q_proj self_attn.k_proj self_attn.v_proj self_attn.o_proj mlp.gate_proj mlp.up_proj mlp.down_proj'],
    // The head's one layer reads as the head.
    ['head (lm_head)', 'head (lm_head)'],
  ]);
  // Grouped-query attention: the groups count the key/value heads (config.json: 4 query heads, 2 key/value heads).
  assert.deepEqual(llama!.groups.map((g) => groupLabel(llama!, g.name)).slice(0, 4), ['residual stream', 'block 0 · attention Q/K (2 key/value heads for 4 query heads)', 'block 0 · attention V/O (2 key/value heads for 4 query heads)', 'block 0 · MLP']);
  const vitParts = parts(vit!);
  assert.deepEqual(vitParts[0], ['embeddings', 'patch_embed.proj']);
  assert.deepEqual(vitParts[1], ['block 0 · attention', 'attn.qkv.q attn.qkv.k attn.qkv.v attn.proj']);
  assert.deepEqual(vitParts[2], ['block 0 · MLP', 'mlp.fc1 mlp.fc2']);
  assert.deepEqual(vitParts.at(-1), ['head', 'head']);
  assert.match(formatCompareTable(vit!), /transformer: 2 blocks, 4 heads per attention/);
});
