import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupedBarChart } from '../../src/cli/svgCharts';
import { permutationMatrix } from '../../src/cli/svgHeatmaps';
import { niceTicks } from '../../src/shared/presentation/ticks';

test('ticks fall on round numbers that cover the data', () => {
  assert.deepEqual(niceTicks(0, 1, 4), { values: [0, 0.25, 0.5, 0.75, 1], step: 0.25, decimals: 2 });
  // (0.762 − 0.137) / 5 = 0.125 rounds up to a step of 0.2; the axis widens to the ticks around the data.
  assert.deepEqual(niceTicks(0.137, 0.762, 5).values, [0, 0.2, 0.4, 0.6, 0.8]);
  // 0.188 / 5 = 0.0376 → 0.05.
  assert.deepEqual(niceTicks(0.77, 0.958, 5).values, [0.75, 0.8, 0.85, 0.9, 0.95, 1]);
  assert.deepEqual(niceTicks(-0.03, 0.012, 4), { values: [-0.04, -0.02, 0, 0.02], step: 0.02, decimals: 2 });
  // 0.025 / 5 = 0.005 → 0.005 exactly: three decimals.
  assert.deepEqual(niceTicks(0, 0.025, 5), { values: [0, 0.005, 0.01, 0.015, 0.02, 0.025], step: 0.005, decimals: 3 });
  assert.deepEqual(niceTicks(2e-7, 9e-7, 4).values, [2e-7, 4e-7, 6e-7, 8e-7, 1e-6]);
  assert.equal(niceTicks(2e-7, 9e-7, 4).decimals, 7);
  // A flat series still gets an axis around its value.
  assert.deepEqual(niceTicks(5, 5, 4).values, [4.5, 4.75, 5, 5.25, 5.5]);
});

test('a wide permutation is binned: 256 identity units make 64 diagonal blocks of 4 matches', () => {
  const svg = permutationMatrix({ ariaLabel: 'p', title: 'layer', permutation: Array.from({ length: 256 }, (_, i) => i), size: 200, color: '#0072B2' });
  const blocks = [...svg.matchAll(/<title>A units (\d+)–(\d+) ↔ B units (\d+)–(\d+): (\d+) matches<\/title>/g)];
  assert.equal(blocks.length, 64);
  for (const [, a0, a1, b0, b1, count] of blocks) {
    assert.equal(a0, b0);
    assert.equal(a1, b1);
    assert.equal(Number(a1) - Number(a0), 3);
    assert.equal(count, '4');
  }
});

test('bars stand on a zero line; negative bars hang below it', () => {
  const svg = groupedBarChart({
    width: 400, height: 300, ariaLabel: 'bars', categories: ['a', 'b'], xLabel: 'layer', y: { label: 'barrier', includeZero: true },
    series: [{ name: 's', color: '#000000', values: [0.5, -0.25] }],
  });
  const bars = [...svg.matchAll(/<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)" fill="#000000"><title>([^<]*)<\/title>/g)];
  assert.deepEqual(bars.map((b) => b[3]), ['a, s: 0.5000', 'b, s: −0.2500']);
  const [positive, negative] = bars.map((b) => ({ top: Number(b[1]), height: Number(b[2]) }));
  // The positive bar ends where the negative one starts (the zero line), and is twice as tall.
  assert.ok(Math.abs(positive!.top + positive!.height - negative!.top) < 0.02);
  assert.ok(Math.abs(positive!.height - 2 * negative!.height) < 0.05);
});
