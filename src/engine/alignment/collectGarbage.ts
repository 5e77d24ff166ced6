import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | null = null;

/**
 * A full garbage collection, now. V8 frees typed arrays that nothing references only at its next
 * collection, which it schedules by how much was allocated since the last: a loop that reads and
 * drops hundreds of megabytes a step can then hold the dropped steps too. Streaming calls this
 * between parts so its peak is the bound it states. The collector is asked for once, through a
 * new context (Node exposes `gc` only with --expose-gc), and the flag is cleared again so no other
 * context sees it.
 */
export function collectGarbage(): void {
  if (!collect) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
    setFlagsFromString('--no-expose-gc');
  }
  collect();
}
