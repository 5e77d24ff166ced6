/**
 * A synthetic Llama-style checkpoint pair for the big-checkpoint bench and the streaming tests:
 * A from seeded random weights, B = A with every permutation group shuffled (a known hidden
 * permutation) plus noise, written as sharded safetensors (bf16 or f16) one tensor at a time, so
 * writing a multi-gigabyte pair holds one tensor in memory.
 */
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom } from '../../src/engine/alignment/seededRandom';
import type { Params, Tensor32 } from '../../src/engine/model/params';
import { axisPermutation, type Permutation, type PermutationSpec } from '../../src/engine/model/permutationSpec';

export interface LlamaShape {
  readonly hidden: number;
  readonly layers: number;
  readonly intermediate: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly vocab: number;
}

export interface TensorShape {
  readonly name: string;
  readonly shape: readonly number[];
}

/** The tensors of a Llama model (Hugging Face names, untied head), in the order a checkpoint holds them. */
export function llamaTensors(s: LlamaShape): TensorShape[] {
  const headSize = s.hidden / s.heads;
  const kv = s.kvHeads * headSize;
  const out: TensorShape[] = [{ name: 'model.embed_tokens.weight', shape: [s.vocab, s.hidden] }];
  for (let l = 0; l < s.layers; l++) {
    const p = `model.layers.${l}`;
    out.push(
      { name: `${p}.input_layernorm.weight`, shape: [s.hidden] },
      { name: `${p}.self_attn.q_proj.weight`, shape: [s.hidden, s.hidden] },
      { name: `${p}.self_attn.k_proj.weight`, shape: [kv, s.hidden] },
      { name: `${p}.self_attn.v_proj.weight`, shape: [kv, s.hidden] },
      { name: `${p}.self_attn.o_proj.weight`, shape: [s.hidden, s.hidden] },
      { name: `${p}.post_attention_layernorm.weight`, shape: [s.hidden] },
      { name: `${p}.mlp.gate_proj.weight`, shape: [s.intermediate, s.hidden] },
      { name: `${p}.mlp.up_proj.weight`, shape: [s.intermediate, s.hidden] },
      { name: `${p}.mlp.down_proj.weight`, shape: [s.hidden, s.intermediate] },
    );
  }
  out.push({ name: 'model.norm.weight', shape: [s.hidden] }, { name: 'lm_head.weight', shape: [s.vocab, s.hidden] });
  return out;
}

/**
 * The permutation groups of a Llama with rotary embeddings, written out by hand as the issue
 * states them: the residual stream; per layer the key heads with their query heads (grouped-query
 * repeat, no reordering within a head under rotary) partnered with the value heads and the output
 * projection's columns; per layer the MLP's hidden units (gate and up rows, down columns).
 */
export function llamaSpec(s: LlamaShape): PermutationSpec {
  const tensors = llamaTensors(s);
  const repeat = s.heads / s.kvHeads;
  const kv = s.kvHeads * (s.hidden / s.heads);
  const residual = tensors.map(({ name, shape }) => ({ tensor: name, axis: name.endsWith('o_proj.weight') || name.endsWith('down_proj.weight') ? 0 : shape.length - 1 }));
  const groups: PermutationSpec['groups'][number][] = [{ name: 'model.embed_tokens', size: s.hidden, layers: [], axes: residual }];
  const r = repeat > 1 ? { repeat } : {};
  for (let l = 0; l < s.layers; l++) {
    const p = `model.layers.${l}`;
    groups.push(
      { name: `${p}.self_attn.k_proj`, size: kv, layers: [], heads: { count: s.kvHeads, withinHead: false, partner: `${p}.self_attn.v_proj` }, axes: [{ tensor: `${p}.self_attn.q_proj.weight`, axis: 0, ...r }, { tensor: `${p}.self_attn.k_proj.weight`, axis: 0 }] },
      { name: `${p}.self_attn.v_proj`, size: kv, layers: [], heads: { count: s.kvHeads, withinHead: true, partner: `${p}.self_attn.k_proj` }, axes: [{ tensor: `${p}.self_attn.v_proj.weight`, axis: 0 }, { tensor: `${p}.self_attn.o_proj.weight`, axis: 1, ...r }] },
      { name: `${p}.mlp.gate_proj`, size: s.intermediate, layers: [], axes: [{ tensor: `${p}.mlp.gate_proj.weight`, axis: 0 }, { tensor: `${p}.mlp.up_proj.weight`, axis: 0 }, { tensor: `${p}.mlp.down_proj.weight`, axis: 1 }] },
    );
  }
  return { groups };
}

function shuffle(n: number, random: () => number): Int32Array {
  const out = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * A random permutation per group, whole heads moving where a group has heads (partners in the
 * same head order, units within a head shuffled only where allowed).
 */
export function hiddenPermutations(spec: PermutationSpec, seed: number): Permutation[] {
  const random = seededRandom(seed);
  const perms = spec.groups.map((g): Permutation => {
    if (!g.heads) return shuffle(g.size, random);
    const width = g.size / g.heads.count;
    const order = shuffle(g.heads.count, random);
    const perm = new Int32Array(g.size);
    for (let h = 0; h < g.heads.count; h++) {
      const inside = g.heads.withinHead ? shuffle(width, random) : Int32Array.from({ length: width }, (_, i) => i);
      for (let i = 0; i < width; i++) perm[h * width + i] = order[h]! * width + inside[i]!;
    }
    return perm;
  });
  // A partner takes its partner's head order (the first of the two named sets it).
  spec.groups.forEach((g, p) => {
    const partner = g.heads?.partner ? spec.groups.findIndex((q) => q.name === g.heads!.partner) : -1;
    if (partner < p) return;
    const width = g.size / g.heads!.count;
    perms[partner] = Int32Array.from(perms[partner]!, (unit, i) => Math.floor(perms[p]![Math.floor(i / width) * width]! / width) * width + (unit % width));
  });
  return perms;
}

/** The matching that undoes `hidden`: B put A's unit hidden[i] at i, so π(B) takes B's unit inverse[i]. */
export function expectedMatching(hidden: readonly Permutation[]): Permutation[] {
  return hidden.map((perm) => {
    const inverse = new Int32Array(perm.length);
    perm.forEach((p, i) => (inverse[p] = i));
    return inverse;
  });
}

/** A's tensor: uniform in ±1/√fan-in for matrices, 1 ± 0.2 for norm scales; seeded per tensor. */
function tensorOfA(t: TensorShape, index: number, seed: number): Float32Array {
  const random = seededRandom(seed * 7919 + index);
  const size = t.shape.reduce((x, y) => x * y, 1);
  const data = new Float32Array(size);
  if (t.shape.length === 1) {
    for (let i = 0; i < size; i++) data[i] = 1 + 0.4 * (random() - 0.5);
  } else {
    const scale = 2 / Math.sqrt(t.shape[1]!);
    for (let i = 0; i < size; i++) data[i] = scale * (random() - 0.5);
  }
  return data;
}

/** B's tensor: A's with every permuted axis gathered by the hidden permutation, plus uniform noise of `noise` times A's scale. */
function tensorOfB(a: Float32Array, t: TensorShape, spec: PermutationSpec, hidden: readonly Permutation[], noise: number, random: () => number): Float32Array {
  const axisPerms: (Permutation | null)[] = t.shape.map(() => null);
  spec.groups.forEach((g, p) => {
    for (const entry of g.axes) if (entry.tensor === t.name) axisPerms[entry.axis] = axisPermutation(g, entry, hidden[p]!);
  });
  const [rows, columns] = t.shape.length === 1 ? [1, t.shape[0]!] : [t.shape[0]!, t.shape[1]!];
  const [rowPerm, columnPerm] = t.shape.length === 1 ? [null, axisPerms[0]] : axisPerms;
  const scale = noise * (t.shape.length === 1 ? 0.4 : 2 / Math.sqrt(t.shape[1]!));
  const out = new Float32Array(a.length);
  for (let i = 0; i < rows; i++) {
    const from = (rowPerm ? rowPerm[i]! : i) * columns;
    for (let j = 0; j < columns; j++) out[i * columns + j] = a[from + (columnPerm ? columnPerm[j]! : j)]! + scale * (random() - 0.5);
  }
  return out;
}

/** A and B in memory, float32 (for tests that need no files). */
export function syntheticPair(s: LlamaShape, seed: number, noise: number): { a: Params; b: Params; spec: PermutationSpec; hidden: Permutation[] } {
  const spec = llamaSpec(s);
  const hidden = hiddenPermutations(spec, seed);
  const random = seededRandom(seed + 1);
  const a = new Map<string, Tensor32>();
  const b = new Map<string, Tensor32>();
  llamaTensors(s).forEach((t, index) => {
    const data = tensorOfA(t, index, seed);
    a.set(t.name, { shape: t.shape, data });
    b.set(t.name, { shape: t.shape, data: tensorOfB(data, t, spec, hidden, noise, random) });
  });
  return { a, b, spec, hidden };
}

export type HalfType = 'BF16' | 'F16';

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** Round to nearest even: bfloat16 is float32's upper half. */
function bfloat16Bits(x: number): number {
  scratch[0] = x;
  const bits = scratchBits[0]!;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

/** IEEE half, rounded to nearest (the values here lie well inside its range). */
function halfBits(x: number): number {
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  // Subnormal: a multiple of 2^-24 (1024 of them is the smallest normal, whose bits are the same).
  if (a < 2 ** -14) return sign | Math.round(a * 2 ** 24);
  let e = Math.floor(Math.log2(a));
  if (a / 2 ** e >= 2) e++;
  else if (a / 2 ** e < 1) e--;
  let m = Math.round((a / 2 ** e - 1) * 1024);
  if (m === 1024) [e, m] = [e + 1, 0];
  return sign | ((e + 15) << 10) | m;
}

function encode(values: Float32Array, dtype: HalfType): Uint8Array {
  const out = new Uint16Array(values.length);
  const convert = dtype === 'BF16' ? bfloat16Bits : halfBits;
  for (let i = 0; i < values.length; i++) out[i] = convert(values[i]!);
  return new Uint8Array(out.buffer);
}

/** Sharded safetensors writer: every shard's header from the shapes first, then its tensors appended as they come. */
class ShardedWriter {
  private readonly shardOf = new Map<string, number>();
  private readonly files: string[];
  private readonly shards: TensorShape[][];
  private fd: number | null = null;
  private open = -1;

  constructor(
    private readonly dir: string,
    tensors: readonly TensorShape[],
    private readonly dtype: HalfType,
    shardBytes: number,
  ) {
    const shards: TensorShape[][] = [[]];
    let bytes = 0;
    for (const t of tensors) {
      const size = 2 * t.shape.reduce((x, y) => x * y, 1);
      if (bytes > 0 && bytes + size > shardBytes) {
        shards.push([]);
        bytes = 0;
      }
      shards[shards.length - 1]!.push(t);
      bytes += size;
    }
    const pad = (k: number) => String(k).padStart(5, '0');
    this.files = shards.map((_, k) => `model-${pad(k + 1)}-of-${pad(shards.length)}.safetensors`);
    this.shards = shards;
    shards.forEach((shard, k) => shard.forEach((t) => this.shardOf.set(t.name, k)));
    mkdirSync(dir, { recursive: true });
    const total = tensors.reduce((sum, t) => sum + 2 * t.shape.reduce((x, y) => x * y, 1), 0);
    const index = { metadata: { total_size: total }, weight_map: Object.fromEntries(tensors.map((t) => [t.name, this.files[this.shardOf.get(t.name)!]])) };
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify(index, null, 2));
  }

  get index(): string {
    return join(this.dir, 'model.safetensors.index.json');
  }

  /** Tensors must come in the order given to the constructor. */
  write(name: string, values: Float32Array): void {
    const k = this.shardOf.get(name)!;
    if (k !== this.open) this.startShard(k);
    writeSync(this.fd!, encode(values, this.dtype));
  }

  private startShard(k: number): void {
    this.close();
    const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
    let offset = 0;
    for (const t of this.shards[k]!) {
      const size = 2 * t.shape.reduce((x, y) => x * y, 1);
      header[t.name] = { dtype: this.dtype, shape: t.shape, data_offsets: [offset, offset + size] };
      offset += size;
    }
    let json = JSON.stringify(header);
    json += ' '.repeat((8 - (json.length % 8)) % 8);
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
    this.fd = openSync(join(this.dir, this.files[k]!), 'w');
    writeSync(this.fd, prefix);
    writeSync(this.fd, json);
    this.open = k;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** The config.json Hugging Face writes beside a Llama checkpoint (what a loader reads the head counts from). */
function llamaConfig(s: LlamaShape): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: s.hidden,
    intermediate_size: s.intermediate,
    num_hidden_layers: s.layers,
    num_attention_heads: s.heads,
    num_key_value_heads: s.kvHeads,
    vocab_size: s.vocab,
    hidden_act: 'silu',
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    tie_word_embeddings: false,
  };
}

/**
 * Writes A into dir/a and B into dir/b (each an index, its shards and a config.json), one tensor
 * at a time; returns the indexes and the hidden permutations.
 */
export function writeSyntheticPair(
  dir: string,
  s: LlamaShape,
  options: { readonly seed: number; readonly noise: number; readonly dtype: HalfType; readonly shardBytes: number },
): { a: string; b: string; spec: PermutationSpec; hidden: Permutation[] } {
  const spec = llamaSpec(s);
  const hidden = hiddenPermutations(spec, options.seed);
  const tensors = llamaTensors(s);
  const random = seededRandom(options.seed + 1);
  const writers = ['a', 'b'].map((side) => {
    const writer = new ShardedWriter(join(dir, side), tensors, options.dtype, options.shardBytes);
    writeFileSync(join(dir, side, 'config.json'), JSON.stringify(llamaConfig(s), null, 2));
    return writer;
  });
  try {
    tensors.forEach((t, index) => {
      const a = tensorOfA(t, index, options.seed);
      writers[0]!.write(t.name, a);
      writers[1]!.write(t.name, tensorOfB(a, t, spec, hidden, options.noise, random));
    });
  } finally {
    writers.forEach((w) => w.close());
  }
  return { a: writers[0]!.index, b: writers[1]!.index, spec, hidden };
}
