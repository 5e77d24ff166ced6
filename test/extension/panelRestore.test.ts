import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RESULTS_VIEW_TYPE, SERIES_VIEW_TYPE } from '../../src/extension/viewTypes';
import type { SeriesManifest } from '../../src/shared/seriesReport';
import { parseSeriesViewState } from '../../src/shared/seriesViewState';
import { repoRoot } from '../helpers/paths';

const manifest: SeriesManifest = { variable: 'width', pairs: [{ value: 16, a: 'w16_seed1.pt', b: 'w16_seed2.pt' }], data: null };

test('package.json: VS Code activates the extension to restore each of its panels with the window', () => {
  const events = (JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { activationEvents: string[] }).activationEvents;
  for (const viewType of [RESULTS_VIEW_TYPE, SERIES_VIEW_TYPE]) assert.ok(events.includes(`onWebviewPanel:${viewType}`), viewType);
});

test('a Series panel\'s saved state gives back the series it showed: a manifest file, or a manifest made in memory with its folder', () => {
  const file = { layer: '2', shown: { title: 'series.json', source: { file: '/w/series.json' } } };
  assert.deepEqual(parseSeriesViewState(file), file);
  // As setState stores it: through JSON.
  const memory = JSON.parse(JSON.stringify({ layer: null, shown: { title: 'width series of 2 checkpoints', source: { manifest, folder: '/w' } } }));
  assert.deepEqual(parseSeriesViewState(memory), { layer: null, shown: { title: 'width series of 2 checkpoints', source: { manifest, folder: '/w' } } });
});

test('a Series panel\'s saved state from an older page, or malformed, restores no series and keeps what it can', () => {
  // What the page saved before it kept its series: the layer alone.
  assert.deepEqual(parseSeriesViewState({ layer: '0' }), { layer: '0', shown: null });
  for (const saved of [undefined, null, 3, 'x', [], { layer: 4, shown: [] }]) assert.deepEqual(parseSeriesViewState(saved), { layer: null, shown: null }, JSON.stringify(saved));
  const source = { file: '/w/series.json' };
  const broken: readonly unknown[] = [
    { title: 'no source' },
    { source },
    { title: '', source },
    { title: 7, source },
    { title: 't', source: null },
    { title: 't', source: '/w/series.json' },
    { title: 't', source: { file: '' } },
    { title: 't', source: { file: ['/w/series.json'] } },
    { title: 't', source: { manifest, folder: '' } },
    { title: 't', source: { manifest } },
    { title: 't', source: { manifest: [manifest], folder: '/w' } },
    { title: 't', source: { manifest: null, folder: '/w' } },
    { title: 't', source: {} },
  ];
  for (const shown of broken) assert.deepEqual(parseSeriesViewState({ layer: '2', shown }), { layer: '2', shown: null }, JSON.stringify(shown));
});
