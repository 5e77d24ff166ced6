/**
 * Exact linear assignment on a dense square matrix: the Jonker–Volgenant method (row and column
 * reduction, augmenting row reduction, then one shortest augmenting path per remaining free row, found
 * with a Dijkstra scan over the dense rows). Written from the published algorithm:
 * R. Jonker and A. Volgenant, "A shortest augmenting path algorithm for dense and sparse linear
 * assignment problems", Computing 38 (1987) 325–340.
 *
 * A warm start replaces the reductions: the given column prices are kept and every row starts free, so
 * rows whose cheapest column under those prices is uncontested are matched in one scan each.
 *
 * Internally the problem is always a minimisation of `scale · sign · matrix`, where `sign` is −1 when
 * maximising and `scale` is 1 unless the largest magnitude is extreme (beyond 2^±400), when it is the
 * power of two that brings it into [1, 2): scaling by a power of two is exact, so every comparison and
 * tie is the same as on the caller's numbers, and neither huge nor tiny entries can overflow or underflow
 * the differences the method takes. A plain minimisation works on the caller's array without a copy.
 *
 * Invariant of every phase (what makes the result optimal): with column prices v and, for an assigned
 * row i, u_i = c[i][x_i] − v[x_i], every reduced cost c[i][j] − u_i − v_j is ≥ 0, and it is 0 on the
 * assigned pairs. Once every row is assigned, (u, v) is a dual certificate of optimality.
 */

export interface AssignmentResult {
  /** Row i is assigned column rowToCol[i]; always a permutation of 0..n−1. */
  readonly rowToCol: Int32Array;
  /** The optimal objective: the sum of the chosen entries (the largest such sum when maximising). */
  readonly total: number;
  /**
   * The column prices v of the optimal dual, in the caller's units and sense: when minimising,
   * matrix[i][j] ≥ u_i + v_j for row values u_i = matrix[i][rowToCol[i]] − v[rowToCol[i]]; when
   * maximising, matrix[i][j] ≤ u_i + v_j. Pass them back as `warmStart` for a similar matrix.
   */
  readonly columnDuals: Float64Array;
}

export interface AssignmentOptions {
  /** Default false: minimise the total. */
  readonly maximize?: boolean;
  /** `columnDuals` from a previous solve of a similar matrix (same n, same sense). */
  readonly warmStart?: Float64Array;
}

/**
 * Warm-start prices spread wider than this many times the largest entry would swamp the entries in
 * `c − v` (losing more than 40 of the 53 bits): such a start is ignored rather than allowed to cost
 * optimality.
 */
const MAX_WARM_SPREAD = 2 ** 40;

/** Largest magnitudes outside [2^−400, 2^400] are rescaled; inside, prices and differences have room to spare. */
const SAFE_MAGNITUDE_EXPONENT = 400;

/**
 * Augmenting row reduction is an auction: with near-ties it can trade a column back and forth by tiny
 * price steps for a very long time. Its row scans are capped at this many per row; whatever is still
 * free then goes to the shortest-path phase, which needs at most n augmentations.
 */
const ROW_REDUCTION_SCANS_PER_ROW = 8;

export function solveAssignment(n: number, matrix: Float64Array, options: AssignmentOptions = {}): AssignmentResult {
  if (!Number.isInteger(n) || n < 0) throw new Error(`assignment size must be a whole number ≥ 0, got ${n}`);
  if (matrix.length !== n * n) {
    throw new Error(`assignment matrix has ${matrix.length} entries, expected ${n}×${n} = ${n * n}`);
  }
  const maximize = options.maximize === true;
  const maxAbs = largestMagnitude(n, matrix);
  const warm = options.warmStart;
  if (warm !== undefined) checkWarmStart(n, warm);

  if (n === 0) return { rowToCol: new Int32Array(0), total: 0, columnDuals: new Float64Array(0) };
  if (n === 1) return { rowToCol: Int32Array.of(0), total: matrix[0], columnDuals: Float64Array.of(matrix[0]) };

  const scale = powerOfTwoScale(maxAbs);
  const factor = maximize ? -scale : scale;

  const rowToCol = new Int32Array(n).fill(-1);
  const colToRow = new Int32Array(n).fill(-1);
  const v = new Float64Array(n);
  let free: Int32Array;
  const warmPrices = warm === undefined ? null : scaledWarmPrices(warm, factor, maxAbs * scale);
  if (warmPrices !== null) {
    v.set(warmPrices);
    free = new Int32Array(n);
    for (let i = 0; i < n; i++) free[i] = i;
  } else {
    free = reduceColumns(n, matrix, factor, v, rowToCol, colToRow);
  }
  free = reduceRows(n, matrix, factor, v, rowToCol, colToRow, free);
  augmentAll(n, matrix, factor, v, rowToCol, colToRow, free);

  let total = 0;
  for (let i = 0; i < n; i++) total += matrix[i * n + rowToCol[i]];
  const columnDuals = new Float64Array(n);
  for (let j = 0; j < n; j++) columnDuals[j] = v[j] / factor;
  return { rowToCol, total, columnDuals };
}

/** The largest |entry|, refusing NaN and ±Infinity with their position. */
function largestMagnitude(n: number, matrix: Float64Array): number {
  let maxAbs = 0;
  for (let k = 0; k < matrix.length; k++) {
    const x = matrix[k];
    // x − x is 0 for every finite x and NaN for NaN and ±Infinity: one test for both.
    if (x - x !== 0) {
      const what = Number.isNaN(x) ? 'a NaN' : x > 0 ? 'an Infinity' : 'a -Infinity';
      throw new Error(`assignment matrix has ${what} at row ${Math.floor(k / n)}, column ${k % n}`);
    }
    const a = Math.abs(x);
    if (a > maxAbs) maxAbs = a;
  }
  return maxAbs;
}

function checkWarmStart(n: number, warm: Float64Array): void {
  if (warm.length !== n) throw new Error(`assignment warm start has ${warm.length} column prices, expected ${n}`);
  for (let j = 0; j < n; j++) {
    if (!Number.isFinite(warm[j])) throw new Error(`assignment warm start has ${warm[j]} at column ${j}`);
  }
}

/**
 * 1 for ordinary magnitudes, else 2^−e where 2^e ≤ maxAbs < 2^(e+1), clamped so the factor itself stays
 * a normal, finite number.
 */
function powerOfTwoScale(maxAbs: number): number {
  if (maxAbs === 0 || (maxAbs >= 2 ** -SAFE_MAGNITUDE_EXPONENT && maxAbs <= 2 ** SAFE_MAGNITUDE_EXPONENT)) return 1;
  let e = Math.floor(Math.log2(maxAbs));
  // log2 can round across a power of two; nudge e so that maxAbs · 2^−e really lands in [1, 2).
  if (maxAbs * 2 ** -e >= 2) e += 1;
  else if (maxAbs * 2 ** -e < 1) e -= 1;
  return 2 ** -Math.max(-1000, Math.min(1000, e));
}

/**
 * The warm prices in internal units, shifted by their mean (adding a constant to every v and removing it
 * from every u changes no reduced cost) so they sit near the entries; null when they are unusable.
 */
function scaledWarmPrices(warm: Float64Array, factor: number, largestEntry: number): Float64Array | null {
  if (largestEntry === 0) return null;
  const limit = MAX_WARM_SPREAD * largestEntry;
  const n = warm.length;
  const prices = new Float64Array(n);
  let mean = 0;
  for (let j = 0; j < n; j++) {
    prices[j] = warm[j] * factor;
    mean += prices[j] / n;
  }
  for (let j = 0; j < n; j++) {
    prices[j] -= mean;
    // Negated so that an overflow to Infinity (or NaN) also rejects the start.
    if (!(Math.abs(prices[j]) <= limit)) return null;
  }
  return prices;
}

/**
 * Row and column reduction, then reduction transfer. Each row's minimum is taken off first, then every
 * column's price becomes its minimum over those reduced rows. Taking the rows off first matters when
 * whole rows are larger than others (products of weights with unequal norms): without it a few rows are
 * the minimum of most columns and the greedy start matches few. A row that is the minimum of exactly one
 * column takes it, and then lowers that column's price by its margin over its next-best column, so the
 * row's value u_i is as large as it can be. Returns the rows left free.
 */
function reduceColumns(
  n: number,
  matrix: Float64Array,
  factor: number,
  v: Float64Array,
  rowToCol: Int32Array,
  colToRow: Int32Array,
): Int32Array {
  const argRow = new Int32Array(n);
  v.fill(Infinity);
  // Row by row, so the matrix is read in memory order; ties keep the first row.
  for (let i = 0; i < n; i++) {
    const base = i * n;
    let rowMin = Infinity;
    for (let j = 0; j < n; j++) {
      const h = matrix[base + j] * factor;
      if (h < rowMin) rowMin = h;
    }
    for (let j = 0; j < n; j++) {
      const h = matrix[base + j] * factor - rowMin;
      if (h < v[j]) {
        v[j] = h;
        argRow[j] = i;
      }
    }
  }
  const matches = new Int32Array(n);
  for (let j = n - 1; j >= 0; j--) {
    const i = argRow[j];
    if (matches[i]++ === 0) {
      rowToCol[i] = j;
      colToRow[j] = i;
    }
  }
  const free: number[] = [];
  for (let i = 0; i < n; i++) {
    if (matches[i] === 0) {
      free.push(i);
    } else if (matches[i] === 1) {
      const j1 = rowToCol[i];
      const base = i * n;
      let margin = Infinity;
      for (let j = 0; j < n; j++) {
        if (j === j1) continue;
        const h = matrix[base + j] * factor - v[j];
        if (h < margin) margin = h;
      }
      v[j1] = matrix[base + j1] * factor - margin;
    }
  }
  return Int32Array.from(free);
}

/**
 * Augmenting row reduction (two passes, as in the paper). A free row takes its cheapest column j1 and
 * lowers j1's price until the row is indifferent between j1 and its second-cheapest column; the row it
 * displaces is served again at once when the price moved, else in the next pass. When the best two are
 * tied and j1 is taken, the row takes the second instead (no price move), which breaks ping-pong on ties.
 * Returns the rows still free.
 */
function reduceRows(
  n: number,
  matrix: Float64Array,
  factor: number,
  v: Float64Array,
  rowToCol: Int32Array,
  colToRow: Int32Array,
  initialFree: Int32Array,
): Int32Array {
  let free = initialFree;
  let scansLeft = ROW_REDUCTION_SCANS_PER_ROW * n;
  for (let pass = 0; pass < 2 && free.length > 0; pass++) {
    // A stack of rows to serve now (displaced rows go back on it) and the rows for the next pass.
    const stack = Int32Array.from(free).reverse();
    let top = stack.length;
    const next = new Int32Array(n);
    let nextCount = 0;
    while (top > 0) {
      if (scansLeft === 0) {
        while (top > 0) next[nextCount++] = stack[--top];
        break;
      }
      scansLeft--;
      const i = stack[--top];
      const base = i * n;
      let best = Infinity;
      let j1 = -1;
      let second = Infinity;
      let j2 = -1;
      // Two columns per step (then the odd one): measured about 15% faster than one, in this and in
      // the Dijkstra scan, which are where nearly all the time goes.
      const pairs = n & ~1;
      for (let j = 0; j < pairs; j += 2) {
        const h0 = matrix[base + j] * factor - v[j];
        const h1 = matrix[base + j + 1] * factor - v[j + 1];
        if (h0 < second) {
          if (h0 >= best) {
            second = h0;
            j2 = j;
          } else {
            second = best;
            j2 = j1;
            best = h0;
            j1 = j;
          }
        }
        if (h1 < second) {
          if (h1 >= best) {
            second = h1;
            j2 = j + 1;
          } else {
            second = best;
            j2 = j1;
            best = h1;
            j1 = j + 1;
          }
        }
      }
      if (pairs < n) {
        const h = matrix[base + pairs] * factor - v[pairs];
        if (h < second) {
          if (h >= best) {
            second = h;
            j2 = pairs;
          } else {
            second = best;
            j2 = j1;
            best = h;
            j1 = pairs;
          }
        }
      }
      let displaced = colToRow[j1];
      const priceMoves = best < second;
      if (priceMoves) {
        v[j1] -= second - best;
      } else if (displaced >= 0) {
        j1 = j2;
        displaced = colToRow[j2];
      }
      rowToCol[i] = j1;
      colToRow[j1] = i;
      if (displaced >= 0) {
        rowToCol[displaced] = -1;
        if (priceMoves) stack[top++] = displaced;
        else next[nextCount++] = displaced;
      }
    }
    free = next.subarray(0, nextCount);
  }
  return free;
}

/**
 * One shortest augmenting path per free row, by Dijkstra over the columns with reduced costs as edge
 * lengths. Each step settles the open column nearest the start; if nobody owns it the path is found,
 * else its owner's row is scanned to shorten the open columns' distances, and the same pass finds the
 * next nearest. Among equally near columns an unowned one is preferred, as it ends the path. Finally the
 * settled columns' prices drop by how much nearer than the path's end they were, which keeps every
 * reduced cost ≥ 0 and makes the path's all 0.
 *
 * The scan runs over the whole row in memory order rather than over a list of open columns: the gather
 * such a list needs costs more than the settled columns it skips. A settled column's distance is set to
 * NaN, which fails every comparison, so the scan neither shortens nor picks it without a test of its own.
 */
function augmentAll(
  n: number,
  matrix: Float64Array,
  factor: number,
  v: Float64Array,
  rowToCol: Int32Array,
  colToRow: Int32Array,
  free: Int32Array,
): void {
  const dist = new Float64Array(n);
  const pred = new Int32Array(n);
  const settled = new Int32Array(n);
  const settledDist = new Float64Array(n);
  for (let f = 0; f < free.length; f++) {
    const start = free[f];
    const startBase = start * n;
    let nearest = Infinity;
    let nearestAt = 0;
    for (let j = 0; j < n; j++) {
      const h = matrix[startBase + j] * factor - v[j];
      dist[j] = h;
      pred[j] = start;
      if (h < nearest || (h === nearest && colToRow[j] < 0 && colToRow[nearestAt] >= 0)) {
        nearest = h;
        nearestAt = j;
      }
    }
    let done = 0;
    let min = nearest;
    let sink = -1;
    for (;;) {
      const j1 = nearestAt;
      settled[done] = j1;
      settledDist[done++] = dist[j1];
      dist[j1] = NaN;
      const i = colToRow[j1];
      if (i < 0) {
        sink = j1;
        break;
      }
      const base = i * n;
      const offset = matrix[base + j1] * factor - v[j1] - min;
      nearest = Infinity;
      nearestAt = -1;
      // Two columns per step, then the odd one (see reduceRows).
      const pairs = n & ~1;
      for (let j = 0; j < pairs; j += 2) {
        const d0 = dist[j];
        const d1 = dist[j + 1];
        const h0 = matrix[base + j] * factor - v[j] - offset;
        const h1 = matrix[base + j + 1] * factor - v[j + 1] - offset;
        if (h0 < d0) {
          dist[j] = h0;
          pred[j] = i;
          if (h0 < nearest) {
            nearest = h0;
            nearestAt = j;
          } else if (h0 === nearest && colToRow[j] < 0) {
            nearestAt = j;
          }
        } else if (d0 < nearest) {
          nearest = d0;
          nearestAt = j;
        } else if (d0 === nearest && colToRow[j] < 0) {
          nearestAt = j;
        }
        if (h1 < d1) {
          dist[j + 1] = h1;
          pred[j + 1] = i;
          if (h1 < nearest) {
            nearest = h1;
            nearestAt = j + 1;
          } else if (h1 === nearest && colToRow[j + 1] < 0) {
            nearestAt = j + 1;
          }
        } else if (d1 < nearest) {
          nearest = d1;
          nearestAt = j + 1;
        } else if (d1 === nearest && colToRow[j + 1] < 0) {
          nearestAt = j + 1;
        }
      }
      for (let j = pairs; j < n; j++) {
        const d = dist[j];
        const h = matrix[base + j] * factor - v[j] - offset;
        if (h < d) {
          dist[j] = h;
          pred[j] = i;
          if (h < nearest) {
            nearest = h;
            nearestAt = j;
          } else if (h === nearest && colToRow[j] < 0) {
            nearestAt = j;
          }
        } else if (d < nearest) {
          nearest = d;
          nearestAt = j;
        } else if (d === nearest && colToRow[j] < 0) {
          nearestAt = j;
        }
      }
      if (nearest > min) min = nearest;
    }
    for (let k = 0; k < done; k++) {
      v[settled[k]] += settledDist[k] - min;
    }
    for (let j = sink; ; ) {
      const i = pred[j];
      colToRow[j] = i;
      const previous = rowToCol[i];
      rowToCol[i] = j;
      if (i === start) break;
      j = previous;
    }
  }
}
