/**
 * A series of comparisons: pairs of checkpoints along one variable (width, seed, spawn epoch,
 * training epoch), the manifest that names them and the series report that holds every pair's
 * report and the figures drawn from them. Written by the engine (src/engine/series), saved by
 * `merge-lens series --json`, drawn by the series HTML report and the Series panel. Documented in
 * the README.
 */
import type { CompareReport, MethodName } from './compareReport';
import type { CompareRequest } from './compareRequest';

/** The series report's schema version. */
export const SERIES_REPORT_VERSION = 1;

/**
 * The variables the papers' series vary, as a manifest names them: a width series also gets
 * Ferbach et al.'s rate (the log-log view) and a logarithmic axis.
 */
export const SERIES_VARIABLES = { width: 'width', seed: 'seed', spawn: 'spawn epoch', epoch: 'epoch' } as const;

/** Whether the series' x axis is logarithmic: a width series whose every value is a positive number. */
export function hasLogarithmicAxis(report: Pick<SeriesReport, 'numeric' | 'variable' | 'items'>): boolean {
  return report.numeric && report.variable === SERIES_VARIABLES.width && report.items.every((item) => Number(item.value) > 0);
}

/** One pair of the series: B is aligned to A, at `value` of the series' variable. */
export interface SeriesPair {
  /** A number (width 64, epoch 3) draws on a number line; a string ("seed 1 × seed 2") is a category. */
  readonly value: number | string;
  /** Checkpoint paths, relative to the manifest's folder unless absolute. */
  readonly a: string;
  readonly b: string;
}

/**
 * What the user writes (or `merge-lens series init` writes for them to check). Every choice but
 * the pairs applies to every pair; files resolve against the manifest's folder.
 */
export interface SeriesManifest {
  /** What changes along the series, in words ("width", "spawn epoch", "seed"); "width" also gets the log-log view. */
  readonly variable: string;
  readonly pairs: readonly SeriesPair[];
  /** Evaluation data for every pair; absent or null: weights only. */
  readonly data?: string | null;
  readonly fitData?: string | null;
  /** Default: as `compare` (every plain method with data, the weights-only ones without). */
  readonly methods?: readonly MethodName[];
  /**
   * Any other compare choice, under its `CompareRequest` name (alphas, seed, restarts, fitSamples,
   * llfcSamples, activation, bnReset, layerBarriers, inputShape, normalization, description, backend).
   */
  readonly options?: Partial<Omit<CompareRequest, 'a' | 'b' | 'data' | 'fitData' | 'methods'>>;
}

/** One finished pair. */
export interface SeriesItem {
  /** Its position in the manifest's `pairs` (what `--item K` names). */
  readonly index: number;
  readonly value: number | string;
  readonly report: CompareReport;
}

/** A quantity per item along the series, null where that item has none (weights only, a method not run). */
export type SeriesLine = readonly (number | null)[];

/** What every pair's report says at one permutation group (named as in the reports' `groups`; the same names in every item). */
export interface SeriesLayer {
  readonly layer: string;
  /** The group's size per item (the width, in a width series). */
  readonly width: readonly number[];
  /** Dim(S) of the group's first layer, A's and B's, per item. */
  readonly dimS: { readonly a: SeriesLine; readonly b: SeriesLine };
  /** Per method: the neurons' W2 (see `NeuronWasserstein`) per item, before, after and at the optimum. */
  readonly wasserstein: Partial<Record<MethodName, { readonly identity: SeriesLine; readonly aligned: SeriesLine; readonly optimal: SeriesLine }>>;
}

/** One method's view of why LLFC holds, per item, averaged over the network's layers. */
export interface SeriesWhy {
  readonly method: MethodName;
  /** Mean over activations of the LLFC cosine at the α nearest 0.5. */
  readonly llfcCosine: SeriesLine;
  /** Mean over activations of weak additivity's dissimilarity (flat), and its shuffled baseline. */
  readonly additivity: SeriesLine;
  readonly additivityShuffled: SeriesLine;
  /** Mean over layers of the commutativity distance, and its shuffled baseline. */
  readonly commutativity: SeriesLine;
  readonly commutativityShuffled: SeriesLine;
}

/**
 * Ferbach et al.'s rate in a width series, per group and method: the slope of log W2 (optimal,
 * B's inputs as the method permuted them) against log width by least squares, beside −1/Dim(S)
 * at the widest item, the rate the theory gives for an empirical measure in Dim(S) dimensions.
 */
export interface WidthScaling {
  readonly layer: string;
  readonly method: MethodName;
  /** The fitted exponent k in W2 ∝ width^k (negative when W2 falls with width). */
  readonly exponent: number;
  /** −1 / Dim(S) (A's) at the widest item. */
  readonly theory: number;
  /** Items the fit used (those with a positive W2). */
  readonly points: number;
}

/** All pairs among N checkpoints: each method's loss barrier for every pair, symmetric, null on the diagonal and where not run. */
export interface BarrierMatrix {
  /** The N checkpoints in order of first appearance, as the reports' requests name them less the folders they all share. */
  readonly files: readonly string[];
  readonly loss: Partial<Record<MethodName, readonly SeriesLine[]>>;
  readonly accuracy: Partial<Record<MethodName, readonly SeriesLine[]>>;
}

/** The series figures, computed once here so the HTML report and the Series panel draw the same numbers. */
export interface SeriesFigures {
  /** Per method run on any item: its barriers per item. */
  readonly barriers: Partial<Record<MethodName, { readonly loss: SeriesLine; readonly accuracy: SeriesLine }>>;
  readonly layers: readonly SeriesLayer[];
  readonly why: readonly SeriesWhy[];
  /** Null unless the variable is "width", every value a number and at least three widths differ. */
  readonly widthScaling: readonly WidthScaling[] | null;
  /** Null unless the pairs are every pair among three or more checkpoints. */
  readonly barrierMatrix: BarrierMatrix | null;
}

export interface SeriesReport {
  readonly version: typeof SERIES_REPORT_VERSION;
  readonly createdAt: string;
  readonly tool: string;
  /** The manifest file, or null when the editor made the series from selected files. */
  readonly manifest: string | null;
  readonly variable: string;
  /** Every value a number: the x axis is a number line (logarithmic for width). */
  readonly numeric: boolean;
  /** In the manifest's order. */
  readonly items: readonly SeriesItem[];
  readonly figures: SeriesFigures;
}
