import { test } from 'node:test';
import assert from 'node:assert/strict';
import { niceTicks, tickLabel, ticksWithin } from '../../src/shared/presentation/ticks';

const labels = (t: ReturnType<typeof ticksWithin>) => t.values.map((v) => tickLabel(v, t));

test('ticks inside a fixed scale print their exact values: quarters with two decimals, never "−0.3" for −0.25', () => {
  const quarters = ticksWithin(-0.3, 0.9, 5);
  assert.deepEqual(quarters.values, [-0.25, 0, 0.25, 0.5, 0.75]);
  assert.deepEqual(labels(quarters), ['−0.25', '0.00', '0.25', '0.50', '0.75']);
  assert.deepEqual(labels(ticksWithin(0.9, 1, 5)), ['0.90', '0.92', '0.94', '0.96', '0.98', '1.00']);
  assert.deepEqual(labels(ticksWithin(0.75, 1, 5)), ['0.75', '0.80', '0.85', '0.90', '0.95', '1.00']);
  assert.deepEqual(labels(ticksWithin(0, 1, 4)), ['0.00', '0.25', '0.50', '0.75', '1.00']);
});

test('unit indices get whole-number ticks inside the range, however few units', () => {
  assert.deepEqual(ticksWithin(0, 511, 4, true).values, [0, 200, 400]);
  assert.deepEqual(ticksWithin(100, 163, 4, true).values, [100, 120, 140, 160]);
  assert.deepEqual(ticksWithin(0, 1, 4, true).values, [0, 1]);
  assert.deepEqual(ticksWithin(7, 7, 4, true).values, [7]);
  assert.deepEqual(labels(ticksWithin(0, 4095, 4, true)), ['0', '2000', '4000']);
});

test('every tick label, over many ranges, parses back to its tick, and the ticks inside a range are the covering ticks cut to it', () => {
  for (let k = 0; k < 500; k++) {
    // A deterministic spread of ranges: widths from 1e-4 to 1e3, anywhere around zero.
    const width = 10 ** (((k * 7) % 70) / 10 - 4);
    const low = (((k * 37) % 200) / 100 - 1) * width * 3;
    for (const t of [niceTicks(low, low + width, 5), ticksWithin(low, low + width, 5)]) {
      for (const v of t.values) assert.equal(Number(tickLabel(v, t).replace('−', '-')), v, `${tickLabel(v, t)} for ${v} in [${low}, ${low + width}]`);
    }
    const inside = ticksWithin(low, low + width, 5).values;
    assert.deepEqual(inside, niceTicks(low, low + width, 5).values.filter((v) => v >= low - 1e-9 * width && v <= low + width + 1e-9 * width));
  }
});
