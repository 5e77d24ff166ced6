import { basename } from 'node:path';
import { openFileSource, type ByteSource } from '../../io/byteSource';
import { FormatError, clip, ensure } from '../../io/formatError';
import { StoredCheckpoint, type StoredTensor } from '../../tensors/storedTensor';
import type { Checkpoint } from '../checkpoint';
import { resolveSibling } from '../siblingPath';
import { isJsonObject, readJsonObjectFile } from '../strictJson';
import { MAX_HEADER_BYTES, readSafetensorsHeader } from './openSafetensors';

/** Index metadata values are free-form JSON (`total_size` is a number); the Checkpoint shows text. */
function metadataText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Opens a sharded safetensors checkpoint through its `*.safetensors.index.json`: every shard's
 * header is read and checked against the index's weight_map; tensor bytes stay in the shards.
 */
export async function openShardedSafetensors(indexFile: string): Promise<Checkpoint> {
  // An index lists tensor names only, so a safetensors header's bound is ample for it.
  const index = await readJsonObjectFile(indexFile, MAX_HEADER_BYTES, 'index');
  const { metadata: indexMetadata, weight_map: weightMap } = index;
  ensure(isJsonObject(weightMap), indexFile, 'has no weight_map object mapping tensor names to shard files');
  ensure(
    indexMetadata === undefined || indexMetadata === null || isJsonObject(indexMetadata),
    indexFile,
    'has a metadata entry that is not an object',
  );

  // Shards in name order, which for the usual model-0000k-of-0000n names is the order they were written.
  const shardOf = new Map<string, string>();
  for (const [tensor, shard] of Object.entries(weightMap)) {
    ensure(typeof shard === 'string', indexFile, `weight_map entry for tensor '${clip(tensor)}' is not a file name`);
    shardOf.set(tensor, shard);
  }
  const shardNames = [...new Set(shardOf.values())].sort();
  const shardPaths = shardNames.map((name) => resolveSibling(indexFile, name, 'shard'));

  const sources: ByteSource[] = [];
  try {
    const stored: StoredTensor[] = [];
    for (const [i, shardName] of shardNames.entries()) {
      const path = shardPaths[i]!;
      let source: ByteSource;
      try {
        source = await openFileSource(path);
      } catch (error) {
        const why = error instanceof FormatError ? error.problem : String(error);
        throw new FormatError(indexFile, `shard '${clip(shardName)}' listed in the weight_map cannot be read: ${why}`);
      }
      sources.push(source);
      const { tensors } = await readSafetensorsHeader(source, path);
      const held = new Set<string>();
      for (const tensor of tensors) {
        const name = tensor.info.name;
        const mapped = shardOf.get(name);
        if (mapped === undefined) {
          throw new FormatError(indexFile, `shard '${clip(shardName)}' holds tensor '${clip(name)}', which the weight_map does not list`);
        }
        if (mapped !== shardName) {
          throw new FormatError(indexFile, `shard '${clip(shardName)}' holds tensor '${clip(name)}', which the weight_map assigns to '${clip(mapped)}'`);
        }
        held.add(name);
        stored.push(tensor);
      }
      for (const [name, mapped] of shardOf) {
        if (mapped === shardName && !held.has(name)) {
          throw new FormatError(indexFile, `the weight_map puts tensor '${clip(name)}' in shard '${clip(shardName)}', which does not hold it`);
        }
      }
    }

    const metadata: Record<string, string> = {};
    for (const [key, value] of Object.entries(indexMetadata ?? {})) metadata[key] = metadataText(value);
    metadata.shards = String(shardNames.length);
    const notes = shardNames.length === 0 ? [`${basename(indexFile)} lists no tensors`] : [];
    return new StoredCheckpoint(indexFile, 'safetensors-sharded', stored, metadata, notes, sources);
  } catch (error) {
    await Promise.all(sources.map((source) => source.close()));
    throw error;
  }
}
