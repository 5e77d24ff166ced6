import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openCheckpoint } from '../../../src/engine/formats/openCheckpoint';
import { DEFAULT_STATS_BUDGET_BYTES, inspectCheckpoint } from '../../../src/engine/inspect/inspectCheckpoint';
import { formatInspectText } from '../../../src/engine/inspect/formatInspectText';
import { tempDir } from '../../helpers/paths';
import { writeSparseSafetensors } from '../../helpers/writeSafetensors';

/** Bytes this process has read through read(2) so far, as the kernel counts them. */
function bytesReadSoFar(): number {
  return Number(/rchar:\s*(\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))![1]);
}

const TENSOR_BYTES = 128 * 2 ** 20;
const file = join(tempDir(), 'big.safetensors');
const size = writeSparseSafetensors(
  file,
  Array.from({ length: 16 }, (_, i) => ({ name: `blocks.${i}.weight`, dtype: 'F32', shape: [8192, 4096], bytes: TENSOR_BYTES })),
);

test('a 2 GiB safetensors file is listed from its header and summarised within the statistics budget', async () => {
  assert.ok(size > 2 * 2 ** 30);
  const before = bytesReadSoFar();
  const checkpoint = await openCheckpoint(file);
  const report = await inspectCheckpoint(checkpoint, { statsBudgetBytes: DEFAULT_STATS_BUDGET_BYTES });
  await checkpoint.close();
  const read = bytesReadSoFar() - before;

  assert.equal(report.tensors.length, 16);
  assert.equal(report.parameters, 16 * 8192 * 4096);
  assert.equal(report.statistics.computed, 1);
  assert.equal(report.statistics.overBudget, 15);
  assert.equal(report.tensors[0]!.zeroFraction, 1);
  assert.equal(report.tensors[0]!.mean, 0);
  assert.equal(report.tensors[1]!.mean, null);
  assert.match(report.tensors[1]!.statsSkipped ?? '', /budget/);
  // One tensor's worth of data and the header: a sixteenth of the file.
  assert.ok(read <= DEFAULT_STATS_BUDGET_BYTES + 2 ** 20, `read ${read} bytes`);
});

test('listing without statistics reads only the header', async () => {
  const before = bytesReadSoFar();
  const checkpoint = await openCheckpoint(file);
  const report = await inspectCheckpoint(checkpoint, { statsBudgetBytes: 0 });
  await checkpoint.close();
  assert.equal(report.tensors.length, 16);
  assert.ok(bytesReadSoFar() - before < 64 * 1024);
});

test('a file of 200,000 tensors in one layer is listed and laid out as text (no argument-count overflow)', async () => {
  const many = join(tempDir(), 'many.safetensors');
  writeSparseSafetensors(many, Array.from({ length: 200_000 }, (_, i) => ({ name: `table.row${i}`, dtype: 'F32', shape: [1], bytes: 4 })));
  const checkpoint = await openCheckpoint(many);
  const report = await inspectCheckpoint(checkpoint, { statsBudgetBytes: 0 });
  await checkpoint.close();
  const lines = formatInspectText(report).split('\n');
  assert.equal(report.groups.length, 1);
  assert.ok(lines.includes('total: 200,000 tensors, 200,000 parameters, 781.3 KiB'), lines.slice(-3).join('\n'));
  assert.match(lines.find((l) => l.startsWith('  row199999'))!, /^ {2}row199999\s+F32\s+1\s+1\s+–/);
});
