import { resolve, sep } from 'node:path';
import type { FuzzCase } from './cases';
import type { Family } from './families';
import type { CaseOutcome, Threw } from './protocol';

/** Every way a case can end; all but `accepted` and `clean` are failures. */
export const VERDICTS = ['accepted', 'clean', 'ugly', 'hang', 'crash', 'escape', 'truncated-accepted', 'refuse-accepted'] as const;
export type Verdict = (typeof VERDICTS)[number];

export const FAILURES: ReadonlySet<Verdict> = new Set(['ugly', 'hang', 'crash', 'escape', 'truncated-accepted', 'refuse-accepted']);

/** Internal errors a message must never carry, raw or wrapped. */
const INTERNAL = [
  'Maximum call stack', 'RangeError', 'TypeError', 'ReferenceError', 'cannot be read (', 'Cannot read propert', 'is not a function',
  'is not iterable', 'Invalid array length', 'Array buffer allocation failed', 'Invalid typed array length', 'ERR_', 'out of memory',
  'Cannot convert', 'Invalid string length', '[object Object]', 'Offset is outside the bounds', 'out of range',
];

/** The longest message that is still one readable line. */
const MAX_MESSAGE = 600;
/** The longest run without a space: a quoted untrusted value cut by clip is at most 60 characters. */
const MAX_WORD = 90;

/** Why `message` is not one clean line for a person, or undefined when it is. */
export function messageFlaw(message: string): string | undefined {
  if (/[\n\r\u2028\u2029]/.test(message)) return 'more than one line';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(message)) return 'a control character';
  if (/\bundefined\b/.test(message)) return "'undefined' in place of a value";
  const internal = INTERNAL.find((text) => message.includes(text));
  if (internal) return `an internal error (${internal})`;
  if (message.length > MAX_MESSAGE) return `${message.length} characters`;
  const word = message.split(' ').find((w) => w.length > MAX_WORD);
  if (word) return `an unbroken run of ${word.length} characters (an untrusted value quoted whole?)`;
  return undefined;
}

export interface Classified {
  readonly verdict: Verdict;
  readonly detail: string;
  /** How long the reader ran. */
  readonly ms?: number;
}

/** The verdict on one case from how its reader ended, with the time it took. */
export function classify(family: Family, fuzzCase: FuzzCase, outcome: CaseOutcome, caseDir: string): Classified {
  return { ...verdictOf(family, fuzzCase, outcome, caseDir), ms: outcome.ms };
}

function verdictOf(family: Family, fuzzCase: FuzzCase, outcome: CaseOutcome, caseDir: string): Classified {
  if (outcome.executed.length) return { verdict: 'escape', detail: `tried to run ${outcome.executed[0]}` };
  if (outcome.touched.length) return { verdict: 'escape', detail: `named ${outcome.touched[0]}, outside the case's folder` };
  if (outcome.status === 'hang') return { verdict: 'hang', detail: outcome.message };
  if (outcome.status === 'crash') return { verdict: 'crash', detail: outcome.message };
  if (outcome.status === 'accepted') {
    const cut = fuzzCase.truncated;
    if (cut && cut.to < cut.from && !family.truncationMayBeValid?.(cut.file, cut.to)) {
      return { verdict: 'truncated-accepted', detail: `${cut.file} cut from ${cut.from} to ${cut.to} bytes read as ${outcome.detail}` };
    }
    if (fuzzCase.mustRefuse) return { verdict: 'refuse-accepted', detail: `${fuzzCase.mustRefuse} read as ${outcome.detail}` };
    return { verdict: 'accepted', detail: outcome.detail };
  }
  const threw = outcome as Threw;
  if (threw.status === 'misread') return { verdict: 'ugly', detail: `misread: ${threw.message}` };
  const message = threw.message;
  if (threw.name !== 'FormatError') return { verdict: 'ugly', detail: `${threw.name}: ${message.slice(0, 300)}` };
  const file = threw.file === undefined ? undefined : resolve(threw.file);
  if (file === undefined || !file.startsWith(resolve(caseDir) + sep)) {
    return { verdict: 'ugly', detail: `names ${threw.file ?? 'no file'}, not a file of the case: ${message.slice(0, 300)}` };
  }
  const flaw = messageFlaw(message);
  if (flaw) return { verdict: 'ugly', detail: `${flaw}: ${message.slice(0, 300)}` };
  return { verdict: 'clean', detail: message };
}

/** A failure's kind without its numbers and quoted values, to write one reproducer per kind. */
export function signature(family: string, c: Classified): string {
  const text = c.detail.replace(/'[^']*'/g, "''").replace(/\d+/g, 'N').slice(0, 120);
  return `${family}|${c.verdict}|${text}`;
}
