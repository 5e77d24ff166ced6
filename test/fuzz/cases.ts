import type { Family, Seed } from './families';
import type { Draft } from './mutate';
import { Random } from './random';

/** One mutation step: which mutator, with which seed (so that a step can be dropped while shrinking). */
export interface Step {
  readonly mutator: number;
  readonly seed: number;
}

/** A case as the runner reads it: its files, the one the reader is given, and what it must not do. */
export interface FuzzCase {
  readonly family: string;
  /** The run's seed and the case's number in it: `npm run fuzz -- --seed S` makes it again. */
  readonly runSeed: number;
  readonly index: number;
  readonly seedName: string;
  readonly steps: readonly Step[];
  readonly target: string;
  readonly files: ReadonlyMap<string, Uint8Array>;
  readonly descriptions: readonly string[];
  readonly truncated?: Draft['truncated'];
  readonly mustRefuse?: string;
}

/** An index into `items`, drawn in proportion to their weights. */
function pickWeighted(items: readonly { readonly weight: number }[], rng: Random): number {
  const total = items.reduce((sum, m) => sum + m.weight, 0);
  let left = rng.next() * total;
  for (let i = 0; i < items.length; i++) {
    left -= items[i]!.weight;
    if (left < 0) return i;
  }
  return items.length - 1;
}

/** Case `index` of a run: a seed and one to three steps, all drawn from the case's own generator. */
export function planCase(family: Family, seeds: readonly Seed[], runSeed: number, index: number): { seed: Seed; steps: Step[] } {
  const rng = Random.forCase(runSeed, family.name, index);
  // Seeds without weights are drawn as they always were, so that a family's cases stay the same.
  const seed = seeds[seeds.some((s) => s.weight !== undefined) ? pickWeighted(seeds.map((s) => ({ weight: s.weight ?? 1 })), rng) : rng.below(seeds.length)]!;
  const count = rng.pick([1, 1, 1, 2, 2, 3]);
  const steps: Step[] = [];
  for (let i = 0; i < count; i++) {
    const mutator = pickWeighted(family.mutators, rng);
    const alone = family.mutators[mutator]!.alone === true;
    if (alone && i > 0) continue;
    steps.push({ mutator, seed: rng.seed() });
    if (alone) break;
  }
  return { seed, steps };
}

/** The case's files: the seed's, with each step applied in turn. */
export function buildCase(family: Family, seed: Seed, steps: readonly Step[], runSeed: number, index: number): FuzzCase {
  const draft: Draft = { files: new Map(seed.files), target: seed.target };
  const descriptions = steps.map((step) => {
    const mutator = family.mutators[step.mutator]!;
    try {
      return mutator.apply(draft, new Random(step.seed));
    } catch (error) {
      // The fuzzer's own JSON walk cannot take apart what an earlier step nested 100,000 deep.
      return `${mutator.name} skipped (${(error as Error).message.slice(0, 60)})`;
    }
  });
  return {
    family: family.name,
    runSeed,
    index,
    seedName: seed.name,
    steps,
    target: seed.target,
    files: draft.files,
    descriptions,
    truncated: draft.truncated,
    // A later step may turn a pickle of forbidden calls into anything (an unknown global is then an
    // inert placeholder): only a case of that one step must be refused.
    mustRefuse: steps.length === 1 ? draft.mustRefuse : undefined,
  };
}
