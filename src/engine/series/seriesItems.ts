/**
 * Per-item files: what `merge-lens series MANIFEST --item K --json OUT` writes (one SeriesItem, the
 * unit a cluster's job array runs) and `--merge DIR` reads back, checking they are this manifest's
 * pairs, run as it asks, before they are assembled into the series report.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { REPORT_VERSION } from '../../shared/compareReport';
import type { SeriesItem } from '../../shared/seriesReport';
import { resolveCompareRequest } from '../compare/resolveRequest';
import { isJsonObject, readJsonObjectFile } from '../formats/strictJson';
import { FormatError } from '../io/formatError';
import { InputError } from '../io/inputError';
import type { ResolvedSeries } from './readManifest';

/** A compare report of a large network is tens of megabytes (permutations, unit costs); far above is not one. */
const MAX_ITEM_BYTES = 1 << 30;

/** Whether a parsed file is an item file at all (other JSON in the folder, the series report itself, is passed over). */
function looksLikeItem(value: Record<string, unknown>): boolean {
  return 'index' in value && 'value' in value && isJsonObject(value.report);
}

/** The item file's item, checked against the pair of the series it claims to be. */
function checkItem(file: string, raw: Record<string, unknown>, series: ResolvedSeries): SeriesItem {
  const { index, value } = raw;
  const report = raw.report as Record<string, unknown>;
  const count = series.pairs.length;
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= count) {
    throw new FormatError(file, `holds item ${JSON.stringify(index)}, but the series has items 0 to ${count - 1}: it is another series' item`);
  }
  if (report.version !== REPORT_VERSION || !isJsonObject(report.request) || !isJsonObject(report.methods)) {
    throw new FormatError(file, `holds item ${index} with a report of another version (${JSON.stringify(report.version)}; this Merge Lens reads ${REPORT_VERSION}): rerun --item ${index}`);
  }
  const pair = series.pairs[index]!;
  if (value !== pair.value) throw new FormatError(file, `holds item ${index} at ${series.variable} ${JSON.stringify(value)}, but the manifest's pair ${index} is at ${JSON.stringify(pair.value)}: it is another series' item`);
  // Both sides come from resolveCompareRequest, which builds every field in one order: text compares them.
  const asked = resolveCompareRequest(pair.choices) as unknown as Record<string, unknown>;
  const differing = Object.keys(asked).filter((key) => JSON.stringify(asked[key]) !== JSON.stringify((report.request as Record<string, unknown>)[key]));
  if (differing.length > 0) {
    const shown = differing.slice(0, 3).map((key) => `${key} ${JSON.stringify((report.request as Record<string, unknown>)[key])}, not ${JSON.stringify(asked[key])}`);
    throw new FormatError(file, `holds item ${index} run with ${shown.join('; ')}: the manifest asks otherwise; rerun --item ${index}`);
  }
  return raw as unknown as SeriesItem;
}

/**
 * Every item file in `dir` (*.json holding a SeriesItem), checked to be this series' items: each
 * pair exactly once, at its value, run with its request. Missing items are one error naming each
 * and the `--item` runs that would make them.
 */
export async function readSeriesItems(dir: string, series: ResolvedSeries): Promise<SeriesItem[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch (error) {
    throw new InputError(`cannot read the item folder ${dir} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const found = new Map<number, { item: SeriesItem; file: string }>();
  for (const name of names) {
    const file = join(dir, name);
    const raw = await readJsonObjectFile(file, MAX_ITEM_BYTES, 'series item');
    if (!looksLikeItem(raw)) continue;
    const item = checkItem(file, raw, series);
    const twin = found.get(item.index);
    if (twin) throw new InputError(`${twin.file} and ${file} both hold item ${item.index}; keep one`);
    found.set(item.index, { item, file });
  }
  const missing = series.pairs.map((p) => p.index).filter((k) => !found.has(k));
  if (missing.length > 0) {
    const some = missing.slice(0, 8).join(', ') + (missing.length > 8 ? `, … (${missing.length} in all)` : '');
    throw new InputError(
      `${dir} lacks item${missing.length === 1 ? '' : 's'} ${some} of the series' ${series.pairs.length}: run merge-lens series MANIFEST --item K --json ${join(dir, 'item-K.json')} for ${missing.length === 1 ? `K = ${missing[0]}` : 'each'}`,
    );
  }
  return [...found.values()].map((f) => f.item).sort((x, y) => x.index - y.index);
}
