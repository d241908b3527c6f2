/**
 * Text helpers shared by the report writers: why a case did not pass, in one line.
 * Internal to `report/`: not part of the package's public API.
 */
import type { AssertionResult, CaseRecord, CaseStatus, Summary } from '../types.js';

/** Statuses that ended a case on our side: reported as errors, not failures. */
export const ERRORED_STATUSES: ReadonlySet<CaseStatus> = new Set<CaseStatus>([
  'SUBMIT_FAILED',
  'TIMED_OUT',
  'CANCELLED',
]);

/** Cuts `text` to at most `max` characters, marking the cut with `…`. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  // Do not split a surrogate pair.
  let end = Math.max(0, max - 1);
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/** A value as JSON, cut to `max` characters; `undefined` reads `missing`. */
export function showValue(value: unknown, max: number): string {
  if (value === undefined) return 'missing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? `(${typeof value})`;
  } catch {
    text = `(${typeof value})`;
  }
  return truncate(text, max);
}

/** One failed assertion in one line, e.g. `answer contains "refund" (actual: "We shipped it")`. */
export function describeAssertion(result: AssertionResult, maxValue = 200): string {
  const expected =
    result.op === 'exists' && result.expected === undefined ? '' : ` ${showValue(result.expected, maxValue)}`;
  const detail =
    result.message === undefined
      ? `actual: ${showValue(result.actual, maxValue)}`
      : `could not evaluate: ${truncate(result.message, maxValue)}`;
  return `${result.output} ${result.op}${expected} (${detail})`;
}

/** Messages used when a record carries no error of its own. */
const DEFAULT_MESSAGES: Readonly<Record<CaseStatus, string>> = {
  FULFILLED: 'the execution fulfilled but its expectations did not hold',
  REJECTED: 'the execution was rejected',
  SUBMIT_FAILED: 'the execution could not be started',
  TIMED_OUT: 'the deadline was reached before the execution finished',
  CANCELLED: 'the run was interrupted before the execution finished',
};

/**
 * Why a case did not pass, in one line: the error message when there is one, else the failed assertions
 * (all of them, or only the first), else a message for its status.
 */
export function failureReason(
  record: CaseRecord,
  options: { firstOnly?: boolean; maxValue?: number } = {},
): string {
  if (record.error !== null && record.error.message !== '') return record.error.message;
  const failed = record.assertions.filter((a) => !a.passed);
  if (failed.length > 0) {
    const shown = options.firstOnly === true ? failed.slice(0, 1) : failed;
    const text = shown.map((a) => describeAssertion(a, options.maxValue)).join('; ');
    return options.firstOnly === true && failed.length > 1 ? `${text} (+${failed.length - 1} more)` : text;
  }
  return DEFAULT_MESSAGES[record.status];
}

/** The name a report shows for the workflow: its deployment name, else its id. */
export function workflowLabel(summary: Pick<Summary, 'workflow'>): string {
  return summary.workflow.deployment_name ?? summary.workflow.deployment_id ?? 'workflow';
}
