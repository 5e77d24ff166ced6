import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { solveAssignment, type AssignmentResult } from '../../../../src/engine/alignment/assignment/solveAssignment';
import { fixture } from '../../../helpers/paths';
import { gaussianProductMatrix as productMatrix, mulberry32 as rng } from '../../../helpers/randomMatrices';

/** The best total over all n! permutations, by brute force. */
function bruteForce(n: number, m: Float64Array, maximize: boolean): number {
  const used = new Uint8Array(n);
  let best = maximize ? -Infinity : Infinity;
  const walk = (row: number, sum: number): void => {
    if (row === n) {
      if (maximize ? sum > best : sum < best) best = sum;
      return;
    }
    for (let j = 0; j < n; j++) {
      if (used[j]) continue;
      used[j] = 1;
      walk(row + 1, sum + m[row * n + j]);
      used[j] = 0;
    }
  };
  walk(0, 0);
  return best;
}

function assertPermutation(n: number, rowToCol: Int32Array): void {
  assert.equal(rowToCol.length, n);
  const seen = new Uint8Array(n);
  for (const j of rowToCol) {
    assert.ok(Number.isInteger(j) && j >= 0 && j < n, `column ${j} out of range`);
    assert.equal(seen[j], 0, `column ${j} assigned twice`);
    seen[j] = 1;
  }
}

function assignedSum(n: number, m: Float64Array, rowToCol: Int32Array): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += m[i * n + rowToCol[i]];
  return sum;
}

/**
 * The dual certificate of optimality, checked independently of how the solver got there: with the
 * returned column prices v and u_i = m[i][σ(i)] − v[σ(i)], every entry must lie on the right side of
 * u_i + v_j (above it when minimising, below when maximising), up to rounding.
 */
function assertDualCertificate(n: number, m: Float64Array, r: AssignmentResult, maximize: boolean): void {
  let scale = 0;
  for (const x of m) scale = Math.max(scale, Math.abs(x));
  const tol = 1e-9 * Math.max(scale, 1e-300) * Math.max(1, n / 100);
  const v = r.columnDuals;
  for (let i = 0; i < n; i++) {
    const u = m[i * n + r.rowToCol[i]] - v[r.rowToCol[i]];
    for (let j = 0; j < n; j++) {
      const slack = maximize ? u + v[j] - m[i * n + j] : m[i * n + j] - u - v[j];
      if (!(slack >= -tol)) assert.fail(`reduced cost at (${i}, ${j}) is ${slack}, below −${tol}`);
    }
  }
}

function randomMatrix(n: number, next: () => number, kind: 'real' | 'int' | 'signed'): Float64Array {
  const m = new Float64Array(n * n);
  for (let k = 0; k < m.length; k++) {
    const x = next();
    m[k] = kind === 'real' ? x : kind === 'int' ? Math.floor(x * 4) : Math.floor(x * 21) - 10;
  }
  return m;
}

test('matches brute force over all permutations for n ≤ 7, integer and real, with ties, min and max', () => {
  const next = rng(20240611);
  for (let n = 0; n <= 7; n++) {
    const trials = n <= 4 ? 150 : n === 7 ? 25 : 60;
    for (let t = 0; t < trials; t++) {
      const kind = (['real', 'int', 'signed'] as const)[t % 3];
      const m = randomMatrix(n, next, kind);
      for (const maximize of [false, true]) {
        const r = solveAssignment(n, m, { maximize });
        assertPermutation(n, r.rowToCol);
        const best = bruteForce(n, m, maximize);
        const where = `n=${n} trial ${t} (${kind}, ${maximize ? 'max' : 'min'})`;
        if (kind === 'real') {
          assert.ok(Math.abs(r.total - best) <= 1e-12 * Math.max(1, Math.abs(best)), `${where}: ${r.total} vs ${best}`);
        } else {
          assert.equal(r.total, best, where);
        }
        assert.equal(r.total, assignedSum(n, m, r.rowToCol), `${where}: total is not the chosen entries' sum`);
        assertDualCertificate(n, m, r, maximize);
      }
    }
  }
});

/** The fixture's generator, reimplemented exactly (see make_fixtures.py). */
function fixtureMatrix(c: FixtureCase): Float64Array {
  let x = c.seed >>> 0;
  const step = () => {
    x = (Math.imul(1664525, x) + 1013904223) >>> 0;
    return x >>> 8;
  };
  const n = c.n;
  const m = new Float64Array(n * n);
  if (c.kind === 'uniform') {
    for (let k = 0; k < n * n; k++) m[k] = step() / 2 ** 24;
  } else if (c.kind === 'levels') {
    // (x * levels) >> 24 with x < 2^24: a floor division, exact in doubles.
    for (let k = 0; k < n * n; k++) m[k] = Math.floor((step() * c.levels!) / 2 ** 24);
  } else {
    const d = c.depth!;
    const a = Array.from({ length: n * d }, () => (step() % 17) - 8);
    const b = Array.from({ length: n * d }, () => (step() % 17) - 8);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += a[i * d + k] * b[j * d + k];
        m[i * n + j] = s;
      }
    }
  }
  return m;
}

interface FixtureCase {
  readonly name: string;
  readonly kind: 'uniform' | 'levels' | 'product';
  readonly n: number;
  readonly seed: number;
  readonly levels?: number;
  readonly depth?: number;
  readonly maximize: boolean;
  readonly checksum: { readonly sum: number; readonly first: number; readonly last: number };
  readonly total: number;
  readonly rowToCol: number[];
  readonly unique: boolean;
}

test('agrees with SciPy linear_sum_assignment on stored cases (n = 5, 50, 200)', () => {
  const { cases } = JSON.parse(readFileSync(fixture('assignment', 'lsa_cases.json'), 'utf8')) as { cases: FixtureCase[] };
  assert.ok(cases.length >= 10);
  for (const c of cases) {
    const m = fixtureMatrix(c);
    // Every entry and partial sum here is exact in doubles, so the checksum must match to the bit.
    assert.equal(m.reduce((s, x) => s + x, 0), c.checksum.sum, `${c.name}: generated matrix differs from SciPy's`);
    assert.equal(m[0], c.checksum.first, c.name);
    assert.equal(m[m.length - 1], c.checksum.last, c.name);
    const r = solveAssignment(c.n, m, { maximize: c.maximize });
    assertPermutation(c.n, r.rowToCol);
    assert.ok(Math.abs(r.total - c.total) <= 1e-9 * Math.max(1, Math.abs(c.total)), `${c.name}: ${r.total} vs SciPy ${c.total}`);
    if (c.unique) assert.deepEqual(Array.from(r.rowToCol), c.rowToCol, `${c.name}: the optimum is unique`);
    assertDualCertificate(c.n, m, r, c.maximize);
  }
  assert.ok(cases.some((c) => c.unique) && cases.some((c) => !c.unique), 'fixtures cover unique and tied optima');
});

test('larger random and weight-product matrices carry a valid dual certificate', () => {
  const next = rng(7);
  for (const n of [60, 257]) {
    for (const maximize of [false, true]) {
      const uniform = randomMatrix(n, next, 'real');
      assertDualCertificate(n, uniform, solveAssignment(n, uniform, { maximize }), maximize);
      const ties = randomMatrix(n, next, 'int');
      assertDualCertificate(n, ties, solveAssignment(n, ties, { maximize }), maximize);
      const product = productMatrix(n, 32, next);
      const r = solveAssignment(n, product, { maximize });
      assertPermutation(n, r.rowToCol);
      assertDualCertificate(n, product, r, maximize);
    }
  }
});

test('a warm start from a similar matrix reaches the same optimum', () => {
  const next = rng(99);
  for (const n of [7, 40, 200]) {
    for (const maximize of [false, true]) {
      let m = productMatrix(n, 16, next);
      let duals = solveAssignment(n, m, { maximize }).columnDuals;
      // A few coordinate-descent-like steps: each matrix is the last one nudged.
      for (let step = 0; step < 4; step++) {
        m = m.map((x) => x + 0.05 * (next() - 0.5));
        const cold = solveAssignment(n, m, { maximize });
        const warm = solveAssignment(n, m, { maximize, warmStart: duals });
        assertPermutation(n, warm.rowToCol);
        assert.ok(Math.abs(warm.total - cold.total) <= 1e-9 * Math.max(1, Math.abs(cold.total)), `n=${n}: ${warm.total} vs ${cold.total}`);
        assert.equal(warm.total, assignedSum(n, m, warm.rowToCol));
        assertDualCertificate(n, m, warm, maximize);
        if (n === 7) assert.ok(Math.abs(warm.total - bruteForce(n, m, maximize)) <= 1e-12 * Math.max(1, Math.abs(cold.total)));
        duals = warm.columnDuals;
      }
    }
  }
});

test('a warm start from the same matrix, or from nonsense prices, still gives the optimum', () => {
  const next = rng(5);
  const n = 7;
  for (let t = 0; t < 40; t++) {
    const m = randomMatrix(n, next, t % 2 === 0 ? 'int' : 'real');
    const best = bruteForce(n, m, false);
    const first = solveAssignment(n, m);
    const starts = [
      first.columnDuals,
      Float64Array.from({ length: n }, () => (next() - 0.5) * 1e6),
      Float64Array.from({ length: n }, () => (next() - 0.5) * 1e300),
      new Float64Array(n),
    ];
    for (const warmStart of starts) {
      const r = solveAssignment(n, m, { warmStart });
      assertPermutation(n, r.rowToCol);
      assert.ok(Math.abs(r.total - best) <= 1e-12, `trial ${t}: ${r.total} vs ${best}`);
      assertDualCertificate(n, m, r, false);
    }
  }
});

test('refuses NaN and infinite entries, naming where they are', () => {
  const m = new Float64Array(9).fill(1);
  m[5] = NaN;
  assert.throws(() => solveAssignment(3, m), /assignment matrix has a NaN at row 1, column 2/);
  m[5] = 1;
  m[6] = Infinity;
  assert.throws(() => solveAssignment(3, m), /assignment matrix has an Infinity at row 2, column 0/);
  m[6] = -Infinity;
  assert.throws(() => solveAssignment(3, m, { maximize: true }), /assignment matrix has a -Infinity at row 2, column 0/);
});

test('refuses a matrix of the wrong size and unusable warm starts', () => {
  assert.throws(() => solveAssignment(3, new Float64Array(8)), /assignment matrix has 8 entries, expected 3×3 = 9/);
  assert.throws(() => solveAssignment(-1, new Float64Array(0)), /assignment size/);
  assert.throws(() => solveAssignment(2.5, new Float64Array(6)), /assignment size/);
  assert.throws(() => solveAssignment(2, new Float64Array(4), { warmStart: new Float64Array(3) }), /warm start has 3 column prices, expected 2/);
  assert.throws(() => solveAssignment(2, new Float64Array(4), { warmStart: Float64Array.of(0, NaN) }), /warm start has NaN at column 1/);
});

test('n = 0 and n = 1', () => {
  const empty = solveAssignment(0, new Float64Array(0));
  assert.equal(empty.rowToCol.length, 0);
  assert.equal(empty.total, 0);
  const one = solveAssignment(1, Float64Array.of(-2.5), { maximize: true });
  assert.deepEqual(Array.from(one.rowToCol), [0]);
  assert.equal(one.total, -2.5);
  assertDualCertificate(1, Float64Array.of(-2.5), one, true);
});

test('degenerate matrices: all equal, equal rows, equal columns, additive', () => {
  const n = 120;
  const next = rng(3);
  const a = Float64Array.from({ length: n }, next);
  const b = Float64Array.from({ length: n }, next);
  const cases: [string, (i: number, j: number) => number, number][] = [
    ['all equal', () => 0.7, n * 0.7],
    // Every row the same: any permutation totals the sum of one row.
    ['equal rows', (_i, j) => a[j], a.reduce((s, x) => s + x, 0)],
    ['equal columns', (i) => b[i], b.reduce((s, x) => s + x, 0)],
    ['additive a_i + b_j', (i, j) => a[i] + b[j], a.reduce((s, x) => s + x, 0) + b.reduce((s, x) => s + x, 0)],
  ];
  for (const [name, entry, expected] of cases) {
    const m = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) m[i * n + j] = entry(i, j);
    for (const maximize of [false, true]) {
      const r = solveAssignment(n, m, { maximize });
      assertPermutation(n, r.rowToCol);
      assert.ok(Math.abs(r.total - expected) <= 1e-9 * n, `${name}: ${r.total} vs ${expected}`);
      assertDualCertificate(n, m, r, maximize);
    }
  }
});

test('extreme magnitudes: same choice as on the unscaled integers', () => {
  const next = rng(11);
  const n = 6;
  for (const scale of [1e307 / 4, 1e-300, 2 ** -1070, 1e150]) {
    for (let t = 0; t < 30; t++) {
      const ints = Float64Array.from({ length: n * n }, () => Math.floor(next() * 9) - 4);
      const scaled = ints.map((x) => x * scale);
      for (const maximize of [false, true]) {
        const r = solveAssignment(n, scaled, { maximize });
        assertPermutation(n, r.rowToCol);
        assert.equal(assignedSum(n, ints, r.rowToCol), bruteForce(n, ints, maximize), `scale ${scale}, trial ${t}`);
      }
    }
  }
});

test('near-ties and stress patterns finish with the optimum', () => {
  const n = 150;
  const patterns: [string, (i: number, j: number) => number][] = [
    ['i·j', (i, j) => i * j],
    ['(i+1)(j+1) mod 7', (i, j) => ((i + 1) * (j + 1)) % 7],
    ['1 + tiny differences', (i, j) => 1 + ((i * 31 + j * 17) % 13) * 1e-15],
    ['|i − j|', (i, j) => Math.abs(i - j)],
    ['huge spread', (i, j) => ((i * 7 + j * 3) % 11) * 10 ** ((i + j) % 9)],
  ];
  for (const [name, entry] of patterns) {
    const m = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) m[i * n + j] = entry(i, j);
    for (const maximize of [false, true]) {
      const r = solveAssignment(n, m, { maximize });
      assertPermutation(n, r.rowToCol);
      assertDualCertificate(n, m, r, maximize);
      assert.equal(r.total, assignedSum(n, m, r.rowToCol), name);
    }
  }
  // i·j has a closed form: sorting pairs the largest with the smallest when minimising.
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) m[i * n + j] = i * j;
  let antiSorted = 0;
  let sorted = 0;
  for (let i = 0; i < n; i++) {
    antiSorted += i * (n - 1 - i);
    sorted += i * i;
  }
  assert.equal(solveAssignment(n, m).total, antiSorted);
  assert.equal(solveAssignment(n, m, { maximize: true }).total, sorted);
});
