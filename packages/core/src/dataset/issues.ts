/**
 * How dataset problems are worded: field paths (`inputs.history[0].role`), short descriptions of values, zod
 * issues turned into sentences, and the collector that caps the list. Every issue passes through
 * {@link safeIssue} on its way out, so a hostile line cannot write control bytes or escape sequences to the
 * terminal, nor flood it.
 */
import type { z } from 'zod';
import type { DatasetIssue } from '../errors.js';

/** One step of a field path: a key or a list index. */
export type PathPart = string | number;
/** An issue found in one case, before its line is known. */
export type FieldIssue = Omit<DatasetIssue, 'line'>;

/** The most issues a {@link DatasetError} lists; one more issue says how many were left out. */
export const MAX_LISTED_ISSUES = 100;

/** Longest message and field text shown; longer text is cut and says how much was left out. */
const MAX_MESSAGE_CHARS = 400;
const MAX_FIELD_CHARS = 120;

// C0 and C1 controls, DEL, line/paragraph separators, bidirectional overrides and lone surrogates: anything a
// terminal may act on or that hides what the text says.
const UNSAFE =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** `text` with every unsafe character written as an escape (`\x1b`, `\u202e`), cut to `max` characters. */
export function escapeText(text: string, max = MAX_MESSAGE_CHARS): string {
  const escaped = text.replace(UNSAFE, (ch) => {
    const code = ch.charCodeAt(0);
    return code < 0x100
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
  if (escaped.length <= max) return escaped;
  return `${escaped.slice(0, max)}... (${escaped.length - max} more characters)`;
}

/** The issue as it may be shown: control bytes escaped, long text cut. */
export function safeIssue(issue: DatasetIssue): DatasetIssue {
  return {
    line: issue.line,
    field: issue.field === null ? null : escapeText(issue.field, MAX_FIELD_CHARS),
    message: escapeText(issue.message),
  };
}

/** Collects issues in file order, keeping the first {@link MAX_LISTED_ISSUES} and a count of the rest. */
export class IssueCollector {
  count = 0;
  readonly #listed: DatasetIssue[] = [];
  add(issue: DatasetIssue): void {
    this.count++;
    if (this.#listed.length < MAX_LISTED_ISSUES) this.#listed.push(safeIssue(issue));
  }
  issues(): DatasetIssue[] {
    const more = this.count - this.#listed.length;
    if (more <= 0) return [...this.#listed];
    return [
      ...this.#listed,
      { line: null, field: null, message: `${more} more problem${more === 1 ? '' : 's'} found, not listed` },
    ];
  }
}

/** `['inputs', 'history', 0, 'role']` -> `inputs.history[0].role`. */
export function fieldPath(parts: readonly PathPart[]): string | null {
  let out = '';
  for (const part of parts) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[^.[\]"\s]+$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out === '' ? null : out;
}

/** A short description of a value for messages (`"text"`, `number 3`, `a list`). */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 37)}...` : value;
    return JSON.stringify(shown);
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** zod's issues as sentences; `allowedKeys` are listed (with a "did you mean") for an unknown key. */
export function zodIssues(
  error: z.ZodError,
  prefix: PathPart[],
  allowedKeys: readonly string[],
): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of error.issues) {
    const path = [...prefix, ...issue.path.filter((p): p is PathPart => typeof p !== 'symbol')];
    const input = (issue as { input?: unknown }).input;
    const got = input === undefined ? '' : ` (got ${describe(input)})`;
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys) {
          const hint = suggest(key, allowedKeys);
          out.push({
            field: fieldPath([...path, key]),
            message: `unknown key${hint === null ? '' : `; did you mean "${hint}"?`} (allowed: ${allowedKeys.join(', ')})`,
          });
        }
        break;
      case 'invalid_type':
        out.push({
          field: fieldPath(path),
          message: input === undefined ? 'is required' : `must be ${article(issue.expected)}${got}`,
        });
        break;
      case 'invalid_value':
        out.push({
          field: fieldPath(path),
          message: `must be one of ${issue.values.map(String).join(', ')}${got}`,
        });
        break;
      case 'too_small':
        out.push({ field: fieldPath(path), message: 'must not be empty' });
        break;
      default:
        out.push({ field: fieldPath(path), message: `${issue.message}${got}` });
    }
  }
  return out;
}

function article(expected: string): string {
  switch (expected) {
    case 'record':
    case 'object':
      return 'an object';
    case 'array':
      return 'a list';
    default:
      return `a ${expected}`;
  }
}

/** The closest allowed key when `key` looks like a typo of it (edit distance <= 3, or a prefix). */
function suggest(key: string, allowed: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of allowed) {
    const lower = key.toLowerCase();
    const d = lower.startsWith(candidate) || candidate.startsWith(lower) ? 1 : editDistance(lower, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.min(3, Math.max(1, Math.floor(key.length / 2))) ? best : null;
}

function editDistance(a: string, b: string): number {
  if (a.length > 64) return Infinity; // a key this long is no typo of a short one
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(
        Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
