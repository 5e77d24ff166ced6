/// <reference types="mocha" />
/**
 * Inside the real extension host (code-server), through vscode.commands.executeCommand, as a
 * script or another extension would call Merge Lens: every number checked against the CLI's
 * report for the same inputs, against PyTorch's own listing of a checkpoint, or against the
 * checkpoints' tensors read back from disk.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { openSafetensors } from '../../../src/engine/formats/safetensors/openSafetensors';
import type { CompareArguments, ExportArguments } from '../../../src/extension/commandArguments';
import type { CompareReport } from '../../../src/shared/compareReport';
import type { InspectReport } from '../../../src/shared/inspectReport';

const folder = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
const file = (name: string) => join(folder, name);
const demo = { a: file('demo-a.safetensors'), b: file('demo-b.safetensors'), data: file('demo-test.safetensors') };
/** `merge-lens demo`'s report.json for these very files, copied in by the scenario. */
const cliReport = JSON.parse(readFileSync(file('cli-report.json'), 'utf8')) as CompareReport;

function compare(args: CompareArguments): Thenable<CompareReport | undefined> {
  return vscode.commands.executeCommand<CompareReport | undefined>('mergeLens.compareCheckpoints', args);
}

async function readTensor(path: string, name: string): Promise<Float32Array> {
  const checkpoint = await openSafetensors(path);
  try {
    return await checkpoint.readFloat32(name);
  } finally {
    await checkpoint.close();
  }
}

describe('Merge Lens commands in the extension host', () => {
  let report: CompareReport;

  before(async () => {
    const extension = vscode.extensions.getExtension('merge-lens.merge-lens');
    assert.ok(extension, 'the extension under test is loaded');
  });

  it('compareCheckpoints with arguments runs in the worker and returns the barriers the CLI reports', async () => {
    const result = await compare({ ...demo, methods: ['naive', 'weight', 'activation', 'covariance'] });
    assert.ok(result, 'a report');
    report = result;
    assert.deepEqual(Object.keys(report.methods), Object.keys(cliReport.methods));
    for (const [method, r] of Object.entries(report.methods)) {
      const expected = cliReport.methods[method as keyof typeof cliReport.methods]!;
      assert.ok(Math.abs(r.barrier!.loss - expected.barrier!.loss) < 1e-6, `${method} loss barrier ${r.barrier!.loss} vs CLI ${expected.barrier!.loss}`);
      assert.ok(Math.abs(r.barrier!.accuracy - expected.barrier!.accuracy) < 1e-9, `${method} accuracy barrier`);
      assert.deepEqual(r.matching.map((m) => m.permutation), expected.matching.map((m) => m.permutation), `${method} permutations`);
      assert.equal(r.equivalent, true);
    }
    assert.equal(report.backend, cliReport.backend);
  });

  it('the same comparison again comes from the result cache, unchanged', async () => {
    const started = Date.now();
    const again = await compare({ ...demo, methods: ['naive', 'weight', 'activation', 'covariance'] });
    assert.ok(again);
    assert.equal(again.createdAt, report.createdAt, 'the cached report, not a new run');
    assert.ok(Date.now() - started < 20_000);
  });

  it('exportAligned writes π(B) next to B: B\'s rows permuted by the report\'s permutation', async () => {
    const args: ExportArguments = { method: 'weight' };
    const written = await vscode.commands.executeCommand<string | undefined>('mergeLens.exportAligned', args);
    assert.equal(written, file('demo-b.aligned-weight.safetensors'));
    assert.ok(existsSync(written));
    const perm = report.methods.weight!.matching[0]!.permutation;
    const b = await readTensor(demo.b, 'layers.0.weight');
    const aligned = await readTensor(written, 'layers.0.weight');
    const inputs = b.length / perm.length;
    for (const i of [0, 1, 7, perm.length - 1]) {
      assert.deepEqual(aligned.subarray(i * inputs, (i + 1) * inputs), b.subarray(perm[i]! * inputs, (perm[i]! + 1) * inputs), `row ${i} is B's row ${perm[i]}`);
    }
  });

  it('exportMerged at α = 0.25 writes 0.75·A + 0.25·π(B)', async () => {
    const args: ExportArguments = { method: 'weight', alpha: 0.25 };
    const written = await vscode.commands.executeCommand<string | undefined>('mergeLens.exportMerged', args);
    assert.equal(written, file('demo-b.merged-weight-alpha0.25.safetensors'));
    const a = await readTensor(demo.a, 'layers.1.bias');
    const alignedB = await readTensor(file('demo-b.aligned-weight.safetensors'), 'layers.1.bias');
    const merged = await readTensor(written!, 'layers.1.bias');
    for (let i = 0; i < merged.length; i++) assert.ok(Math.abs(merged[i]! - (0.75 * a[i]! + 0.25 * alignedB[i]!)) < 1e-6, `bias ${i}`);
  });

  it('inspectCheckpoint lists a PyTorch file\'s tensors exactly as PyTorch saved them', async () => {
    const inspected = await vscode.commands.executeCommand<InspectReport | undefined>('mergeLens.inspectCheckpoint', vscode.Uri.file(file('mlp.pt')));
    assert.ok(inspected);
    const expected = (JSON.parse(readFileSync(file('mlp.expected.json'), 'utf8')) as { tensors: { name: string; dtype: string; shape: number[] }[] }).tensors;
    assert.deepEqual(
      inspected.tensors.map((t) => [t.name, t.dtype, t.shape]),
      expected.map((t) => [t.name, t.dtype, t.shape]),
    );
  });

  it('a corrupt checkpoint resolves to no report, and the next comparison still runs', async () => {
    assert.equal(await compare({ a: file('corrupt.safetensors'), b: demo.b }), undefined);
    const weightsOnly = await compare({ a: demo.a, b: demo.b });
    assert.ok(weightsOnly);
    assert.equal(weightsOnly.data, null);
    assert.deepEqual(Object.keys(weightsOnly.methods), ['naive', 'weight']);
    assert.deepEqual(weightsOnly.methods.weight!.matching.map((m) => m.permutation), report.methods.weight!.matching.map((m) => m.permutation), 'weight matching needs no data');
  });

  it('a malformed argument object is refused with a message saying what is wrong', async () => {
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('mergeLens.compareCheckpoints', { a: demo.a, b: 3 })),
      /`a` and `b` must be absolute file paths/,
    );
  });
});
