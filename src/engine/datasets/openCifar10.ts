import { openFileSource } from '../io/byteSource';
import { FormatError, ensure } from '../io/formatError';
import type { Dataset } from './dataset';
import { exampleLayout, grouped } from './datasetChecks';
import { scaleInputs } from './inputScaling';

/** One record: a label byte, then 1024 red, 1024 green and 1024 blue bytes, each plane 32×32 row-major. */
const PIXELS = 3 * 32 * 32;
const RECORD = 1 + PIXELS;
const CLASSES = 10;

/** Records read at once: about 12 MiB, so that no batch is held twice as bytes. */
const RECORDS_PER_READ = 4096;

/**
 * Opens a CIFAR-10 binary batch (data_batch_1.bin … data_batch_5.bin, test_batch.bin). The
 * planes are already channel-first, so each record is an example of shape [3, 32, 32] as is.
 * numClasses is 10, the dataset's, even when a small batch lacks some class.
 */
export async function openCifar10(file: string): Promise<Dataset> {
  const source = await openFileSource(file);
  try {
    const remainder = source.size % RECORD;
    ensure(
      remainder === 0,
      file,
      () => `is ${grouped(source.size)} bytes, not a whole number of ${grouped(RECORD)}-byte CIFAR-10 records (1 label byte + ${grouped(PIXELS)} pixel bytes): ${grouped(remainder)} bytes left over`,
    );
    const { count, inputShape } = exampleLayout(file, 'CIFAR-10 records', [source.size / RECORD, 3, 32, 32]);
    const inputs = new Float32Array(count * PIXELS);
    const labels = new Int32Array(count);
    for (let first = 0; first < count; first += RECORDS_PER_READ) {
      const n = Math.min(RECORDS_PER_READ, count - first);
      const bytes = await source.read(first * RECORD, n * RECORD);
      for (let r = 0; r < n; r++) {
        const label = bytes[r * RECORD]!;
        if (label >= CLASSES) {
          throw new FormatError(file, `record ${grouped(first + r)} has label ${label}; CIFAR-10 labels are 0..9 (a CIFAR-100 file has 2 label bytes per record and is not read here)`);
        }
        labels[first + r] = label;
        inputs.set(bytes.subarray(r * RECORD + 1, (r + 1) * RECORD), (first + r) * PIXELS);
      }
    }
    const scaling = scaleInputs('U8', inputs, 'pixels');
    return {
      file,
      format: 'cifar10',
      count,
      inputShape,
      inputs,
      labels,
      numClasses: CLASSES,
      notes: [
        `${grouped(count)} records of 1 label byte + 3 planes (R, G, B) of 32×32 bytes, read as [3, 32, 32]`,
        scaling,
        'numClasses is 10, the CIFAR-10 classes, whichever labels this batch holds',
      ],
    };
  } finally {
    await source.close();
  }
}
