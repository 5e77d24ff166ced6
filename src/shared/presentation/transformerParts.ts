/**
 * How every view names a transformer's pieces: the residual stream, each block with its attention
 * and MLP, the head, and the permutation groups by role ("block 0 · attention Q/K (4 heads)").
 * The outline is read from the report's contract fields (groups' role and block, the methods'
 * head matchings, the per-part barriers), in network order; the CLI, the HTML report, the panel
 * and the side bar all label through here, so one name reads the same everywhere.
 */
import type { CompareReport, GroupSummary, HeadMatching } from '../compareReport';
import { layerLabel } from './layerLabel';
import { methodsOf } from './methodStyles';

type Role = NonNullable<GroupSummary['role']>;

/** A group's role in words: the one label table of the transformer's groups. */
export const GROUP_ROLE_TEXT: Readonly<Record<Role, string>> = {
  residual: 'residual stream',
  mlp: 'MLP',
  'query-key': 'attention Q/K',
  'value-output': 'attention V/O',
};

/** The same, short, for a chart's category axis. */
const GROUP_ROLE_SHORT: Readonly<Record<Role, string>> = {
  residual: 'residual',
  mlp: 'MLP',
  'query-key': 'Q/K',
  'value-output': 'V/O',
};

export type PartKind = 'embeddings' | 'attention' | 'mlp' | 'block' | 'head';

/** A transformer part in words, for an axis (two short lines) and for text (one line). */
const PART_TEXT: Readonly<Record<PartKind, string>> = {
  embeddings: 'embeddings',
  attention: 'attention',
  mlp: 'MLP',
  block: 'whole block',
  head: 'head',
};

export interface TransformerPart {
  readonly kind: PartKind;
  /**
   * What the report's per-part entries call it (`layerBarriers[].layer`; a block's LLFC entry);
   * an MLP that no barrier names goes by its hidden units' group.
   */
  readonly name: string;
  /** "block 0 · attention", "embeddings", "head (lm_head)". */
  readonly label: string;
  /** The label as two short lines, for a chart's category axis: ["attention", "block 0"]. */
  readonly lines: readonly string[];
  /** The block it lies in (a whole block: itself); null for the embeddings and the head. */
  readonly block: string | null;
  /** The permutation groups (`groups[].name`) whose units it holds. */
  readonly groups: readonly string[];
  /** Its layers with weights (`layers[].name`), in network order. */
  readonly layers: readonly string[];
}

export interface TransformerBlock {
  /** As `GroupSummary.block` and `LayerBarrier.layer` name it: 'transformer.h.0'. */
  readonly name: string;
  /** "block 0": its position among the blocks. */
  readonly label: string;
  /** Its attention's id ('transformer.h.0.attn'), as `HeadMatching.attention` names it; null when the report names none. */
  readonly attention: string | null;
  readonly parts: { readonly attention: TransformerPart; readonly mlp: TransformerPart; readonly block: TransformerPart };
}

export interface TransformerOutline {
  /** The residual stream's group, or null when the report marks none. */
  readonly residual: string | null;
  readonly blocks: readonly TransformerBlock[];
  /** Every part in network order: embeddings, each block's attention, MLP and whole block, the head. */
  readonly parts: readonly TransformerPart[];
}

const outlines = new WeakMap<CompareReport, TransformerOutline | null>();

/** The report's transformer structure, or null for any other network (and for a transformer report without group roles). */
export function transformerOutline(report: CompareReport): TransformerOutline | null {
  if (outlines.has(report)) return outlines.get(report)!;
  const outline = report.architecture.kind === 'transformer' ? buildOutline(report) : null;
  outlines.set(report, outline);
  return outline;
}

/** The block a dotted name lies under: the longest block name that is a prefix of it at a dot. */
function blockUnder(blocks: readonly string[], name: string): string | null {
  let best: string | null = null;
  for (const b of blocks) if ((name === b || name.startsWith(`${b}.`) || name.startsWith(`${b} `)) && (best === null || b.length > best.length)) best = b;
  return best;
}

/** The block a group lies in: its own field, else the block its first layer lies under. */
function groupBlock(blocks: readonly string[], group: GroupSummary): string | null {
  if (group.role === 'residual') return null;
  return group.block ?? blockUnder(blocks, group.layers[0] ?? group.name);
}

/** Every method's head matchings, by attention: they name the same attentions, in network order. */
function headMatchings(report: CompareReport): readonly HeadMatching[] {
  return methodsOf(report).find(([, r]) => (r.heads?.length ?? 0) > 0)?.[1].heads ?? [];
}

function buildOutline(report: CompareReport): TransformerOutline | null {
  if (!report.groups.some((g) => g.role !== undefined)) return null;
  const heads = headMatchings(report);
  const blockNames = [...new Set([...report.groups.flatMap((g) => (g.block ? [g.block] : [])), ...heads.map((h) => h.block)])];
  const barrierNames = [...new Set(methodsOf(report).flatMap(([, r]) => r.layerBarriers.map((b) => b.layer)))];
  const layerNames = report.layers.map((l) => l.name);
  const groupOfLayer = new Map(report.layers.map((l) => [l.name, l.group]));
  const residual = report.groups.find((g) => g.role === 'residual')?.name ?? null;

  const blocks: TransformerBlock[] = blockNames.map((name, index) => {
    const label = `block ${index}`;
    const groups = report.groups.filter((g) => groupBlock(blockNames, g) === name);
    const attentionGroups = groups.filter((g) => g.role === 'query-key' || g.role === 'value-output').map((g) => g.name);
    const mlpGroups = groups.filter((g) => g.role === 'mlp').map((g) => g.name);
    const attention = heads.find((h) => h.block === name)?.attention ?? null;
    const inBlock = layerNames.filter((l) => blockUnder(blockNames, l) === name);
    // The attention's layers run to the first layer after its own groups' (the output projection,
    // which writes the residual stream); the MLP is the rest. Names differ between families, order does not.
    const lastAttention = inBlock.reduce((last, l, k) => (attentionGroups.includes(groupOfLayer.get(l) ?? '') ? k : last), -1);
    const split = lastAttention < 0 ? 0 : Math.min(inBlock.length, lastAttention + 2);
    const barrierIn = barrierNames.filter((b) => b !== name && blockUnder(blockNames, b) === name);
    const attentionName = attention ?? barrierIn[0] ?? `${name} attention`;
    const mlpName = barrierIn.find((b) => b !== attentionName) ?? mlpGroups[0] ?? `${name} MLP`;
    const part = (kind: 'attention' | 'mlp' | 'block', partName: string, partGroups: readonly string[], layers: readonly string[]): TransformerPart => ({
      kind,
      name: partName,
      label: kind === 'block' ? label : `${label} · ${PART_TEXT[kind]}`,
      lines: kind === 'block' ? [PART_TEXT.block, label] : [PART_TEXT[kind], label],
      block: name,
      groups: partGroups,
      layers,
    });
    return {
      name,
      label,
      attention,
      parts: {
        attention: part('attention', attentionName, attentionGroups, inBlock.slice(0, split)),
        mlp: part('mlp', mlpName, mlpGroups, inBlock.slice(split)),
        block: part('block', name, groups.map((g) => g.name), inBlock),
      },
    };
  });

  // Layers outside every block: before the first block's, the embeddings' (a ViT's patch projection); after, the head's.
  const firstInBlock = layerNames.findIndex((l) => blockUnder(blockNames, l) !== null);
  const outsideFrom = (from: number, to: number) => layerNames.slice(from, to).filter((l) => blockUnder(blockNames, l) === null);
  const before = firstInBlock < 0 ? [] : outsideFrom(0, firstInBlock);
  const outside = outsideFrom(Math.max(0, firstInBlock), layerNames.length);
  const lastBarrier = barrierNames[barrierNames.length - 1];
  const headName = lastBarrier !== undefined && lastBarrier !== 'embeddings' && blockUnder(blockNames, lastBarrier) === null ? lastBarrier : (outside[outside.length - 1] ?? 'head');
  const embeddings: TransformerPart = { kind: 'embeddings', name: 'embeddings', label: PART_TEXT.embeddings, lines: [PART_TEXT.embeddings], block: null, groups: residual ? [residual] : [], layers: before };
  const head: TransformerPart = {
    kind: 'head',
    name: headName,
    label: headName === PART_TEXT.head ? PART_TEXT.head : `${PART_TEXT.head} (${headName})`,
    lines: [PART_TEXT.head],
    block: null,
    groups: [],
    layers: outside,
  };
  return {
    residual,
    blocks,
    parts: [embeddings, ...blocks.flatMap((b) => [b.parts.attention, b.parts.mlp, b.parts.block]), head],
  };
}

/**
 * A permutation group by what it is: "residual stream", "block 0 · MLP", "block 0 · attention
 * Q/K (4 heads)"; another network's group by its first layer, a residual stage's with its layer count.
 */
/** "4 heads", or under grouped-query attention "2 key/value heads of 4 query heads" (older reports lack queryHeads). */
function headCount(heads: NonNullable<GroupSummary['heads']>): string {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const query = heads.queryHeads ?? heads.count;
  return query === heads.count ? plural(heads.count, 'head') : `${plural(heads.count, 'key/value head')} for ${query} query heads`;
}

export function groupLabel(report: CompareReport, name: string): string {
  const group = report.groups.find((g) => g.name === name);
  const outline = transformerOutline(report);
  if (!group) return layerLabel(name);
  if (!outline || !group.role) return group.layers.length > 1 ? `${layerLabel(name)} (residual group, ${group.layers.length} layers)` : layerLabel(name);
  const role = GROUP_ROLE_TEXT[group.role];
  if (group.role === 'residual') return role;
  const block = outline.blocks.find((b) => b.name === groupBlock(outline.blocks.map((x) => x.name), group));
  const heads = group.heads ? ` (${headCount(group.heads)})` : '';
  return `${block ? `${block.label} · ` : ''}${role}${heads}`;
}

/**
 * Any name a report uses, in words: a transformer's parts ("block 0 · attention") and groups
 * ("block 0 · MLP"), then as layerNameLabel; otherwise layerLabel's.
 */
export function nameLabel(report: CompareReport, name: string): string {
  const outline = transformerOutline(report);
  if (!outline) return layerLabel(name);
  const part = outline.parts.find((p) => p.name === name);
  if (part) return part.label;
  if (report.groups.some((g) => g.name === name)) return groupLabel(report, name);
  return layerNameLabel(report, name);
}

/**
 * A layer with weights or a Dim(S) entry, in words: in a transformer, by its block
 * ("block 0 · attn.c_attn.q", the heads' entry "block 0 · heads"); otherwise layerLabel's. A
 * group is named by its first layer, so where a layer is meant this reads it as the layer.
 */
export function layerNameLabel(report: CompareReport, name: string): string {
  const outline = transformerOutline(report);
  if (!outline) return layerLabel(name);
  const attention = outline.blocks.find((b) => b.attention !== null && name === `${b.attention} heads`);
  if (attention) return `${attention.label} · heads`;
  const block = outline.blocks.find((b) => name.startsWith(`${b.name}.`));
  if (block) return `${block.label} · ${name.slice(block.name.length + 1)}`;
  const head = outline.parts[outline.parts.length - 1];
  return head?.kind === 'head' && head.name === name ? head.label : layerLabel(name);
}

/** A layer within its part, its block left out: "attn.c_attn.q" (the side bar's rows, a part's list of layers). */
export function layerInBlockLabel(report: CompareReport, name: string): string {
  return layerNameLabel(report, name).replace(/^block \d+ · /, '');
}

/** A label as short lines for a chart's category axis, the block last: ["attention", "block 0"]. */
export function labelLines(label: string): string[] {
  return label.split(' · ').reverse();
}

/** Any name as a chart's category: a part's lines, a group's short role and block (["Q/K", "block 0"]), else labelLines of nameLabel. */
export function categoryLines(report: CompareReport, name: string): string[] {
  const outline = transformerOutline(report);
  const part = outline?.parts.find((p) => p.name === name);
  if (part) return [...part.lines];
  const group = report.groups.find((g) => g.name === name);
  if (outline && group?.role) {
    const block = outline.blocks.find((b) => b.name === groupBlock(outline.blocks.map((x) => x.name), group));
    return [GROUP_ROLE_SHORT[group.role], ...(block ? [block.label] : [])];
  }
  return labelLines(nameLabel(report, name));
}

/**
 * An LLFC entry in words: a transformer measures each MLP's hidden units and the residual stream
 * after each block ("after block 0"); other networks an activation, named by its layer.
 */
export function llfcLabel(report: CompareReport, name: string): string {
  const block = transformerOutline(report)?.blocks.find((b) => b.name === name);
  return block ? `residual stream after ${block.label}` : nameLabel(report, name);
}

/** The part a name lies in: a part's own name, a group's or a layer's block sub-part, or null. */
export function partOf(report: CompareReport, name: string): TransformerPart | null {
  const outline = transformerOutline(report);
  if (!outline) return null;
  return (
    outline.parts.find((p) => p.name === name) ??
    outline.parts.find((p) => p.kind !== 'block' && (p.layers.includes(name) || p.groups.includes(name))) ??
    null
  );
}

/**
 * One line about a transformer, for the CLI's header, the HTML report and the panel's facts:
 * "transformer: 2 blocks, 4 heads per attention, residual stream 64, MLP 256, 13 layers, 7 permutation groups".
 */
export function describeTransformer(report: CompareReport): string {
  const outline = transformerOutline(report);
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const counts = (values: readonly number[]) => [...new Set(values)].join('/');
  const parts: string[] = [];
  if (outline) {
    parts.push(plural(outline.blocks.length, 'block'));
    const heads = report.groups.filter((g) => g.role === 'query-key' && g.heads).map((g) => g.heads!);
    if (heads.length > 0) parts.push(`${counts(heads.map((h) => h.queryHeads ?? h.count))} heads per attention${heads.some((h) => (h.queryHeads ?? h.count) !== h.count) ? ` (${counts(heads.map((h) => h.count))} key/value)` : ''}`);
    const residual = report.groups.find((g) => g.role === 'residual');
    if (residual) parts.push(`residual stream ${residual.size}`);
    const mlp = report.groups.filter((g) => g.role === 'mlp').map((g) => g.size);
    if (mlp.length > 0) parts.push(`MLP ${counts(mlp)}`);
  }
  parts.push(plural(report.layers.length, 'layer'), plural(report.groups.length, 'permutation group'));
  return `transformer: ${parts.join(', ')}`;
}
