import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderSeriesHtml } from '../../src/cli/seriesHtml';
import { formatSeriesTable } from '../../src/cli/seriesTable';
import { lineChart } from '../../src/cli/svgCharts';
import { logTicks } from '../../src/shared/presentation/ticks';
import { seriesReport } from '../../src/engine/series/seriesFigures';
import { METHOD_STYLE } from '../../src/shared/presentation/methodStyles';
import { fakeItem, fakeReport } from '../engine/series/fakeItems';

function widthSeries() {
  return seriesReport({ manifest: '/study/series.json', variable: 'width' }, [16, 32, 64, 128].map((width, i) =>
    fakeItem(i, width, fakeReport({
      a: `/runs/w${width}_seed1.pt`, b: `/runs/w${width}_seed2.pt`, width, dimS: 10 + 5 * i,
      methods: {
        naive: { barrier: { loss: 1 - i / 10, accuracy: 0.3 }, w2: [2, 2, 1.5], llfc: [0.9] },
        weight: { barrier: { loss: 0.4 - i / 10, accuracy: 0.1 }, w2: [2, 1.5 / (i + 1), 1 / (i + 1)], llfc: [0.99], conditions: { additivity: [[0.01, 0.02]], commutativity: [[0.2, 0.4]] } },
      },
    })),
  ));
}

function seedSeries(value = (a: number, b: number) => `seed${a} × seed${b}`) {
  const pair = (index: number, a: number, b: number, loss: number) =>
    fakeItem(index, value(a, b), fakeReport({ a: `/runs/seed${a}.pt`, b: `/runs/seed${b}.pt`, methods: { weight: { barrier: { loss, accuracy: loss / 10 } } } }));
  return seriesReport({ manifest: null, variable: 'seed' }, [pair(0, 0, 1, 0.3), pair(1, 0, 2, 0.5), pair(2, 1, 2, 0.1)]);
}

test('logarithmic ticks: powers of 2 across widths, powers of 10 across decades', () => {
  assert.deepEqual(logTicks(16, 128).values, [16, 32, 64, 128]);
  assert.deepEqual(logTicks(0.4, 1).values, [0.25, 0.5, 1]);
  assert.equal(logTicks(0.4, 1).decimals, 2);
  // 16…4096 is nine powers of 2: every second one.
  assert.deepEqual(logTicks(16, 4096, 5).values, [16, 64, 256, 1024, 4096]);
  assert.deepEqual(logTicks(1e-3, 100).values, [1e-3, 1e-2, 0.1, 1, 10, 100]);
});

test('a log axis places values by their logarithm and leaves out what it cannot show', () => {
  const svg = lineChart({
    width: 400, height: 300, ariaLabel: 'w2', x: { label: 'width', log: true }, y: { label: 'W2', log: true },
    series: [{ name: 's', color: '#000000', marker: 'circle', points: [[16, 1], [64, 0.5], [256, 0], [1024, 0.25]] }],
  });
  const marks = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"[^>]*><title>s: width ([\d.]+), W2 ([\d.]+)<\/title>/g)].map((m) => [Number(m[1]), Number(m[2]), m[3]]);
  // W2 = 0 has no logarithm: three marks, and 16 → 64 → 1024 evenly spaced as 1 → 0.5 → 0.25 (two, then four, powers of 2: x; one, then one, halving: y).
  assert.deepEqual(marks.map((m) => m[2]), ['16.0000', '64.0000', '1024.0000']);
  const [a, b, c] = marks as [number, number, string][];
  assert.ok(Math.abs((b[0] - a[0]) * 2 - (c[0] - b[0])) < 0.05);
  assert.ok(Math.abs((b[1] - a[1]) - (c[1] - b[1])) < 0.05);
  assert.match(svg, />1024<\/text>/);
});

test('the series page: self-contained, a figure per measurement, methods in their colours, the width fit and its table', () => {
  const report = widthSeries();
  const html = renderSeriesHtml(report);
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">/);
  assert.doesNotMatch(html, /<script|https?:\/\//);
  // Barriers (2), the one group's W2 and Dim(S) (2), LLFC and the two conditions (3), the log-log view (1).
  assert.equal(html.match(/<svg/g)!.length, 8);
  for (const method of ['naive', 'weight'] as const) assert.ok(html.includes(`stroke="${METHOD_STYLE[method].color.light}"`), method);
  assert.match(html, /weight matching: k = −0\.\d{3}/);
  assert.match(html, /rate −1\/Dim\(S\) = −0\.040/);
  assert.match(html, /<td>layer 0<\/td><td>weight matching<\/td><td class="num">−0\.\d{3}<\/td><td class="num">−0\.040<\/td><td class="num">4<\/td>/);
  assert.match(html, /<td>w128_seed1\.pt<\/td><td>w128_seed2\.pt<\/td>/);
  assert.doesNotMatch(html, /All pairs among/);
});

test('names along the series are categories (grouped bars), every pair among three seeds a matrix, every string escaped', () => {
  const html = renderSeriesHtml(seedSeries((a, b) => `<b>${a}</b> & ${b}`));
  assert.doesNotMatch(html, /<b>0<\/b>/);
  assert.match(html, /&lt;b&gt;0&lt;\/b&gt; &amp; 1/);
  assert.match(html, /All pairs among 3 checkpoints/);
  // The matrix: the six off-diagonal cells, each pair's barrier twice.
  const cells = [...html.matchAll(/<title>(seed\d\.pt) × (seed\d\.pt): loss barrier ([\d.]+)<\/title>/g)].map((m) => `${m[1]}-${m[2]}:${m[3]}`);
  assert.deepEqual(cells.sort(), ['seed0.pt-seed1.pt:0.3000', 'seed0.pt-seed2.pt:0.5000', 'seed1.pt-seed0.pt:0.3000', 'seed1.pt-seed2.pt:0.1000', 'seed2.pt-seed0.pt:0.5000', 'seed2.pt-seed1.pt:0.1000']);
  assert.equal(html.match(/the same checkpoint/g)!.length, 3);
  // Bars, not lines, along names; no conditions measured, and the page says so.
  assert.match(html, /<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="[\d.]+" fill="#0072B2"><title>&lt;b&gt;0&lt;\/b&gt; &amp; 1, weight matching: 0\.3000<\/title>/);
  assert.match(html, /Not measured on these pairs: LLFC cosine, Weak additivity, Commutativity \(they are measured on evaluation data, with LLFC samples above 0\)/);
});

test('the CLI table: a row per pair and method, the figures\' numbers', () => {
  const table = formatSeriesTable(widthSeries());
  const lines = table.split('\n');
  assert.match(lines[0]!, /^width\s+method\s+loss barrier\s+acc\. barrier\s+W2 optimal\s+LLFC cosine$/);
  assert.match(lines[2]!, /^16\s+weight\s+0\.4000\s+10\.00%\s+1\.0000\s+0\.9900$/);
  assert.match(lines[8]!, /^128\s+weight\s+0\.1000\s+10\.00%\s+0\.2500\s+0\.9900$/);
  assert.match(table, /W2 ∝ width\^k, layer 0, weight: k = −0\.\d{3} over 4 widths; −1\/Dim\(S\) = −0\.040/);
});
