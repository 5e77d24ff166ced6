/**
 * Which files the editor offers as series manifests: JSON files that are neither a checkpoint
 * (model.json, *.safetensors.index.json: the checkpoint registry's names) nor an architecture
 * description (*.arch.json). One rule for the manifest picker and package.json's explorer menu.
 */
import { CHECKPOINT_NAME_REGEX_SOURCE, isCheckpointName } from './checkpointFormats';

const DESCRIPTION_ENDING = '\\.arch\\.json$';

/** The body of the regular expression package.json's manifest menu tests `resourceFilename` against, built from the checkpoint registry's. */
export const MANIFEST_NAME_REGEX_SOURCE = `^(?!.*(?:${CHECKPOINT_NAME_REGEX_SOURCE}|${DESCRIPTION_ENDING})).*\\.json$`;

/** package.json's `when` condition on a manifest's file name. */
export const MANIFEST_WHEN_CLAUSE = `resourceFilename =~ /${MANIFEST_NAME_REGEX_SOURCE}/i`;

/** A workspace search for manifests (filter with isManifestName). */
export const MANIFEST_GLOB = '**/*.json';

export function isManifestName(path: string): boolean {
  const name = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
  return /\.json$/i.test(name) && !isCheckpointName(name) && !new RegExp(DESCRIPTION_ENDING, 'i').test(name);
}
