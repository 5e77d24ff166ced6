/**
 * The embedded demo at its default recipe: how long training both networks takes here, and the
 * test accuracy each reaches (the demo promises at least 93%). Exits 1 below that.
 *   node .esbuild.mjs --bench && node dist/bench/demoTraining.bench.js
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/engine/backend/tfBackend';
import { ensureDemoPair } from '../../src/engine/demo/demoFiles';
import { openSafetensors } from '../../src/engine/formats/safetensors/openSafetensors';

async function main(): Promise<number> {
  const backend = await initBackend();
  const dir = mkdtempSync(join(tmpdir(), 'merge-lens-demo-'));
  try {
    const started = performance.now();
    const files = await ensureDemoPair(dir, { onProgress: (m) => console.log(`  ${m}`) });
    console.log(`demo pair made in ${((performance.now() - started) / 1000).toFixed(1)} s on ${backend.detail}`);
    let ok = true;
    for (const file of [files.a, files.b]) {
      const checkpoint = await openSafetensors(file);
      const accuracy = Number(checkpoint.metadata.test_accuracy);
      await checkpoint.close();
      ok &&= accuracy >= 0.93;
    }
    return ok ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then((code) => (process.exitCode = code));
