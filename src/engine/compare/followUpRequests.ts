/**
 * The requests of the jobs that follow a comparison, made from its report alone. Pure, so the
 * extension host builds them without loading the engine's readers or TensorFlow.js.
 */
import type { CompareReport, MethodName } from '../../shared/compareReport';
import type { ComparedPair, ExportRequest } from '../../shared/exportRequest';
import { InputError } from '../io/inputError';

/** The pair a report's comparison read, as the heatmap and export jobs read it again. */
export function comparedPairOf(report: Pick<CompareReport, 'request' | 'architecture'>): ComparedPair {
  return { request: report.request, inputShape: report.architecture.inputShape };
}

/** The export of `method`'s alignment in `report`: π(B) when `alpha` is null, else the merge at `alpha`. */
export function exportRequestFor(
  report: Pick<CompareReport, 'request' | 'architecture' | 'methods'>,
  method: MethodName,
  alpha: number | null,
  out: string,
  overwrite: boolean,
): ExportRequest {
  const result = report.methods[method];
  if (!result) throw new InputError(`the comparison has no '${method}' result to export (it ran ${Object.keys(report.methods).join(', ')})`);
  return { ...comparedPairOf(report), method, permutations: result.matching.map((m) => m.permutation), alpha, out, overwrite };
}
