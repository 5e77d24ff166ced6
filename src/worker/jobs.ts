import { openCheckpoint } from '../engine/formats/openCheckpoint';
import { inspectCheckpoint } from '../engine/inspect/inspectCheckpoint';
import type { JobHandlers } from '../shared/workerProtocol';

/** What the worker does for each job of the protocol. */
export const jobHandlers: JobHandlers = {
  async inspect({ file, statsBudgetBytes }, progress) {
    progress('reading the header');
    const checkpoint = await openCheckpoint(file);
    try {
      return await inspectCheckpoint(checkpoint, {
        statsBudgetBytes,
        onTensor: (done, total) => progress(`statistics: tensor ${done}/${total}`, done / total),
      });
    } finally {
      await checkpoint.close();
    }
  },
};
