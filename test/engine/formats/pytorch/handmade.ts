import { buildZip } from '../../../helpers/buildZip';
import { op, pickle } from '../../../helpers/pickleAssembler';

/**
 * Hand-made pickles and archives for the tests of hostile and unusual checkpoints: storage
 * references, tensors and state_dicts in pickle opcodes, and stored zip archives around them.
 */

/** The pickle of a storage reference, as torch.save writes it. */
export function storageRef(storageClass: string, key: string, numel: number): number[] {
  return [
    op.mark, ...op.str('storage'), ...op.global('torch', storageClass), ...op.str(key), ...op.str('cpu'), ...op.int(numel), op.tuple,
    op.binpersid,
  ];
}

function intTuple(values: readonly number[]): number[] {
  return [op.mark, ...values.flatMap((v) => op.int(v)), op.tuple];
}

/** The pickle of `_rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())`. */
export function tensorV2(storage: readonly number[], offset: number, size: readonly number[], stride: readonly number[]): number[] {
  return [
    ...op.global('torch._utils', '_rebuild_tensor_v2'),
    op.mark, ...storage, ...op.int(offset), ...intTuple(size), ...intTuple(stride), op.false,
    ...op.global('collections', 'OrderedDict'), op.emptyTuple, op.reduce, op.tuple,
    op.reduce,
  ];
}

/** The pickle of a `{name: tensor, ...}` state_dict, whole (PROTO to STOP). */
export function stateDictPickle(entries: ReadonlyArray<readonly [string, readonly number[]]>): Uint8Array {
  return pickle(op.proto(2), op.emptyDict, op.mark, ...entries.flatMap(([name, tensor]) => [...op.str(name), ...tensor]), op.setitems, op.stop);
}

/** A zip archive of stored members, as torch.save writes it (without its alignment padding). */
export function zipBytes(members: ReadonlyArray<readonly [string, Uint8Array | string]>): Uint8Array {
  return buildZip(members.map(([name, content]) => ({ name, data: typeof content === 'string' ? new TextEncoder().encode(content) : content }))).bytes;
}
