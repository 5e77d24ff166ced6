import { clip, FormatError } from '../../io/formatError';
import { PickleDict, PickleSet, PickleTuple, Placeholder, type PickleValue } from './pickleValues';
import { placeholderGlobal, refusal, TorchStorage, TorchTensor } from './torchGlobals';

/**
 * Finds the weights in what a checkpoint's data.pkl unpickled to: the state_dict itself, a
 * state_dict under one of the usual wrapper keys (training loops and Lightning save
 * `{'state_dict': ..., 'epoch': ...}`), or else every tensor anywhere, named by its dotted path.
 * Placeholders (globals the unpickler stood in for) may sit beside the weights, and are listed in a
 * note; one where the weights are is the global that failed to build them, and is refused by name.
 */

export interface LocatedTensor {
  readonly name: string;
  readonly tensor: TorchTensor;
}

export interface LocatedTensors {
  readonly tensors: readonly LocatedTensor[];
  readonly metadata: Readonly<Record<string, string>>;
  readonly notes: readonly string[];
}

/** Keys under which checkpoints commonly keep the model's weights, most likely first. */
const WRAPPER_KEYS = [
  'state_dict', 'model_state_dict', 'model', 'module', 'net', 'network',
  'ema', 'model_ema', 'state_dict_ema', 'ema_state_dict', 'params', 'weights',
];
const MAX_WRAPPER_DEPTH = 4;
/** Real checkpoints nest a few levels; a pickle can nest arbitrarily deep for nearly nothing. */
const MAX_NESTING = 100;
/** Names listed in one note before "and N more". */
const LISTED_NAMES = 5;
/** Placeholder globals listed in one note before "and N more". */
const LISTED_GLOBALS = 8;
/** Longest top-level string kept as metadata. */
const MAX_METADATA_TEXT = 200;

function isContainer(value: PickleValue): value is PickleDict | PickleValue[] | PickleTuple {
  return value instanceof PickleDict || Array.isArray(value) || value instanceof PickleTuple;
}

function children(container: PickleDict | PickleValue[] | PickleTuple): Array<[PickleValue, PickleValue]> {
  if (container instanceof PickleDict) return [...container.entries()];
  const items = container instanceof PickleTuple ? container.items : container;
  return items.map((item, i) => [i, item]);
}

type Node = PickleDict | PickleValue[] | PickleTuple | PickleSet | Placeholder;

/** What the searches for tensors and placeholders descend into: containers, and placeholders' recorded data. */
function isNode(value: PickleValue): value is Node {
  return isContainer(value) || value instanceof PickleSet || value instanceof Placeholder;
}

function nodeValues(node: Node): PickleValue[] {
  if (node instanceof Placeholder) return node.children();
  if (node instanceof PickleSet) return [...node.items];
  if (node instanceof PickleDict) {
    const values = [...node.keys(), ...node.values()];
    if (node.attributes) values.push(node.attributes);
    return values;
  }
  return node instanceof PickleTuple ? [...node.items] : node;
}

/** A dict key as a name segment, or undefined when it is not a plain value. */
function keyName(key: PickleValue): string | undefined {
  if (typeof key === 'string') return key;
  if (typeof key === 'number' || typeof key === 'bigint' || typeof key === 'boolean') return String(key);
  return undefined;
}

function quoteList(names: readonly string[]): string {
  const shown = names.slice(0, LISTED_NAMES).map((n) => `'${clip(n)}'`).join(', ');
  return names.length > LISTED_NAMES ? `${shown} and ${names.length - LISTED_NAMES} more` : shown;
}

interface Path {
  readonly segment: string;
  readonly parent: Path | undefined;
  readonly depth: number;
}

function pathName(path: Path | undefined): string {
  const segments: string[] = [];
  for (let p = path; p; p = p.parent) segments.push(p.segment);
  return segments.reverse().join('.');
}

/**
 * Every tensor below `root` with its dotted path, in pickle order. Each container is visited once,
 * so cycles and shared sub-structures (which a memo makes cheap to build) cost nothing extra.
 */
function walk(file: string, root: PickleValue, holders: ReadonlySet<object>): LocatedTensor[] {
  const found: LocatedTensor[] = [];
  const seen = new Set<object>();
  const pending: Array<{ value: PickleValue; path: Path | undefined }> = [{ value: root, path: undefined }];
  while (pending.length > 0) {
    const { value, path } = pending.pop()!;
    if (value instanceof TorchTensor) {
      found.push({ name: path ? pathName(path) : 'tensor', tensor: value });
      continue;
    }
    refuseFailedWeights(file, value, holders);
    if (!isContainer(value) || seen.has(value)) continue;
    seen.add(value);
    const depth = path ? path.depth : 0;
    if (depth >= MAX_NESTING) throw new FormatError(file, `its pickled data nests containers more than ${MAX_NESTING} levels deep`);
    const next = children(value);
    for (let i = next.length - 1; i >= 0; i--) {
      const [key, child] = next[i]!;
      const segment = keyName(key);
      if (segment !== undefined) pending.push({ value: child, path: { segment, parent: path, depth: depth + 1 } });
    }
  }
  return found;
}

/**
 * The containers and placeholders that hold a tensor or a storage at any depth, found in one pass
 * over the whole structure (asking one by one could revisit a shared sub-structure once per parent).
 */
function tensorHolders(root: PickleValue): Set<object> {
  const parents = new Map<object, object[]>();
  const direct: object[] = [];
  const seen = new Set<object>();
  const pending: PickleValue[] = [root];
  while (pending.length > 0) {
    const value = pending.pop()!;
    if (!isNode(value) || seen.has(value)) continue;
    seen.add(value);
    let holds = false;
    for (const child of nodeValues(value)) {
      if (child instanceof TorchTensor || child instanceof TorchStorage) holds = true;
      else if (isNode(child)) {
        const list = parents.get(child);
        if (list) list.push(value);
        else parents.set(child, [value]);
        pending.push(child);
      }
    }
    if (holds) direct.push(value);
  }
  const holders = new Set<object>();
  while (direct.length > 0) {
    const container = direct.pop()!;
    if (holders.has(container)) continue;
    holders.add(container);
    for (const parent of parents.get(container) ?? []) direct.push(parent);
  }
  return holders;
}

/**
 * Refuses a placeholder where the weights are when it is weights in a form Merge Lens cannot read:
 * it holds tensors or storages (a pickled model object, a quantized or sparse tensor) or comes from
 * torch (a tensor saved some other way). Any other placeholder there is skipped like an int.
 */
function refuseFailedWeights(file: string, value: PickleValue, holders: ReadonlySet<object>): void {
  if (!(value instanceof Placeholder)) return;
  const { module, name } = value.global;
  if (holders.has(value) || module === 'torch' || module.startsWith('torch.')) throw refusal(file, module, name);
}

/**
 * The placeholders below each top-level entry (or in the whole file when it is not a dict), by
 * qualified name in pickle order, for the notes. One pass: a shared placeholder counts once.
 */
function placeholderNotes(root: PickleValue): string[] {
  const groups: Array<[string, PickleValue]> = root instanceof PickleDict
    ? [...root.entries()].map(([key, value]) => {
      const name = keyName(key);
      return [name !== undefined ? `'${clip(name)}'` : 'an entry with a non-string key', value];
    })
    : [['the file', root]];
  const seen = new Set<object>();
  const notes: string[] = [];
  let more = 0;
  for (const [where, value] of groups) {
    const names = new Set<string>();
    const pending: PickleValue[] = [value];
    while (pending.length > 0) {
      const v = pending.pop()!;
      const global = placeholderGlobal(v);
      if (global) names.add(global.qualifiedName);
      if (!isNode(v) || seen.has(v)) continue;
      seen.add(v);
      const next = nodeValues(v);
      for (let i = next.length - 1; i >= 0; i--) pending.push(next[i]!);
    }
    if (names.size === 0) continue;
    if (notes.length === LISTED_NAMES) {
      more++;
      continue;
    }
    // Names come from the pickle: each is clipped, and only the first few are listed.
    const listed = [...names].slice(0, LISTED_GLOBALS).map((n) => clip(n)).join(', ');
    const rest = names.size > LISTED_GLOBALS ? ` and ${names.size - LISTED_GLOBALS} more` : '';
    const kept = names.size === 1 ? 'kept as an inert placeholder' : 'kept as inert placeholders';
    notes.push(`${where} holds ${listed}${rest}: ${kept}, never imported or run`);
  }
  if (more > 0) notes.push(`${more} more ${more === 1 ? 'entry holds' : 'entries hold'} placeholders`);
  return notes;
}

function hasDirectTensor(dict: PickleDict): boolean {
  return dict.values().some((v) => v instanceof TorchTensor);
}

/** The top-level scalars of a wrapper (epoch, global_step, versions) as metadata. */
function scalarMetadata(dict: PickleDict): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [key, value] of dict.entries()) {
    if (typeof key !== 'string') continue;
    if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') metadata[key] = String(value);
    else if (typeof value === 'string' && value.length <= MAX_METADATA_TEXT) metadata[key] = value;
  }
  return metadata;
}

function stateDictEntries(file: string, stateDict: PickleDict, where: string, notes: string[], holders: ReadonlySet<object>): LocatedTensor[] {
  const tensors: LocatedTensor[] = [];
  const skipped: string[] = [];
  for (const [key, value] of stateDict.entries()) {
    const name = keyName(key);
    refuseFailedWeights(file, value, holders);
    if (value instanceof TorchTensor && name !== undefined) tensors.push({ name, tensor: value });
    else skipped.push(name ?? `(a ${key === null ? 'None' : 'non-string'} key)`);
  }
  if (skipped.length > 0) {
    notes.push(`skipped ${skipped.length} ${skipped.length === 1 ? 'entry' : 'entries'} of ${where} that ${skipped.length === 1 ? 'is' : 'are'} not a tensor: ${quoteList(skipped)}`);
  }
  if (stateDict.attributes?.has('_metadata')) notes.push(`skipped the _metadata (per-module version numbers, not weights) of ${where}`);
  return tensors;
}

/** Locates the tensors of an unpickled checkpoint and says, in notes, how it decided. */
export function locateTensors(file: string, root: PickleValue): LocatedTensors {
  const notes: string[] = [];
  let metadata: Record<string, string> = {};
  const chain: string[] = [];
  const unread: string[] = [];
  let node = root;
  const holders = tensorHolders(root);
  const holdsTensors = (value: PickleValue): boolean => isNode(value) && holders.has(value);

  if (root instanceof PickleDict && !hasDirectTensor(root)) {
    metadata = scalarMetadata(root);
    const lightning = root.get('pytorch-lightning_version');
    if (typeof lightning === 'string') {
      const detail = ['epoch', 'global_step']
        .filter((k) => metadata[k] !== undefined)
        .map((k) => `, ${k} ${metadata[k]}`)
        .join('');
      notes.push(`a PyTorch Lightning checkpoint (Lightning ${lightning}${detail})`);
    }
  }

  while (node instanceof PickleDict && !hasDirectTensor(node) && chain.length < MAX_WRAPPER_DEPTH) {
    const dict: PickleDict = node;
    const key = WRAPPER_KEYS.find((k) => {
      const value = dict.get(k);
      return value !== undefined && holdsTensors(value);
    });
    if (key === undefined) break;
    const others = [...dict.entries()]
      .filter(([k, v]) => k !== key && holdsTensors(v))
      .map(([k]) => keyName(k) ?? '(a non-string key)');
    if (others.length > 0) {
      unread.push(`${others.length === 1 ? 'the entry' : 'the entries'} ${quoteList(others)} next to '${clip(key)}' also ${others.length === 1 ? 'holds' : 'hold'} tensors (optimizer state, other weights); they were not read`);
    }
    chain.push(key);
    node = dict.get(key)!;
  }

  // What stands where the weights are is an object Merge Lens did not build (a pickled model, say).
  const standIn = placeholderGlobal(node);
  if (standIn) throw refusal(file, standIn.module, standIn.name);

  const where = chain.length > 0 ? `the state_dict under ${chain.map((k) => `'${clip(k)}'`).join(' then ')}` : 'the state_dict';
  if (node instanceof PickleDict && hasDirectTensor(node)) {
    if (chain.length > 0) notes.push(`the weights were read from ${where}`);
    notes.push(...unread);
    const tensors = stateDictEntries(file, node, where, notes, holders);
    notes.push(...placeholderNotes(root));
    return { tensors, metadata, notes };
  }

  const tensors = walk(file, node, holders);
  if (tensors.length === 0) {
    notes.push('the file holds no tensors');
  } else if (node instanceof TorchTensor) {
    notes.push(`the file holds a single tensor, listed as '${clip(tensors[0]!.name)}'`);
  } else {
    const under = chain.length > 0 ? ` under ${chain.map((k) => `'${clip(k)}'`).join(' then ')}` : '';
    notes.push(`no flat state_dict was found${under}: the ${tensors.length} tensors found in nested containers are named by their dotted paths`);
  }
  notes.push(...unread, ...placeholderNotes(root));
  return { tensors, metadata, notes };
}
