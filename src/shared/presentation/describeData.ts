import type { DatasetSummary } from '../compareReport';

const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`;

/**
 * One line about evaluation data, as the CLI and the HTML report print it:
 * "10000 examples, input 1×28×28, 10 classes", or for token sequences
 * "256 sequences of 4 tokens, 256 positions scored, ids below 32".
 */
export function describeData(d: Pick<DatasetSummary, 'count' | 'inputShape' | 'numClasses' | 'scoredPositions'>): string {
  if (d.scoredPositions !== undefined) {
    return `${plural(d.count, 'sequence')} of ${plural(d.inputShape[0] ?? 0, 'token')}, ${plural(d.scoredPositions, 'position')} scored, ids below ${d.numClasses}`;
  }
  return `${plural(d.count, 'example')}, input ${d.inputShape.join('×')}, ${plural(d.numClasses, 'class', 'classes')}`;
}
