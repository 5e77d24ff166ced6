/**
 * How inputs and labels are told apart by name, in an archive's keys (x_test / y_test) and in
 * sibling .npy files (images.npy / labels.npy). Names are compared case-insensitively, word by
 * word (words separated by _ - . or /), so that "X_test", "mnist_test_images" and "test.x" all
 * pair as expected while "xavier" is no "x".
 */

/** Input words, in order of preference, and the label words each pairs with. */
const PAIRS: ReadonlyArray<readonly [input: string, labels: readonly string[]]> = [
  ['x', ['y']],
  ['inputs', ['labels']],
  ['images', ['labels']],
  ['data', ['targets', 'labels']],
  ['features', ['labels']],
];

/** Which split a name is, by its words; the lower the rank, the better for evaluation. */
const SPLITS: ReadonlyArray<readonly [words: readonly string[], rank: number]> = [
  [['test', 't10k'], 0],
  [['val', 'valid', 'validation', 'eval', 'dev'], 1],
  [['train', 'training'], 3],
];
const NO_SPLIT_RANK = 2;

/** The pairs a message can name as what was expected. */
export const EXPECTED_PAIRS = 'x/y, inputs/labels, images/labels, data/targets, data/labels, features/labels (also with a split, as x_test/y_test or x_train/y_train)';

/** A name's words (even indices) and separators (odd indices), lower-cased. */
function words(name: string): string[] {
  return name.toLowerCase().split(/([_\-./])/);
}

function splitRank(parts: readonly string[]): number {
  for (let i = 0; i < parts.length; i += 2) {
    for (const [names, rank] of SPLITS) if (names.includes(parts[i]!)) return rank;
  }
  return NO_SPLIT_RANK;
}

export interface KeyPair {
  readonly inputs: string;
  readonly labels: string;
}

/**
 * Every inputs/labels pair among `keys`, best first: the test split before validation, before
 * no split, before train; then by the order of PAIRS.
 */
export function findKeyPairs(keys: readonly string[]): KeyPair[] {
  const byLower = new Map<string, string>();
  for (const key of keys) if (!byLower.has(key.toLowerCase())) byLower.set(key.toLowerCase(), key);
  const found: Array<KeyPair & { readonly rank: number; readonly order: number }> = [];
  for (const key of keys) {
    const parts = words(key);
    for (let i = 0; i < parts.length; i += 2) {
      PAIRS.forEach(([input, labelWords], p) => {
        if (parts[i] !== input) return;
        labelWords.forEach((labelWord, l) => {
          const partner = byLower.get([...parts.slice(0, i), labelWord, ...parts.slice(i + 1)].join(''));
          if (partner !== undefined) found.push({ inputs: key, labels: partner, rank: splitRank(parts), order: p * 10 + l });
        });
      });
    }
  }
  found.sort((a, b) => a.rank - b.rank || a.order - b.order);
  return found.map(({ inputs, labels }) => ({ inputs, labels }));
}

/** What a lone .npy file's name says it holds, and the names its partner may have. */
export interface NpyPartner {
  readonly role: 'inputs' | 'labels';
  readonly candidates: readonly string[];
}

/**
 * The partner names of a .npy file (x_test.npy → y_test.npy, images.npy → labels.npy, and back),
 * or undefined when its name has no input or label word.
 */
export function npyPartnerNames(name: string): NpyPartner | undefined {
  const stem = name.replace(/\.npy$/i, '');
  const parts = words(stem);
  const renamed = (i: number, word: string): string => `${[...parts.slice(0, i), word, ...parts.slice(i + 1)].join('')}.npy`;
  for (let i = 0; i < parts.length; i += 2) {
    const pair = PAIRS.find(([input]) => input === parts[i]);
    if (pair) return { role: 'inputs', candidates: pair[1].map((word) => renamed(i, word)) };
  }
  for (let i = 0; i < parts.length; i += 2) {
    const inputs = PAIRS.filter(([, labelWords]) => labelWords.includes(parts[i]!)).map(([input]) => input);
    if (inputs.length > 0) return { role: 'labels', candidates: inputs.map((word) => renamed(i, word)) };
  }
  return undefined;
}
