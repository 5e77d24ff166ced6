import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openCheckpoint } from '../../src/engine/formats/openCheckpoint';
import { inspectCheckpoint } from '../../src/engine/inspect/inspectCheckpoint';
import { formatStatistic } from '../../src/shared/presentation/formatNumbers';
import type { InspectReport } from '../../src/shared/inspectReport';
import type { HostToGrid } from '../../src/shared/tensorGridProtocol';
import { fixture, repoRoot } from '../helpers/paths';
import { WebviewHarness, type WebviewSession } from './webviewHarness';

/** The checkpoint editor's tensor grid in a real browser, under its real CSP, fed the engine's inspect report of a PyTorch file. */
const SCREENSHOTS = join(repoRoot(), 'test', 'screenshots');
let harness: WebviewHarness;
let report: InspectReport;
let partial: InspectReport;

async function inspect(file: string, statsBudgetBytes: number | null): Promise<InspectReport> {
  const checkpoint = await openCheckpoint(file);
  try {
    return JSON.parse(JSON.stringify(await inspectCheckpoint(checkpoint, { statsBudgetBytes })));
  } finally {
    await checkpoint.close();
  }
}

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  [harness, report, partial] = await Promise.all([WebviewHarness.start(), inspect(fixture('pytorch', 'mlp.pt'), null), inspect(fixture('pytorch', 'mlp.pt'), 1000)]);
});

after(() => harness?.close());

async function openGrid(message: HostToGrid, state?: unknown): Promise<WebviewSession> {
  const session = await harness.open({ entry: 'tensors', title: 'mlp.pt', ...(state === undefined ? {} : { state }) });
  await session.waitForPosted('ready');
  await session.send(message);
  return session;
}

const rows = (session: WebviewSession) => session.page.locator('vscode-data-grid-row[row-type="default"]');

/** Polls the grid until it shows `count` rows: filtering redraws it asynchronously. */
async function waitForRows(session: WebviewSession, count: number, timeout = 5000): Promise<void> {
  const deadline = Date.now() + timeout;
  while ((await rows(session).count()) !== count) {
    if (Date.now() > deadline) throw new Error(`the grid shows ${await rows(session).count()} rows, not ${count}, after ${timeout} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('the grid lists every tensor with its dtype, shape, parameters and the statistics inspect computed', async () => {
  const session = await openGrid({ type: 'inspect', report });
  await rows(session).first().waitFor();
  assert.equal(await rows(session).count(), report.tensors.length);
  for (const [i, tensor] of report.tensors.entries()) {
    const text = (await rows(session).nth(i).innerText()).split(/\s*\n\s*/).filter(Boolean);
    assert.equal(text[0], tensor.name);
    assert.equal(text[1], tensor.dtype);
    assert.equal(text[2], `[${tensor.shape.join(', ')}]`);
    assert.equal(text[3], tensor.parameters.toLocaleString('en-US'));
    assert.deepEqual(text.slice(4, 8), [tensor.mean, tensor.std, tensor.min, tensor.max].map(formatStatistic));
  }
  const facts = await session.page.locator('.facts').innerText();
  assert.ok(facts.includes(`${report.parameters.toLocaleString('en-US')} parameters`), facts);
  await session.page.screenshot({ path: join(SCREENSHOTS, 'tensors-grid.png') });
  assert.deepEqual(session.violations, []);
  assert.deepEqual(session.errors, []);
  await session.close();
});

test('typing in the filter keeps the matching tensors, and the filter survives a reload', async () => {
  const session = await openGrid({ type: 'inspect', report });
  const wanted = report.tensors.filter((t) => t.name.endsWith('bias'));
  assert.ok(wanted.length > 0 && wanted.length < report.tensors.length);
  await session.page.locator('#filter input').fill('bias');
  await waitForRows(session, wanted.length);
  assert.equal(await session.page.locator('.shown').innerText(), `${wanted.length} of ${report.tensors.length} tensors`);
  assert.deepEqual(await session.state(), { filter: 'bias' });
  await session.reload();
  await session.waitForPosted('ready');
  await session.send({ type: 'inspect', report });
  await waitForRows(session, wanted.length);
  await session.close();
});

test('tensors past the statistics budget show – and a button that asks the host for all of them', async () => {
  assert.ok(partial.statistics.overBudget > 0);
  const session = await openGrid({ type: 'inspect', report: partial });
  const button = session.page.locator('vscode-button', { hasText: 'Compute all statistics' });
  await button.click();
  await session.waitForPosted('computeAllStatistics');
  await session.close();
});

test('the grid lists legacy files\' and a Lightning checkpoint\'s tensors, with the notes on placeholders', async () => {
  // The names torch saved, from the scripts that wrote the fixtures.
  const saved = (json: string, name: string) =>
    (JSON.parse(readFileSync(fixture('pytorch', json), 'utf8')) as Record<string, { tensors: Array<{ name: string }> }>)[name]!.tensors.map((t) => t.name);
  for (const [name, json] of [['legacy.pt', 'expected.json'], ['legacy_a.pt', 'expected_training.json'], ['lightning_a.ckpt', 'expected_training.json']] as const) {
    const fileReport = await inspect(fixture('pytorch', name), null);
    const session = await openGrid({ type: 'inspect', report: fileReport });
    await waitForRows(session, fileReport.tensors.length);
    const names: string[] = [];
    for (let i = 0; i < fileReport.tensors.length; i++) names.push((await rows(session).nth(i).innerText()).split(/\s*\n\s*/)[0]!);
    assert.deepEqual(names, saved(json, name), name);
    const notes = await session.page.locator('.note').allInnerTexts();
    assert.deepEqual(notes, fileReport.notes, name);
    if (name.startsWith('lightning')) assert.ok(notes.some((n) => n.startsWith("'hyper_parameters' holds argparse.Namespace")), notes.join('\n'));
    assert.deepEqual(session.errors, []);
    await session.close();
  }
});

test('a checkpoint of 100,000 tensors draws its first 2,000, says so, and the filter reaches the others', async () => {
  const tensor = report.tensors[0]!;
  const many: InspectReport = {
    ...report,
    tensors: Array.from({ length: 100_000 }, (_, i) => ({ ...tensor, name: `table.row${i}` })),
    groups: [{ prefix: 'table', tensors: 100_000, parameters: 100_000 * tensor.parameters, bytes: 100_000 * tensor.bytes }],
  };
  const session = await openGrid({ type: 'inspect', report: many });
  await waitForRows(session, 2000, 20_000);
  assert.equal(await session.page.locator('.shown').innerText(), 'the first 2,000 of 100,000 matching tensors (100,000 in all); filter to see the others');
  await session.page.locator('#filter input').fill('row9999');
  await waitForRows(session, 11);
  assert.equal(await session.page.locator('.shown').innerText(), '11 of 100,000 tensors');
  assert.deepEqual(session.errors, []);
  await session.close();
});

test('a file that cannot be read shows the reader\'s message as an alert', async () => {
  const message = 'evil.pt: the pickle asks for the global os.system, which Merge Lens does not allow';
  const session = await openGrid({ type: 'failed', file: 'evil.pt', message });
  const alert = session.page.getByRole('alert');
  assert.ok((await alert.innerText()).includes(message));
  await session.page.screenshot({ path: join(SCREENSHOTS, 'tensors-failed.png') });
  await session.close();
});
