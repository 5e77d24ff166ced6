/**
 * The typed protocol between the extension host and the results panel (a webview). The host
 * owns the work and the report; the panel only draws and asks.
 */
import type { CompareReport, MethodName } from './compareReport';
import type { UnitSimilarity } from './unitSimilarity';

/** What the panel remembers across hide/show (vscode.setState) and the host's serializer reads. */
export interface PanelViewState {
  readonly tab: 'overview' | 'layers' | 'llfc' | 'why' | 'permutations';
  readonly method: MethodName | null;
  readonly layer: string | null;
  /** Permutations tab: columns in B's own order (false) or ordered by the permutation (true). */
  readonly aligned: boolean;
  /** The result cache key of the comparison shown, so a restored panel can reload it. */
  readonly cacheKey: string | null;
  /** Overview: the methods whose curves along α the legend has hidden (the y-axis fits the others). */
  readonly hiddenMethods: readonly MethodName[];
}

/** Extension host → panel. */
export type HostToPanel =
  | { readonly type: 'running'; readonly title: string; readonly stage: string; readonly fraction: number | null }
  | {
      readonly type: 'report';
      readonly title: string;
      readonly report: CompareReport;
      readonly cacheKey: string;
      /** Whether the report came from the result cache rather than a fresh run. */
      readonly cached: boolean;
    }
  | { readonly type: 'failed'; readonly title: string; readonly message: string }
  /** The user stopped it: not a failure, nothing to alarm anyone about. */
  | { readonly type: 'cancelled'; readonly title: string }
  | { readonly type: 'similarity'; readonly similarity: UnitSimilarity }
  | { readonly type: 'similarityFailed'; readonly method: MethodName; readonly layer: string; readonly message: string }
  /** From the Merge Lens view: show this layer in the current tab (Layers when on Overview). */
  | { readonly type: 'focusLayer'; readonly layer: string };

/** Panel → extension host. */
export type PanelToHost =
  | { readonly type: 'ready' }
  | { readonly type: 'requestSimilarity'; readonly method: MethodName; readonly layer: string }
  | { readonly type: 'exportAligned'; readonly method: MethodName }
  | { readonly type: 'exportMerged'; readonly method: MethodName }
  | { readonly type: 'cancel' };
