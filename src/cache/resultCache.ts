import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { descriptionBeside } from '../engine/architecture/descriptionFiles';
import { writeAtomically } from '../engine/export/atomicFile';
import { REPORT_VERSION, type CompareReport } from '../shared/compareReport';
import type { CompareRequest } from '../shared/compareRequest';
import { FileFingerprints, type HashFiles } from './fileFingerprints';

export type { HashFiles } from './fileFingerprints';

export interface ResultCacheOptions {
  /** Where entries and the fingerprint memo live (the extension: its workspace storage). Created when first written. */
  readonly directory: string;
  readonly hashFiles: HashFiles;
  /** Entries kept, the most recently written or read (default 50). */
  readonly maxEntries?: number;
}

/**
 * Bumped whenever the engine would compute a different report from the same inputs, or the key
 * is made differently, so reports from an older Merge Lens are not shown as current. 3: keyed on
 * the resolved request, which the report now carries. 4: the matching entries carry the neurons'
 * Wasserstein distances, which the views read. 5: their covariance-weighted counterparts and the
 * methods' LLFC conditions.
 */
const KEY_VERSION = 5;
const KEY = /^[0-9a-f]{64}$/;

/**
 * Finished comparisons, by what they depend on: the resolved request (every default filled, so
 * two requests that mean the same comparison meet), with each file named in it replaced by a
 * hash of its contents: both checkpoints, the data, the fit data, the description (or, with none
 * named, the description files found beside the checkpoints, which the engine then reads). Paths are not part of the key (a renamed file is the
 * same comparison); contents are, through a memo of each file's hash by (path, size, mtime), so
 * an unchanged file is never read again and a changed one always is. Every entry is one JSON file
 * written atomically; an unreadable or damaged entry is a miss and is removed.
 *
 *     const key = await cache.keyFor(params);
 *     const report = (await cache.get(key)) ?? (await runCompare(params));
 *     await cache.put(key, report);
 */
export class ResultCache {
  private readonly reports: string;
  private readonly fingerprints: FileFingerprints;
  private readonly maxEntries: number;

  constructor(options: ResultCacheOptions) {
    this.reports = join(options.directory, 'reports');
    this.fingerprints = new FileFingerprints(join(options.directory, 'fingerprints.json'), options.hashFiles);
    this.maxEntries = options.maxEntries ?? 50;
  }

  /** The key of a comparison: SHA-256 of the canonical JSON of its resolved request, files by their contents' hashes. */
  async keyFor(request: CompareRequest, signal?: AbortSignal): Promise<string> {
    const beside = request.description === null ? [descriptionBeside(request.a), descriptionBeside(request.b)] : [null, null];
    const named = [request.a, request.b, request.data, request.fitData, request.description, ...beside];
    const files = [...new Set(named.filter((f): f is string => f !== null))];
    const hashes = await this.fingerprints.sha256(files, signal);
    const contents = (file: string | null) => (file === null ? null : hashes[files.indexOf(file)]!);
    const inputs = {
      ...request,
      version: KEY_VERSION,
      a: contents(request.a),
      b: contents(request.b),
      data: contents(request.data),
      fitData: contents(request.fitData),
      description: contents(request.description),
      descriptionsBeside: beside.map(contents),
    };
    return createHash('sha256').update(canonicalJson(inputs)).digest('hex');
  }

  async get(key: string): Promise<CompareReport | undefined> {
    if (!KEY.test(key)) return undefined;
    const file = this.entry(key);
    let report: unknown;
    try {
      report = JSON.parse(await readFile(file, 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      await rm(file, { force: true });
      return undefined;
    }
    if (!looksLikeReport(report)) {
      await rm(file, { force: true });
      return undefined;
    }
    // Reading counts as use: the bound drops the entries least recently written or read.
    const now = new Date();
    await utimes(file, now, now).catch(() => undefined);
    return report;
  }

  async put(key: string, report: CompareReport): Promise<void> {
    if (!KEY.test(key)) throw new Error(`'${key}' is not a result cache key`);
    await mkdir(this.reports, { recursive: true });
    const text = JSON.stringify(report);
    await writeAtomically(this.entry(key), { overwrite: true }, (handle) => handle.writeFile(text, 'utf8'));
    await this.trim();
  }

  private entry(key: string): string {
    return join(this.reports, `${key}.json`);
  }

  private async trim(): Promise<void> {
    const names = (await readdir(this.reports)).filter((name) => KEY.test(name.replace(/\.json$/, '')) && name.endsWith('.json'));
    if (names.length <= this.maxEntries) return;
    const dated = await Promise.all(
      names.map(async (name) => ({ name, mtimeMs: (await stat(join(this.reports, name)).catch(() => undefined))?.mtimeMs ?? 0 })),
    );
    dated.sort((x, y) => y.mtimeMs - x.mtimeMs);
    await Promise.all(dated.slice(this.maxEntries).map(({ name }) => rm(join(this.reports, name), { force: true })));
  }
}

/** JSON with every object's keys sorted, so equal inputs give equal text whatever order they were built in. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Enough of the shape that the panel can draw it; anything else is a damaged entry. */
function looksLikeReport(value: unknown): value is CompareReport {
  const r = value as Partial<CompareReport> | null;
  return !!r && r.version === REPORT_VERSION && typeof r.request === 'object' && r.request !== null && typeof r.methods === 'object' && r.methods !== null && Array.isArray(r.layers) && Array.isArray(r.alphas);
}
