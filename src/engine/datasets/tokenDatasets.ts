import type { Checkpoint } from '../formats/checkpoint';
import { FormatError, clip, ensure } from '../io/formatError';
import { DTYPES, type DTypeKind } from '../tensors/dtype';
import { IGNORED_LABEL, type Dataset } from './dataset';
import { exampleLayout, grouped } from './datasetChecks';
import { dtypeName } from './inputScaling';

/** The arrays of a token-sequence file, named as Hugging Face's tokenizers and datasets name them. */
export const TOKEN_KEYS = { ids: 'input_ids', mask: 'attention_mask', labels: 'labels' } as const;

/** Hugging Face's label for a position no loss counts. */
export const HF_IGNORE_INDEX = -100;

/** Token ids must stay exact as float32, the type inputs are held in. */
export const TOKEN_ID_LIMIT = 2 ** 24;

/** Values streamed at a time: stored int64 ids are never held whole, only their float32 copy. */
const STREAM_ELEMENTS = 1 << 20;

/** The keys of one token-sequence file: input_ids always, the others when present. */
export interface TokenKeys {
  readonly ids: string;
  readonly mask?: string;
  readonly labels?: string;
}

/** The token keys among `keys` (compared case-insensitively), or undefined when there is no input_ids. */
export function findTokenKeys(keys: readonly string[]): TokenKeys | undefined {
  const find = (wanted: string): string | undefined => keys.find((k) => k.toLowerCase() === wanted);
  const ids = find(TOKEN_KEYS.ids);
  if (ids === undefined) return undefined;
  const mask = find(TOKEN_KEYS.mask);
  const labels = find(TOKEN_KEYS.labels);
  return { ids, ...(mask === undefined ? {} : { mask }), ...(labels === undefined ? {} : { labels }) };
}

/** Refuses a tensor whose dtype is none of `kinds`, before it is read. */
function ensureKind(checkpoint: Checkpoint, key: string, kinds: readonly DTypeKind[], expected: string): void {
  const { dtype } = checkpoint.info(key);
  ensure(kinds.includes(DTYPES[dtype].kind), checkpoint.file, () => `'${clip(key)}' is ${dtypeName(dtype)}; ${expected}`);
}

/** Refuses a tensor not shaped as the ids, before it is read. */
function ensureSameShape(checkpoint: Checkpoint, key: string, ids: string, shape: readonly number[]): void {
  const other = checkpoint.info(key).shape;
  ensure(
    other.length === shape.length && other.every((d, k) => d === shape[k]),
    checkpoint.file,
    () => `'${clip(key)}' has shape [${clip(other.join(', '))}] but '${clip(ids)}' has [${shape.join(', ')}]; one value per token is expected`,
  );
}

/** Streams a tensor's values as float32 into `visit(value, flat index)`; exact for every value the checks accept. */
async function eachValue(checkpoint: Checkpoint, key: string, visit: (value: number, at: number) => void): Promise<void> {
  let at = 0;
  await checkpoint.streamFloat32(key, STREAM_ELEMENTS, (chunk) => {
    for (let k = 0; k < chunk.length; k++) visit(chunk[k]!, at++);
  });
}

/**
 * Reads token sequences: `input_ids` [n, T] of any integer type, with an optional `attention_mask`
 * [n, T] of 0/1 and optional `labels` [n, T] in Hugging Face's convention (the logits at position t
 * are scored against labels[t + 1]; −100 is not scored). Without labels every next token is scored.
 * The inputs are the ids as float32, −1 wherever the mask is 0; the labels are one target per
 * position, IGNORED_LABEL at the last position, at −100, where the target is padding and where the
 * position itself is padding (its logits come from no token, so there is nothing to score).
 * numClasses is the largest id or target that counts, + 1; padding's ids count for nothing.
 */
export async function readTokenDataset(checkpoint: Checkpoint, keys: TokenKeys, format: Dataset['format'], leftAside: readonly string[]): Promise<Dataset> {
  const { file } = checkpoint;
  const shape = checkpoint.info(keys.ids).shape;
  ensure(shape.length === 2, file, () => `'${clip(keys.ids)}' has shape [${clip(shape.join(', '))}]; token ids are [sequences, positions]`);
  ensureKind(checkpoint, keys.ids, ['int', 'uint'], 'token ids are integers');
  const layout = exampleLayout(file, `'${clip(keys.ids)}'`, shape);
  const [count, length] = [layout.count, layout.size];
  if (keys.mask !== undefined) {
    ensureSameShape(checkpoint, keys.mask, keys.ids, shape);
    ensureKind(checkpoint, keys.mask, ['int', 'uint', 'bool'], 'an attention mask is 0/1 integers or booleans');
  }
  if (keys.labels !== undefined) {
    ensureSameShape(checkpoint, keys.labels, keys.ids, shape);
    ensureKind(checkpoint, keys.labels, ['int', 'uint'], `labels are integer token ids or ${HF_IGNORE_INDEX}`);
  }
  const where = (at: number): string => `sequence ${grouped(Math.floor(at / length))}, position ${at % length}`;

  const inputs = new Float32Array(count * length);
  let filled = 0;
  await checkpoint.streamFloat32(keys.ids, STREAM_ELEMENTS, (chunk) => {
    inputs.set(chunk, filled);
    filled += chunk.length;
  });
  const present = new Uint8Array(count * length).fill(1);
  let padded = 0;
  if (keys.mask !== undefined) {
    const key = keys.mask;
    await eachValue(checkpoint, key, (value, at) => {
      if (value !== 0 && value !== 1) throw new FormatError(file, `'${clip(key)}' holds ${value} at ${where(at)}; an attention mask is 0 (padding) or 1 (a token)`);
      if (value === 0) {
        present[at] = 0;
        inputs[at] = -1;
        padded++;
      }
    });
  }
  let largest = -1;
  for (let at = 0; at < inputs.length; at++) {
    if (!present[at]) continue;
    const id = inputs[at]!;
    if (!(id >= 0 && id < TOKEN_ID_LIMIT)) {
      throw new FormatError(file, `'${clip(keys.ids)}' holds ${id} at ${where(at)}; token ids run from 0 to ${grouped(TOKEN_ID_LIMIT - 1)} (exact in float32)`);
    }
    if (id > largest) largest = id;
  }

  // The label at each position, targets shifted by one below: input_ids themselves without labels.
  const targets = new Int32Array(count * length);
  if (keys.labels !== undefined) {
    const key = keys.labels;
    await eachValue(checkpoint, key, (value, at) => {
      if (value !== HF_IGNORE_INDEX && !(value >= 0 && value < TOKEN_ID_LIMIT)) {
        throw new FormatError(file, `'${clip(key)}' holds ${value} at ${where(at)}; labels are token ids (0 to ${grouped(TOKEN_ID_LIMIT - 1)}) or ${HF_IGNORE_INDEX} (not scored)`);
      }
      targets[at] = value;
    });
  } else {
    for (let at = 0; at < inputs.length; at++) targets[at] = present[at] ? inputs[at]! : HF_IGNORE_INDEX;
  }
  let scored = 0;
  for (let row = 0; row < inputs.length; row += length) {
    for (let t = 0; t < length; t++) {
      const at = row + t;
      const target = t + 1 < length && present[at] && present[at + 1] ? targets[at + 1]! : HF_IGNORE_INDEX;
      if (target === HF_IGNORE_INDEX) {
        targets[at] = IGNORED_LABEL;
      } else {
        targets[at] = target;
        scored++;
        if (target > largest) largest = target;
      }
    }
  }
  if (scored === 0) {
    throw new FormatError(
      file,
      length < 2
        ? `'${clip(keys.ids)}' holds sequences of one token: there is no next token to score`
        : `no position is scored: ${keys.labels === undefined ? 'every next token is padding' : `every label of '${clip(keys.labels)}' that a position predicts is ${HF_IGNORE_INDEX} or padding`}`,
    );
  }

  const notes = [
    `token sequences: ${grouped(count)} × ${length} ids from '${clip(keys.ids)}' (${dtypeName(checkpoint.info(keys.ids).dtype)}), held as float32`,
    keys.mask === undefined
      ? `no '${TOKEN_KEYS.mask}': every position is a token`
      : `attention mask from '${clip(keys.mask)}': ${grouped(padded)} padded position${padded === 1 ? '' : 's'}, read as id −1 (no embedding, never attended to)`,
    keys.labels === undefined
      ? `no '${TOKEN_KEYS.labels}': every next token is scored (the logits at position t against input_ids[t + 1]), except to or from padding`
      : `targets from '${clip(keys.labels)}' in Hugging Face's convention: the logits at position t are scored against labels[t + 1]; ${HF_IGNORE_INDEX} and padding are not scored`,
    `${grouped(scored)} of ${grouped(count * length)} positions scored; the vocabulary must cover ids up to ${grouped(largest)}`,
    ...(leftAside.length > 0 ? [`left aside: ${leftAside.map((k) => `'${clip(k)}'`).join(', ')}`] : []),
  ];
  return {
    file,
    format,
    count,
    inputShape: [length],
    inputs,
    labels: targets,
    numClasses: largest + 1,
    sequence: { length },
    notes,
  };
}
