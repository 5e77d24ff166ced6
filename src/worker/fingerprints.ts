import { fileSha256 } from '../engine/io/fileSha256';
import type { ReportProgress } from '../shared/workerProtocol';

/** SHA-256 of each file's contents, one file after another (they may be gigabytes each). */
export async function sha256Of(files: readonly string[], progress?: ReportProgress): Promise<string[]> {
  const sha256: string[] = [];
  for (const [i, file] of files.entries()) {
    progress?.(`fingerprint: file ${i + 1}/${files.length}`, i / files.length);
    sha256.push(await fileSha256(file));
  }
  return sha256;
}
