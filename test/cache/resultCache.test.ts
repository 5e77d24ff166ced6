import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ResultCache, canonicalJson, type HashFiles } from '../../src/cache/resultCache';
import { fileSha256 } from '../../src/engine/io/fileSha256';
import type { CompareReport } from '../../src/shared/compareReport';
import { resolveCompareRequest } from '../../src/engine/compare/resolveRequest';
import type { CompareRequest } from '../../src/shared/compareRequest';
import { fixture, tempDir } from '../helpers/paths';

/** A workspace of its own per test: copies of the fixture pair and data, so tests may change them. */
function workspace() {
  const dir = tempDir();
  const files = { a: join(dir, 'a.pt'), b: join(dir, 'b.pt'), data: join(dir, 'eval.npz') };
  copyFileSync(fixture('compare', 'a.pt'), files.a);
  copyFileSync(fixture('compare', 'b.pt'), files.b);
  copyFileSync(fixture('compare', 'eval.npz'), files.data);
  const hashed: string[] = [];
  const hashFiles: HashFiles = async (list) => {
    hashed.push(...list);
    return Promise.all(list.map(fileSha256));
  };
  const storage = join(dir, 'storage');
  const params: CompareRequest = resolveCompareRequest({ a: files.a, b: files.b, data: files.data, methods: ['naive', 'weight'] });
  return { dir, files, hashed, hashFiles, storage, params, cache: (maxEntries?: number) => new ResultCache({ directory: storage, hashFiles, ...(maxEntries ? { maxEntries } : {}) }) };
}

function report(tag: string): CompareReport {
  return {
    version: 3, createdAt: tag, tool: 'merge-lens 0.1.0', request: resolveCompareRequest({ a: 'a.pt', b: 'b.pt' }),
    checkpoints: { a: { file: 'a.pt', format: 'pytorch' }, b: { file: 'b.pt', format: 'pytorch' } },
    data: null, equivalenceInputs: 'random',
    architecture: { kind: 'mlp', activation: 'relu', inputSize: 784, inputShape: [784], outputSize: 10, description: null, notes: [], normalization: null },
    layers: [], groups: [], bnReset: null, alphas: [0, 1], backend: 'cpu', backendDetail: 'cpu', methods: {}, dimS: [], warnings: [],
  };
}

test('a report put under a key comes back from a fresh cache on the same folder', async () => {
  const w = workspace();
  const key = await w.cache().keyFor(w.params);
  assert.match(key, /^[0-9a-f]{64}$/);
  assert.equal(await w.cache().get(key), undefined);
  await w.cache().put(key, report('first'));
  const again = w.cache();
  assert.equal(await again.keyFor(w.params), key);
  assert.deepEqual(await again.get(key), report('first'));
});

test('the key is SHA-256 over the canonical JSON of the resolved request, each file by its contents\' hash', async () => {
  const w = workspace();
  const sha = (f: string) => fileSha256(f);
  const expected = canonicalJson({
    ...w.params, version: 5, a: await sha(w.files.a), b: await sha(w.files.b), data: await sha(w.files.data), fitData: await sha(w.files.data), description: null,
    descriptionsBeside: [null, null],
  });
  const { createHash } = await import('node:crypto');
  assert.equal(await w.cache().keyFor(w.params), createHash('sha256').update(expected).digest('hex'));
  // Canonical: key order does not matter, nested objects included.
  assert.equal(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: null } }), '{"a":{"c":null,"d":[1,{"e":3,"f":2}]},"b":1}');
});

test('changing a checkpoint on disk, or any choice, the activation or the data, changes the key', async () => {
  const w = workspace();
  const cache = w.cache();
  const key = await cache.keyFor(w.params);
  await cache.put(key, report('old'));
  const fit = join(w.dir, 'fit.npz');
  writeFileSync(fit, 'other contents');
  const keys = new Set([key]);
  for (const changed of [
    { ...w.params, alphas: 26 },
    { ...w.params, seed: 1 },
    { ...w.params, methods: ['weight' as const] },
    { ...w.params, fitSamples: 100 },
    { ...w.params, llfcSamples: 100 },
    { ...w.params, bnReset: false },
    { ...w.params, activation: 'tanh' as const },
    { ...w.params, data: null, fitData: null },
    { ...w.params, fitData: fit },
    { ...w.params, a: w.files.b, b: w.files.a },
  ]) keys.add(await cache.keyFor(changed));
  assert.equal(keys.size, 11);

  // Same size, new contents and a new mtime: a different key, so the old report is a miss.
  const bytes = readFileSync(w.files.b);
  bytes[bytes.length - 1] ^= 0xff;
  writeFileSync(w.files.b, bytes);
  utimesSync(w.files.b, new Date(), new Date(Date.now() + 5000));
  const after = await cache.keyFor(w.params);
  assert.notEqual(after, key);
  assert.equal(await cache.get(after), undefined);
});

test('choices that mean the same comparison share one key: defaults spelled out, the fit data named as the evaluation data, methods in another order', async () => {
  const w = workspace();
  const cache = w.cache();
  const key = await cache.keyFor(w.params);
  const same = resolveCompareRequest({
    a: w.files.a, b: w.files.b, data: w.files.data, fitData: w.files.data, methods: ['weight', 'naive', 'weight'],
    alphas: 25, seed: 0, restarts: 8, activation: 'relu', backend: 'auto', bnReset: true, layerBarriers: true, fitSamples: 2000, llfcSamples: 2000, repair: false,
  });
  assert.equal(await cache.keyFor(same), key);
});

test('a description file beside a checkpoint, which the engine reads when none is named, is part of the key', async () => {
  const w = workspace();
  const cache = w.cache();
  const inferred = await cache.keyFor(w.params);
  writeFileSync(join(w.dir, 'b.pt.arch.json'), '{"format": "merge-lens/architecture@1", "layers": []}');
  const described = await cache.keyFor(w.params);
  assert.notEqual(described, inferred);
  writeFileSync(join(w.dir, 'b.pt.arch.json'), '{"format": "merge-lens/architecture@1", "layers": [], "input": [784]}');
  utimesSync(join(w.dir, 'b.pt.arch.json'), new Date(), new Date(Date.now() + 5000));
  const edited = await cache.keyFor(w.params);
  assert.notEqual(edited, described);
  // Named explicitly, the same file is the description of both, whatever lies beside them.
  const named = await cache.keyFor({ ...w.params, description: join(w.dir, 'b.pt.arch.json') });
  assert.notEqual(named, edited);
});

test('the memo hashes each unchanged file once, across cache instances; a touched file is hashed again', async () => {
  const w = workspace();
  await w.cache().keyFor(w.params);
  assert.deepEqual(w.hashed.sort(), [w.files.a, w.files.b, w.files.data].sort());
  w.hashed.length = 0;
  await w.cache().keyFor(w.params);
  await w.cache().keyFor({ ...w.params, seed: 3 });
  assert.deepEqual(w.hashed, []);
  utimesSync(w.files.a, new Date(), new Date(Date.now() + 5000));
  await w.cache().keyFor(w.params);
  assert.deepEqual(w.hashed, [w.files.a]);
  // A file given twice (A compared with itself) is hashed once.
  w.hashed.length = 0;
  utimesSync(w.files.a, new Date(), new Date(Date.now() + 9000));
  await w.cache().keyFor({ ...w.params, b: w.files.a });
  assert.deepEqual(w.hashed, [w.files.a]);
});

test('a damaged or unreadable entry is a miss and is removed; so is a damaged memo, which is rebuilt', async () => {
  const w = workspace();
  const cache = w.cache();
  const key = await cache.keyFor(w.params);
  await cache.put(key, report('x'));
  const entry = join(w.storage, 'reports', `${key}.json`);
  // The last two: a report from before reports carried their request, and one of the previous
  // schema (no Wasserstein distances), under a key that could only come from a stray file.
  const previousSchema = JSON.stringify({ version: 1, request: {}, methods: {}, layers: [], alphas: [0, 1] });
  for (const damage of ['{"version": 2, "methods": {', '{"version": 3}', 'null', '{"version": 2, "methods": {}, "layers": [], "alphas": [0, 1]}', previousSchema]) {
    writeFileSync(entry, damage);
    assert.equal(await cache.get(key), undefined, damage);
    assert.deepEqual(readdirSync(join(w.storage, 'reports')), []);
    await cache.put(key, report('x'));
  }
  writeFileSync(join(w.storage, 'fingerprints.json'), 'not json');
  w.hashed.length = 0;
  assert.equal(await w.cache().keyFor(w.params), key);
  assert.equal(w.hashed.length, 3);
  assert.ok(JSON.parse(readFileSync(join(w.storage, 'fingerprints.json'), 'utf8')));
  // Keys come from restored webview state too: anything but a key reads nothing.
  assert.equal(await cache.get('../fingerprints'), undefined);
});

test('the cache keeps its newest entries: a read counts as use', async () => {
  const w = workspace();
  const cache = w.cache(3);
  const keys = await Promise.all([0, 1, 2, 3, 4].map((seed) => cache.keyFor({ ...w.params, seed })));
  const base = Date.now() / 1000;
  for (const [i, key] of keys.slice(0, 3).entries()) {
    await cache.put(key, report(String(i)));
    // Distinct mtimes, oldest first, whatever the file system's clock resolution.
    utimesSync(join(w.storage, 'reports', `${key}.json`), base - 100 + i, base - 100 + i);
  }
  assert.ok(await cache.get(keys[0]!));
  await cache.put(keys[3]!, report('3'));
  await cache.put(keys[4]!, report('4'));
  const kept = readdirSync(join(w.storage, 'reports')).map((n) => n.replace('.json', '')).sort();
  assert.deepEqual(kept, [keys[0]!, keys[3]!, keys[4]!].sort());
  assert.equal(await cache.get(keys[1]!), undefined);
  assert.equal((await cache.get(keys[4]!))?.createdAt, '4');
});

test('no leftover temporary files: every write is renamed into place', async () => {
  const w = workspace();
  const cache = w.cache();
  const key = await cache.keyFor(w.params);
  await cache.put(key, report('x'));
  assert.deepEqual(readdirSync(w.storage).sort(), ['fingerprints.json', 'reports']);
  assert.deepEqual(readdirSync(join(w.storage, 'reports')), [`${key}.json`]);
});
