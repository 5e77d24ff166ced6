import { compareCheckpoints } from '../engine/compare/compareCheckpoints';
import { resolveCompareRequest } from '../engine/compare/resolveRequest';
import { openCheckpoint } from '../engine/formats/openCheckpoint';
import { inspectCheckpoint } from '../engine/inspect/inspectCheckpoint';
import { fileSha256 } from '../engine/io/fileSha256';
import type { JobHandlers } from '../shared/workerProtocol';
import { exportJob, similarityJob } from './pairJobs';

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

  async fingerprint({ files }, progress) {
    const sha256: string[] = [];
    for (const [i, file] of files.entries()) {
      progress(`fingerprint: file ${i + 1}/${files.length}`, i / files.length);
      sha256.push(await fileSha256(file));
    }
    progress('done', 1);
    return { sha256 };
  },
};
