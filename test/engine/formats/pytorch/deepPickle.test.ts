import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { openPytorch } from '../../../../src/engine/formats/pytorch/openPytorch';
import { FormatError } from '../../../../src/engine/io/formatError';
import { tempDir } from '../../../helpers/paths';
import { op, pickle } from '../../../helpers/pickleAssembler';
import { storageRef, zipBytes } from './handmade';

/** Pickles nested far deeper than any checkpoint must be refused in one line, not by a stack overflow. */

const DEEP = 20000;

function archive(name: string, pkl: Uint8Array): string {
  const file = join(tempDir(), name);
  writeFileSync(file, zipBytes([['archive/data.pkl', pkl], ['archive/data/0', new Uint8Array(new Float32Array([1, 2]).buffer)]]));
  return file;
}

async function refused(file: string, pattern: RegExp): Promise<void> {
  await assert.rejects(openPytorch(file), (error: unknown) => {
    assert.ok(error instanceof FormatError, `expected a FormatError, got ${String(error)}`);
    assert.ok(!error.message.includes('\n'), error.message);
    assert.ok(error.message.startsWith(`${basename(file)}: `), error.message);
    assert.match(error.message, pattern);
    return true;
  });
}

/** `{'w': _rebuild_from_type_v2(_rebuild_from_type_v2(... _rebuild_tensor_v2(storage 0, 0, (2,), (1,)) ...))}`, `depth` calls deep. */
function fromTypeChain(depth: number, type: readonly [string, string] = ['torch', 'Tensor']): Uint8Array {
  const fromType = op.global('torch._utils', '_rebuild_from_type_v2');
  const tensorArgs = [
    ...op.global('torch._utils', '_rebuild_tensor_v2'), ...op.global(...type),
    op.mark, ...storageRef('FloatStorage', '0', 2), ...op.int(0), ...op.int1(2), op.tuple1, ...op.int1(1), op.tuple1, op.false, op.emptyDict, op.tuple,
  ];
  // Each level's arguments are (func, type, args, state) with func the level below.
  return pickle(
    op.proto(2), op.emptyDict, ...op.str('w'), ...fromType, op.mark,
    ...Array(depth - 1).fill([...fromType, ...op.global(...type), op.mark]),
    ...tensorArgs,
    ...Array(depth - 1).fill([op.emptyDict, op.tuple]),
    op.emptyDict, op.tuple, op.reduce, op.setitem, op.stop,
  );
}

test('containers nested 20,000 deep are refused in one line naming the file', async () => {
  const nestings: Record<string, Uint8Array> = {
    'marked-lists': pickle(op.proto(2), ...Array(DEEP).fill(op.mark), ...Array(DEEP).fill(op.list), op.stop),
    'appended-lists': pickle(op.proto(2), ...Array(DEEP).fill(op.emptyList), ...Array(DEEP - 1).fill(op.append), op.stop),
    'tuples': pickle(op.proto(2), op.none, ...Array(DEEP).fill(op.tuple1), op.stop),
    'dicts': pickle(op.proto(2), ...Array(DEEP).fill([op.emptyDict, ...op.int1(1)]), op.none, ...Array(DEEP).fill(op.setitem), op.stop),
  };
  for (const [name, pkl] of Object.entries(nestings)) {
    await refused(archive(`${name}.pt`, pkl), /nests containers more than 100 levels deep$/);
  }
});

test('_rebuild_from_type_v2 calls nested 20,000 deep, or through a list that holds itself, are refused in one line', async () => {
  await refused(archive('from-type.pt', fromTypeChain(DEEP)), /the pickle nests torch\._utils\._rebuild_from_type_v2 calls more than 1000 levels deep; at most 1000 are read$/);
  // args = [_rebuild_from_type_v2, torch.Tensor, args, {}]: a chain without end.
  const fromType = op.global('torch._utils', '_rebuild_from_type_v2');
  const cyclic = pickle(
    op.proto(2), op.emptyDict, ...op.str('w'),
    op.emptyList, ...op.put(0), op.mark, ...fromType, ...op.global('torch', 'Tensor'), ...op.get(0), op.emptyDict, op.appends,
    ...fromType, op.mark, ...fromType, ...op.global('torch', 'Tensor'), ...op.get(0), op.emptyDict, op.tuple, op.reduce,
    op.setitem, op.stop,
  );
  await refused(archive('cyclic.pt', cyclic), /more than 1000 levels deep; at most 1000 are read$/);
});

test('a chain of 100 _rebuild_from_type_v2 calls still reads, as a Parameter when a level says so', async () => {
  for (const type of [['torch', 'Tensor'], ['torch.nn.parameter', 'Parameter']] as const) {
    const checkpoint = await openPytorch(archive('chain.pt', fromTypeChain(100, type)));
    try {
      assert.deepEqual(checkpoint.tensors.map((t) => t.name), ['w']);
      assert.deepEqual([...(await checkpoint.readFloat32('w'))], [1, 2]);
    } finally {
      await checkpoint.close();
    }
  }
});
