/**
 * `npm run bench`: solveAssignment against SciPy's linear_sum_assignment on the very same matrices
 * (written to a raw float64 file that Python reads), best of 3 each, timing only the solve on both
 * sides. SciPy is taken from /usr/bin/python3 when it has it; otherwise its column says n/a.
 * Also a warm start: the weight-product matrix nudged, solved cold and from the previous duals.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { solveAssignment } from '../../src/engine/alignment/assignment/solveAssignment';
import { tempDir } from '../helpers/paths';
import { gaussianProductMatrix as weightProduct, mulberry32 as rng } from '../helpers/randomMatrices';

const PYTHON = '/usr/bin/python3';
const REPEATS = 3;

function uniform(n: number, next: () => number): Float64Array {
  return Float64Array.from({ length: n * n }, next);
}

function bestMs(fn: () => void): number {
  let best = Infinity;
  for (let i = 0; i < REPEATS; i++) {
    const start = process.hrtime.bigint();
    fn();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e6);
  }
  return best;
}

const hasScipy = spawnSync(PYTHON, ['-c', 'import scipy'], { stdio: 'ignore' }).status === 0;

const SCIPY_TIMER = `
import sys, time
import numpy as np
from scipy.optimize import linear_sum_assignment
path, n, maximize, repeats = sys.argv[1], int(sys.argv[2]), sys.argv[3] == '1', int(sys.argv[4])
m = np.fromfile(path, dtype='<f8').reshape(n, n)
best = float('inf')
for _ in range(repeats):
    start = time.perf_counter()
    rows, cols = linear_sum_assignment(m, maximize=maximize)
    best = min(best, time.perf_counter() - start)
print(best * 1000, repr(float(m[rows, cols].sum())))
`;

/** SciPy's best time and optimal total on the same matrix, or null without SciPy. */
function scipy(dir: string, n: number, m: Float64Array, maximize: boolean): { ms: number; total: number } | null {
  if (!hasScipy) return null;
  const file = join(dir, `m${n}.f64`);
  // Float64Array is little-endian on every platform node runs on; numpy reads it as '<f8'.
  writeFileSync(file, new Uint8Array(m.buffer, m.byteOffset, m.byteLength));
  const run = spawnSync(PYTHON, ['-c', SCIPY_TIMER, file, String(n), maximize ? '1' : '0', String(REPEATS)], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`SciPy timing failed: ${run.stderr}`);
  const [ms, total] = run.stdout.trim().split(/\s+/).map(Number);
  return { ms, total };
}

interface Row {
  readonly case: string;
  readonly n: number;
  readonly ours: number;
  readonly scipy: string;
  readonly ratio: string;
  readonly agree: string;
}

function main(): void {
  const dir = tempDir();
  const next = rng(2024);
  const rows: Row[] = [];
  // Warm the JIT on a small problem so the first timed size is not charged for compilation.
  solveAssignment(256, uniform(256, next));
  for (const [name, maximize, make] of [
    ['uniform [0,1), min', false, (n: number) => uniform(n, next)],
    ['W_A·W_Bᵀ (depth 256), max', true, (n: number) => weightProduct(n, 256, next)],
  ] as const) {
    for (const n of [512, 1024, 2048]) {
      const m = make(n);
      let total = 0;
      const ours = bestMs(() => {
        total = solveAssignment(n, m, { maximize }).total;
      });
      const ref = scipy(dir, n, m, maximize);
      rows.push({
        case: name,
        n,
        ours,
        scipy: ref === null ? 'n/a' : ref.ms.toFixed(1),
        ratio: ref === null ? '' : (ours / ref.ms).toFixed(2),
        agree: ref === null ? '' : Math.abs(total - ref.total) <= 1e-9 * Math.max(1, Math.abs(ref.total)) ? 'yes' : `NO (${total} vs ${ref.total})`,
      });
    }
  }

  for (const n of [512, 1024, 2048]) {
    let m = weightProduct(n, 256, next);
    const duals = solveAssignment(n, m, { maximize: true }).columnDuals;
    m = m.map((x) => x + 0.5 * (next() - 0.5));
    let cold = 0;
    let warm = 0;
    const coldMs = bestMs(() => {
      cold = solveAssignment(n, m, { maximize: true }).total;
    });
    const warmMs = bestMs(() => {
      warm = solveAssignment(n, m, { maximize: true, warmStart: duals }).total;
    });
    rows.push({
      case: 'nudged W_A·W_Bᵀ, warm start (vs cold)',
      n,
      ours: warmMs,
      scipy: `cold ${coldMs.toFixed(1)}`,
      ratio: (warmMs / coldMs).toFixed(2),
      agree: Math.abs(warm - cold) <= 1e-9 * Math.abs(cold) ? 'yes' : `NO (${warm} vs ${cold})`,
    });
  }

  const width = Math.max(...rows.map((r) => r.case.length));
  console.log(`${'case'.padEnd(width)}  ${'n'.padStart(5)}  ${'ours ms'.padStart(8)}  ${'SciPy ms'.padStart(10)}  ${'ratio'.padStart(5)}  same optimum`);
  for (const r of rows) {
    console.log(
      `${r.case.padEnd(width)}  ${String(r.n).padStart(5)}  ${r.ours.toFixed(1).padStart(8)}  ${r.scipy.padStart(10)}  ${r.ratio.padStart(5)}  ${r.agree}`,
    );
  }
}

main();
