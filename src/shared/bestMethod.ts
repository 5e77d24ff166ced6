import type { CompareReport, MethodName } from './compareReport';

/**
 * The alignment to feature or export when none is named: among the methods other than naive
 * whose permutation passed the equivalence check, the lowest loss barrier (ties and
 * weights-only reports, which have no barrier, keep the report's method order). Undefined when
 * no alignment passed.
 */
export function bestMethod(report: Pick<CompareReport, 'methods'>): MethodName | undefined {
  const valid = Object.values(report.methods).filter((m) => m.method !== 'naive' && m.equivalent);
  const score = (loss: number | undefined) => (loss !== undefined && Number.isFinite(loss) ? loss : Infinity);
  let best = valid[0];
  for (const m of valid) if (score(m.barrier?.loss) < score(best!.barrier?.loss)) best = m;
  return best?.method;
}
