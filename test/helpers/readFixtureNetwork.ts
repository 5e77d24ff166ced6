import { readNetwork } from '../../src/engine/architecture/loadNetwork';
import { openCheckpoint } from '../../src/engine/formats/openCheckpoint';
import type { Activation } from '../../src/shared/compareRequest';

/** A checkpoint file's network and parameters, the file closed again. */
export async function readFixtureNetwork(file: string, activation: Activation) {
  const checkpoint = await openCheckpoint(file);
  try {
    return await readNetwork(checkpoint, { activation });
  } finally {
    await checkpoint.close();
  }
}
