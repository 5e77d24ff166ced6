import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ALL_METHOD_NAMES, METHOD_NAMES, alignmentOf, isRepaired, type CompareReport, type MethodResult } from '../../src/shared/compareReport';
import { formatBytes, formatNumber, formatOptional, formatPercent, formatScientific, formatStatistic } from '../../src/shared/presentation/formatNumbers';
import { layerLabel } from '../../src/shared/presentation/layerLabel';
import { METHOD_STYLE, methodsOf } from '../../src/shared/presentation/methodStyles';
import { nearestIndex } from '../../src/shared/presentation/nearestIndex';
import { viridis, viridisRgb } from '../../src/shared/presentation/viridis';
import { repoRoot } from '../helpers/paths';

test('every method has a style, and no two methods share a label', () => {
  for (const method of ALL_METHOD_NAMES) {
    const style = METHOD_STYLE[method];
    assert.ok(style, method);
    assert.ok(style.label.length > 0, method);
    for (const hex of [style.color.light, style.color.dark]) assert.match(hex, /^#[0-9A-F]{6}$/, `${method}: ${hex}`);
  }
  assert.deepEqual(Object.keys(METHOD_STYLE).sort(), [...ALL_METHOD_NAMES].sort());
  assert.equal(new Set(ALL_METHOD_NAMES.map((m) => METHOD_STYLE[m].label)).size, ALL_METHOD_NAMES.length);
});

test('a REPAIR variant is its alignment, labelled "+ REPAIR" and dotted, in the same colours and marker', () => {
  for (const method of ALL_METHOD_NAMES.filter(isRepaired)) {
    const own = METHOD_STYLE[method];
    const base = METHOD_STYLE[alignmentOf(method)];
    assert.equal(own.label, `${base.label} + REPAIR`);
    assert.deepEqual(own.color, base.color);
    assert.equal(own.marker, base.marker);
    assert.deepEqual(own.dash, [1.5, 2.5]);
    assert.notDeepEqual(base.dash, own.dash, `${method} is told apart from ${alignmentOf(method)} by its dash`);
  }
});

test('the alignments are told apart by marker and by colour, on paper and on dark themes alike', () => {
  const styles = METHOD_NAMES.map((m) => METHOD_STYLE[m]);
  assert.equal(new Set(styles.map((s) => s.marker)).size, METHOD_NAMES.length);
  assert.equal(new Set(styles.map((s) => s.color.light)).size, METHOD_NAMES.length);
  assert.equal(new Set(styles.map((s) => s.color.dark)).size, METHOD_NAMES.length);
  // Okabe & Ito on paper, brightened for dark themes.
  assert.deepEqual(METHOD_NAMES.map((m) => METHOD_STYLE[m].color.light), ['#000000', '#0072B2', '#D55E00', '#009E73']);
  assert.deepEqual(METHOD_NAMES.slice(1).map((m) => METHOD_STYLE[m].color.dark), ['#56B4E9', '#E8743B', '#1FC299']);
});

test('methodsOf lists the report\'s methods in the canonical order, whatever order they were stored in', () => {
  const result = (method: string) => ({ method }) as unknown as MethodResult;
  const report = { methods: { 'weight+repair': result('weight+repair'), covariance: result('covariance'), naive: result('naive') } } as unknown as CompareReport;
  assert.deepEqual(methodsOf(report).map(([name]) => name), ['naive', 'covariance', 'weight+repair']);
  assert.deepEqual(methodsOf({ methods: {} } as unknown as CompareReport), []);
});

test('numbers: a typeset minus, no negative zero, n/a for NaN, ±∞', () => {
  assert.equal(formatNumber(-0.0004, 3), '0.000');
  assert.equal(formatNumber(-0, 3), '0.000');
  assert.equal(formatNumber(-0.4, 0), '0');
  assert.equal(formatNumber(-0.1234, 2), '−0.12');
  assert.equal(formatNumber(-12.5, 1), '−12.5');
  assert.equal(formatNumber(NaN, 2), 'n/a');
  assert.equal(formatNumber(Infinity, 2), '∞');
  assert.equal(formatNumber(-Infinity, 2), '−∞');
  assert.equal(formatOptional(null, 3), 'n/a');
  assert.equal(formatOptional(undefined, 3), 'n/a');
  assert.equal(formatOptional(0.62, 3), '0.620');
});

test('percentages, scientific notation, statistics and sizes', () => {
  assert.equal(formatPercent(0.0142), '1.42%');
  assert.equal(formatPercent(0.5, 0), '50%');
  assert.equal(formatPercent(-0.00001), '0.00%');
  assert.equal(formatPercent(-0.0142), '−1.42%');
  assert.equal(formatPercent(undefined), 'n/a');
  assert.equal(formatPercent(null), 'n/a');
  assert.equal(formatPercent(NaN), 'n/a');
  assert.equal(formatPercent(Infinity), '∞');
  assert.equal(formatScientific(2.1e-7), '2.1×10⁻⁷');
  assert.equal(formatScientific(-31400), '−3.1×10⁴');
  assert.equal(formatScientific(0), '0');
  assert.equal(formatScientific(NaN), 'n/a');
  assert.equal(formatStatistic(null), '–');
  assert.equal(formatStatistic(0.5), '0.5000');
  assert.equal(formatStatistic(-1e-5), '−1.000×10⁻⁵');
  assert.equal(formatStatistic(-7.2624e-4), '−7.262×10⁻⁴');
  assert.equal(formatStatistic(-0.25), '−0.2500');
  assert.equal(formatStatistic(12345), '1.235×10⁴');
  assert.equal(formatStatistic(9999), '9999');
  assert.equal(formatStatistic(NaN), 'n/a');
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1536), '1.50 KiB');
  assert.equal(formatBytes(20 * 1024 ** 3), '20.0 GiB');
});

test('layer labels and the nearest α', () => {
  assert.equal(layerLabel('0'), 'layer 0');
  assert.equal(layerLabel('fc1'), 'fc1');
  assert.equal(layerLabel('layer1.0.conv1'), 'layer1.0.conv1');
  assert.equal(nearestIndex([0, 0.25, 0.5, 0.75, 1], 0.5), 2);
  assert.equal(nearestIndex([0, 0.25, 0.75, 1], 0.5), 1, 'the first of two equally near');
  assert.equal(nearestIndex([0, 0.125, 0.25, 0.375], 1), 3);
  assert.equal(nearestIndex([], 0.5), 0);
});

test('viridis runs from dark purple to yellow, clamped, as hex for the SVG and rgb for the canvas', () => {
  assert.equal(viridis(0), '#440154');
  assert.equal(viridis(1), '#fde725');
  assert.equal(viridis(0.5), '#26828e');
  assert.equal(viridis(2), '#fde725');
  assert.equal(viridis(NaN), '#440154');
  assert.deepEqual(viridisRgb(0.5), [0x26, 0x82, 0x8e]);
});

function sourceFiles(dir: string, endings: readonly string[]): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path, endings) : endings.some((e) => path.endsWith(e)) ? [path] : [];
  });
}

test('the method colours are written down once: no other source holds them, and panel.css takes them from the table', () => {
  const root = repoRoot();
  const table = join(root, 'src', 'shared', 'presentation');
  const hexes = [...new Set(ALL_METHOD_NAMES.flatMap((m) => [METHOD_STYLE[m].color.light, METHOD_STYLE[m].color.dark]))].filter((hex) => hex !== '#000000' && hex !== '#FFFFFF');
  const offenders = [...sourceFiles(join(root, 'src'), ['.ts']), ...sourceFiles(join(root, 'webview'), ['.ts', '.css'])]
    .filter((file) => !file.startsWith(table))
    .flatMap((file) => {
      const text = readFileSync(file, 'utf8').toLowerCase();
      return hexes.filter((hex) => text.includes(hex.toLowerCase())).map((hex) => `${relative(root, file)}: ${hex}`);
    });
  // panel.css keeps the Okabe–Ito vermillion as the fallback of VS Code's warning colour, which is not a method's.
  assert.deepEqual(offenders.filter((o) => !/panel\.css: #D55E00$/.test(o)), []);
  const css = readFileSync(join(root, 'webview', 'panel', 'panel.css'), 'utf8');
  assert.doesNotMatch(css, /--ml-(?:naive|weight|activation|covariance)(?:-light|-dark)?:\s*#/);
  for (const alignment of METHOD_NAMES.slice(1)) {
    assert.match(css, new RegExp(`--ml-${alignment}: var\\(--ml-${alignment}-light\\)`));
    assert.match(css, new RegExp(`--ml-${alignment}: var\\(--ml-${alignment}-dark\\)`));
  }
});
