import { compareCheckpoints } from '../engine/compare/compareCheckpoints';
import { resolveCompareRequest } from '../engine/compare/resolveRequest';
import { openCheckpoint } from '../engine/formats/openCheckpoint';
import { inspectCheckpoint } from '../engine/inspect/inspectCheckpoint';
import type { JobHandlers } from '../shared/workerProtocol';
import { sha256Of } from './fingerprints';
import { exportJob, similarityJob } from './pairJobs';
import { seriesJob } from './seriesJob';

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

  async compare({ request, threads }, progress) {
    // The message is mapped to the resolved request like the CLI's flags and the settings are.
    const { report } = await compareCheckpoints(resolveCompareRequest(request), { threads, onProgress: progress });
    return report;
  },

  similarity: similarityJob,

  export: exportJob,

  series: seriesJob,

  async fingerprint({ files }, progress) {
    const sha256 = await sha256Of(files, progress);
    progress('done', 1);
    return { sha256 };
  },
};
