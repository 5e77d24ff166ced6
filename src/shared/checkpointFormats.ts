/**
 * The checkpoint formats Merge Lens reads: the one list. Everything that names them derives from
 * it: the format ids readers report, the workspace glob and file-name test of the pickers, the
 * explorer menus' `when` regex and the custom editor's selectors (package.json states those
 * literally, as VS Code reads it without running code; a unit test holds it to this list), the
 * stem that export file names start from, and the prose of error messages and the CLI usage.
 *
 * Contract layer: imports nothing, so the extension host can use it without bundling a reader.
 * The engine's openCheckpoint keeps one reader per id (a Record over the ids: a format added here
 * without a reader does not compile).
 */

/** How VS Code opens a file of this name: our tensor grid as its default editor, or as an option ("Open With…"). */
export type EditorPriority = 'default' | 'option';

/** One file name a format is recognized by. */
export interface NamePattern {
  /**
   * An ending, starting with '.' (an extension such as '.pt', or a compound one such as
   * '.safetensors.index.json'), or a whole file name ('model.json'). Lower case; names match in any case.
   */
  readonly match: string;
  /** Whether our custom editor opens such files, and at which priority; null: VS Code's own editors only. */
  readonly editor: EditorPriority | null;
}

export interface CheckpointFormatSpec {
  /** What readers report as `format` (`merge-lens inspect` prints it). */
  readonly id: string;
  /** For people: "PyTorch". */
  readonly label: string;
  readonly names: readonly NamePattern[];
  /** Whether Merge Lens writes this format too (exports are safetensors only). */
  readonly writes: boolean;
}

const ending = (match: string, editor: EditorPriority | null): NamePattern => ({ match, editor });

/**
 * In the order menus, globs and prose list them. Keep '.bin' and '.ckpt' at priority 'option':
 * many other tools write files with those endings.
 */
export const CHECKPOINT_FORMATS = [
  { id: 'safetensors', label: 'safetensors', names: [ending('.safetensors', 'default')], writes: true },
  // The index is JSON naming the shard files; VS Code's JSON editor shows it well.
  { id: 'safetensors-sharded', label: 'sharded safetensors', names: [ending('.safetensors.index.json', null)], writes: false },
  {
    id: 'pytorch',
    label: 'PyTorch',
    names: [ending('.pt', 'default'), ending('.pth', 'default'), ending('.bin', 'option'), ending('.ckpt', 'option')],
    writes: false,
  },
  { id: 'npz', label: 'NumPy archive', names: [ending('.npz', 'default')], writes: false },
  { id: 'npy', label: 'NumPy array', names: [ending('.npy', 'default')], writes: false },
  // model.json is the model's topology, which a text editor shows; its weights are in the shard files beside it.
  { id: 'tfjs', label: 'TensorFlow.js', names: [{ match: 'model.json', editor: null }], writes: false },
] as const satisfies readonly CheckpointFormatSpec[];

export type CheckpointFormatId = (typeof CHECKPOINT_FORMATS)[number]['id'];

/** The custom editor's view type for each priority (package.json's customEditors, one entry each). */
export const CHECKPOINT_EDITOR_VIEW_TYPES: Readonly<Record<EditorPriority, string>> = {
  default: 'mergeLens.checkpoint',
  option: 'mergeLens.checkpointOption',
};

const formats: readonly CheckpointFormatSpec[] = CHECKPOINT_FORMATS;
const allNames: readonly NamePattern[] = formats.flatMap((f) => f.names);
const isEnding = (p: NamePattern) => p.match.startsWith('.');
/** One dot: a plain extension. More: a compound ending. */
const isExtension = (p: NamePattern) => isEnding(p) && p.match.lastIndexOf('.') === 0;
const isCompound = (p: NamePattern) => isEnding(p) && !isExtension(p);
const isWholeName = (p: NamePattern) => !isEnding(p);
/** Extensions, then whole names, then compound endings: the order of the glob and the `when` regex. */
const extensions = allNames.filter(isExtension);
const wholeNames = allNames.filter(isWholeName);
const compounds = allNames.filter(isCompound);

function baseName(path: string): string {
  return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
}

function matches(pattern: NamePattern, lowerName: string): boolean {
  return isEnding(pattern) ? lowerName.endsWith(pattern.match) : lowerName === pattern.match;
}

/** The format a file's name says, whatever its case; undefined when no format's pattern matches. The longest ending wins. */
export function checkpointFormatOfName(path: string): CheckpointFormatId | undefined {
  const name = baseName(path).toLowerCase();
  let best: { id: CheckpointFormatId; length: number } | undefined;
  for (const format of CHECKPOINT_FORMATS) {
    for (const pattern of format.names as readonly NamePattern[]) {
      if (matches(pattern, name) && (!best || pattern.match.length > best.length)) best = { id: format.id, length: pattern.match.length };
    }
  }
  return best?.id;
}

/** Whether a file name (or path) is one a checkpoint reader supports, whatever its case. */
export function isCheckpointName(path: string): boolean {
  return checkpointFormatOfName(path) !== undefined;
}

const globOf = (p: NamePattern) => (isEnding(p) ? `*${p.match}` : p.match);

/** A glob for workspace searches, matching the names `isCheckpointName` accepts (written in lower case: filter with it). */
export const CHECKPOINT_GLOB = `**/{${[...extensions, ...wholeNames, ...compounds].map(globOf).join(',')}}`;

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * The body of the regular expression package.json's explorer menus test `resourceFilename`
 * against (as `resourceFilename =~ /BODY/i`): true exactly for the names `isCheckpointName` accepts.
 */
export const CHECKPOINT_NAME_REGEX_SOURCE = [
  `\\.(${extensions.map((p) => escapeRegex(p.match.slice(1))).join('|')})$`,
  ...wholeNames.map((p) => `^${escapeRegex(p.match)}$`),
  ...compounds.map((p) => `${escapeRegex(p.match)}$`),
].join('|');

/** package.json's `when` condition on the file name: `resourceFilename =~ /…/i`. */
export const CHECKPOINT_WHEN_CLAUSE = `resourceFilename =~ /${CHECKPOINT_NAME_REGEX_SOURCE}/i`;

/** package.json's customEditors entries' view types, selectors and priorities, in registry order. */
export function checkpointEditorSelectors(): { viewType: string; priority: EditorPriority; filenamePatterns: string[] }[] {
  return (['default', 'option'] as const).map((priority) => ({
    viewType: CHECKPOINT_EDITOR_VIEW_TYPES[priority],
    priority,
    filenamePatterns: allNames.filter((p) => p.editor === priority).map(globOf),
  }));
}

/**
 * A checkpoint file's name without its format's ending, to name files derived from it:
 * "model" for model.safetensors or model.safetensors.index.json, "run" for run.PT. For a whole
 * name such as model.json, which says nothing of the model, undefined (callers name it after its
 * folder). A name no format matches loses only its last extension when that is a whole name's
 * (a TensorFlow.js model saved as web.json: "web"); otherwise it comes back whole.
 */
export function checkpointStem(path: string): string | undefined {
  const name = baseName(path);
  const lower = name.toLowerCase();
  if (wholeNames.some((p) => p.match === lower)) return undefined;
  const endings = [...allNames.filter(isEnding).map((p) => p.match), ...wholeNames.map((p) => p.match.slice(p.match.lastIndexOf('.')))];
  const longest = endings.filter((e) => lower.endsWith(e) && lower.length > e.length).sort((x, y) => y.length - x.length)[0];
  return longest ? name.slice(0, name.length - longest.length) : name;
}

/** A format's name patterns for people: ".pt/.pth/.bin/.ckpt". */
function namesProse(format: CheckpointFormatSpec): string {
  return format.names.map((p) => p.match).join('/');
}

/** "safetensors (.safetensors), sharded safetensors (.safetensors.index.json), PyTorch (.pt/.pth/.bin/.ckpt), …". */
export const CHECKPOINT_FORMATS_PROSE = formats.map((f) => `${f.label} (${namesProse(f)})`).join(', ');

/** One line per format: label, name patterns and whether exports write it, in columns (the CLI usage). */
export function checkpointFormatLines(indent: string): string[] {
  const labels = Math.max(...formats.map((f) => f.label.length));
  const names = Math.max(...formats.map((f) => namesProse(f).length));
  return formats.map((f) => `${indent}${f.label.padEnd(labels)}  ${namesProse(f).padEnd(names)}  ${f.writes ? 'exports write it too' : ''}`.trimEnd());
}
