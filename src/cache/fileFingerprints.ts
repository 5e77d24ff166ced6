import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { writeAtomically } from '../engine/export/atomicFile';

/** Hashes files' contents (SHA-256, hex), one per file in order: the extension runs the worker's `fingerprint` job. */
export type HashFiles = (files: readonly string[], signal?: AbortSignal) => Promise<readonly string[]>;

interface Fingerprint {
  readonly size: number;
  readonly mtimeMs: number;
  readonly sha256: string;
}

/** Records kept: enough for every checkpoint and dataset a workspace compares, small enough to rewrite each time. */
const MAX_RECORDS = 500;

/**
 * The contents' SHA-256 of files, remembered by (absolute path, size, mtimeMs) so that an
 * unchanged multi-gigabyte checkpoint is hashed once, not on every comparison. The memo lives in
 * one JSON file; a missing or damaged memo only costs hashing again. Any write to a file changes
 * its mtime (and usually its size), which is what invalidates its record.
 */
export class FileFingerprints {
  private records: Map<string, Fingerprint> | undefined;

  constructor(
    private readonly memoFile: string,
    private readonly hashFiles: HashFiles,
  ) {}

  async sha256(files: readonly string[], signal?: AbortSignal): Promise<string[]> {
    const records = await this.load();
    const paths = files.map((f) => resolve(f));
    const before = new Map(await Promise.all(paths.map(async (p) => [p, await statOrUndefined(p)] as const)));
    const stale = [...before].filter(([p, now]) => !matches(records.get(p), now)).map(([p]) => p);
    const fresh = new Map<string, string>();
    if (stale.length > 0) {
      const hashes = await this.hashFiles(stale, signal);
      for (const [i, p] of stale.entries()) {
        fresh.set(p, hashes[i]!);
        const was = before.get(p);
        const now = await statOrUndefined(p);
        records.delete(p);
        // A file written to while it was hashed has no trustworthy hash to remember.
        if (was && now && was.size === now.size && was.mtimeMs === now.mtimeMs) records.set(p, { size: now.size, mtimeMs: now.mtimeMs, sha256: hashes[i]! });
      }
      await this.save(records);
    }
    return paths.map((p) => fresh.get(p) ?? records.get(p)!.sha256);
  }

  private async load(): Promise<Map<string, Fingerprint>> {
    if (this.records) return this.records;
    let records = new Map<string, Fingerprint>();
    try {
      const parsed: unknown = JSON.parse(await readFile(this.memoFile, 'utf8'));
      if (parsed && typeof parsed === 'object') {
        records = new Map(Object.entries(parsed as Record<string, unknown>).filter((e): e is [string, Fingerprint] => isFingerprint(e[1])));
      }
    } catch {
      // No memo yet, or a damaged one: every file is hashed again and the memo rewritten.
    }
    this.records = records;
    return records;
  }

  private async save(records: Map<string, Fingerprint>): Promise<void> {
    // Insertion order is recency order (records are re-inserted when refreshed): the oldest go first.
    for (const path of records.keys()) {
      if (records.size <= MAX_RECORDS) break;
      records.delete(path);
    }
    const text = JSON.stringify(Object.fromEntries(records));
    await mkdir(dirname(this.memoFile), { recursive: true });
    await writeAtomically(this.memoFile, { overwrite: true }, (handle) => handle.writeFile(text, 'utf8'));
  }
}

async function statOrUndefined(path: string): Promise<{ size: number; mtimeMs: number } | undefined> {
  try {
    const { size, mtimeMs } = await stat(path);
    return { size, mtimeMs };
  } catch {
    // Unreadable: left to the hash function, whose error names the file.
    return undefined;
  }
}

function matches(record: Fingerprint | undefined, now: { size: number; mtimeMs: number } | undefined): boolean {
  return record !== undefined && now !== undefined && record.size === now.size && record.mtimeMs === now.mtimeMs;
}

function isFingerprint(value: unknown): value is Fingerprint {
  const v = value as Partial<Fingerprint> | null;
  return !!v && typeof v.size === 'number' && typeof v.mtimeMs === 'number' && typeof v.sha256 === 'string' && /^[0-9a-f]{64}$/.test(v.sha256);
}
