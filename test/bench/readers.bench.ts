/**
 * `npm run bench`: how fast the readers list and read, printed as a table. Timings live here,
 * never in tests: they depend on the machine.
 */
import { join } from 'node:path';
import { openCheckpoint } from '../../src/engine/formats/openCheckpoint';
import { DEFAULT_STATS_BUDGET_BYTES, inspectCheckpoint } from '../../src/engine/inspect/inspectCheckpoint';
import { toFloat32 } from '../../src/engine/tensors/dtype';
import { fixture, tempDir } from '../helpers/paths';
import { writeSparseSafetensors } from '../helpers/writeSafetensors';

interface Row {
  readonly case: string;
  readonly size: string;
  readonly ms: number;
  readonly rate: string;
}

async function time(fn: () => Promise<unknown> | unknown, repeats = 3): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < repeats; i++) {
    const start = process.hrtime.bigint();
    await fn();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e6);
  }
  return best;
}

const perSecond = (bytes: number, ms: number) => `${((bytes / 2 ** 20) / (ms / 1000)).toFixed(0)} MiB/s`;

async function main(): Promise<void> {
  const rows: Row[] = [];
  const dir = tempDir();
  const big = join(dir, 'big.safetensors');
  const tensorBytes = 128 * 2 ** 20;
  writeSparseSafetensors(
    big,
    Array.from({ length: 16 }, (_, i) => ({ name: `blocks.${i}.weight`, dtype: 'F32', shape: [8192, 4096], bytes: tensorBytes })),
  );

  const inspectBig = async (budget: number | null) => {
    const checkpoint = await openCheckpoint(big);
    await inspectCheckpoint(checkpoint, { statsBudgetBytes: budget });
    await checkpoint.close();
  };
  let ms = await time(() => inspectBig(0));
  rows.push({ case: 'inspect --stats none, sparse safetensors', size: '2 GiB', ms, rate: '' });
  ms = await time(() => inspectBig(DEFAULT_STATS_BUDGET_BYTES));
  rows.push({ case: 'inspect (default budget), sparse safetensors', size: '2 GiB', ms, rate: perSecond(DEFAULT_STATS_BUDGET_BYTES, ms) });

  const demo = fixture('pytorch', 'mlp.pt');
  ms = await time(async () => {
    const checkpoint = await openCheckpoint(demo);
    for (const t of checkpoint.tensors) await checkpoint.readFloat32(t.name);
    await checkpoint.close();
  }, 10);
  rows.push({ case: 'open and read every tensor, PyTorch MLP', size: '100 KiB', ms, rate: '' });

  const halves = new Uint8Array(64 * 2 ** 20);
  for (const dtype of ['F16', 'BF16', 'F32'] as const) {
    ms = await time(() => toFloat32(dtype, halves));
    rows.push({ case: `convert ${dtype} → float32`, size: '64 MiB', ms, rate: perSecond(halves.byteLength, ms) });
  }

  const width = Math.max(...rows.map((r) => r.case.length));
  console.log(`${'case'.padEnd(width)}  ${'size'.padStart(8)}  ${'best ms'.padStart(9)}  ${'rate'.padStart(12)}`);
  for (const r of rows) {
    console.log(`${r.case.padEnd(width)}  ${r.size.padStart(8)}  ${r.ms.toFixed(1).padStart(9)}  ${r.rate.padStart(12)}`);
  }
}

void main();
