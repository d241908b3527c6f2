/**
 * What the terminal shows when a run ends: the verdict, the first failing cases with their reason, where the report
 * is, and after an interruption the exact command that continues the run. Pure functions of the summary and records.
 */
import { join } from 'node:path';
import { formatDuration } from '@vellum-batch/core/internal';
import type { CaseRecord, Summary, WebhookSummary } from '@vellum-batch/core';
import type { AssertionResult } from '@vellum-batch/core/internal';

/** How many failing cases are listed; the rest are counted. */
export const MAX_LISTED_FAILURES = 20;

/** Width of a line when the output is not a terminal (a CI log): long enough for a reason, short enough to read. */
const LOG_WIDTH = 200;
/** Widest id column; longer ids are cut. */
const ID_COLUMN = 24;

/** What {@link renderFinalReport} shows. */
export interface FinalReportInput {
  readonly summary: Summary;
  /** The first failing cases in index order (see {@link isListedFailure}); at most {@link MAX_LISTED_FAILURES} shown. */
  readonly failures: readonly CaseRecord[];
  /** How many cases {@link isListedFailure} holds for, in all. */
  readonly failureCount: number;
  /** The out directory, as it should be printed (absolute). */
  readonly outDir: string;
  /** The terminal's columns; `undefined` when the output is not a terminal. */
  readonly width: number | undefined;
  /** The command that continues an interrupted or stopped run, or `null` when there is nothing to continue. */
  readonly continueCommand: string | null;
  /** The dataset came from standard input: the continue command needs it piped again. @default false */
  readonly fromStdin?: boolean;
}

/**
 * A failing case worth listing: it did not pass, and it ran or was refused (a case CANCELLED by an interruption is
 * counted in the summary line, not listed: it says nothing about the workflow).
 */
export function isListedFailure(record: CaseRecord): boolean {
  return !record.passed && record.status !== 'CANCELLED';
}

/**
 * Renders the end of a run. Each failing case is one line cut to `width - 1` characters on a terminal (200 in a
 * log); the verdict, the paths and the continue command are never cut, so they can be copied whole.
 */
export function renderFinalReport(input: FinalReportInput): string {
  const { summary } = input;
  const room = input.width === undefined ? LOG_WIDTH : Math.max(20, input.width - 1);
  const lines: string[] = [];
  if (summary.stopped !== null) {
    lines.push(`${stopLabel(summary.stopped.reason)}: ${summary.stopped.message}`);
  }
  const details = [
    `${summary.rejected} rejected`,
    `${summary.errored} errored`,
    ...(summary.cancelled > 0 ? [`${summary.cancelled} cancelled`] : []),
  ];
  lines.push(
    `${summary.verdict === 'pass' ? 'PASS' : 'FAIL'}: ${summary.passed}/${summary.total} passed, ${summary.failed} failed ` +
      `(${details.join(', ')}) in ${formatDuration(summary.duration_ms)}`,
  );
  for (const reason of summary.gate.reasons) lines.push(`  - ${reason}`);
  if (summary.webhooks !== undefined) lines.push(describeWebhooks(summary.webhooks));
  const c = summary.comparison;
  if (c !== undefined) {
    lines.push(
      cut(
        `compared with run ${c.baseline.run_id}: ${c.regressions} regressed, ${c.fixes} fixed, ` +
          `${c.still_failing} still failing, ${c.added} added, ${c.removed} removed` +
          (c.regressions > 0
            ? ` (regressed: ${c.regressed_ids.slice(0, 10).join(', ')}${c.regressions > 10 ? ', …' : ''})`
            : ''),
        room,
      ),
    );
  }

  const repeats = repeatsLine(summary);
  if (repeats !== null) lines.push(cut(repeats, room));

  const listed = input.failures.slice(0, MAX_LISTED_FAILURES);
  if (listed.length > 0) {
    lines.push(`failing cases (${input.failureCount}):`);
    const idWidth = Math.min(ID_COLUMN, Math.max(...listed.map((r) => r.id.length)));
    const statusWidth = Math.max(...listed.map((r) => r.status.length));
    for (const record of listed) {
      const line = `  ${cut(record.id, idWidth).padEnd(idWidth)}  ${record.status.padEnd(statusWidth)}  ${failureReason(record)}`;
      lines.push(cut(line, room));
    }
    const more = input.failureCount - listed.length;
    if (more > 0) lines.push(`  … and ${more} more (every case is in results.jsonl)`);
  }

  lines.push(`report:  ${join(input.outDir, 'report.md')}`);
  lines.push(`results: ${join(input.outDir, 'results.jsonl')} (also summary.json, junit.xml)`);
  if (input.continueCommand !== null) {
    lines.push(
      summary.stopped?.reason === 'interrupted'
        ? 'interrupted: continue this run (executions still running on Vellum are tracked to their end) with'
        : 'continue this run once the problem is fixed with',
    );
    lines.push(`  ${input.continueCommand}`);
    if (input.fromStdin === true) lines.push('  (pipe the same cases to its standard input again)');
  }
  return `${lines.join('\n')}\n`;
}

/**
 * With `--repeat`: `repeats: each case ran 3 times, passing with 2; 4 flaky: a, b, c, d`, the first 10 flaky ids
 * named; null for a run without repeats.
 */
export function repeatsLine(summary: Summary): string | null {
  const repeat = summary.repeat;
  if (repeat === undefined) return null;
  const flaky = summary.flaky ?? 0;
  const ids = (summary.flaky_ids ?? []).slice(0, 10);
  const named = ids.length === 0 ? '' : `: ${ids.join(', ')}${flaky > ids.length ? ', …' : ''}`;
  return (
    `repeats: each case ran ${repeat.count} ${repeat.count === 1 ? 'time' : 'times'}, passing with ${repeat.min_pass}; ` +
    `${flaky} flaky${named}`
  );
}

/** One line of webhook counts: `webhooks: N received, N accepted, ..., N refused (bad token 2)`. */
export function describeWebhooks(hooks: WebhookSummary): string {
  const reasons = Object.entries(hooks.refused_by)
    .filter(([, count]) => count > 0)
    .map(([reason, count]) => `${reason.replace('_', ' ')} ${count}`);
  return (
    `webhooks: ${hooks.received} received, ${hooks.accepted} accepted, ${hooks.duplicates} duplicates, ` +
    `${hooks.ignored} ignored, ${hooks.misrouted} misrouted, ${hooks.refused} refused` +
    (reasons.length > 0 ? ` (${reasons.join(', ')})` : '')
  );
}

/** Why a case failed, in one line: its error (code: message), else its first failing expectation or assertion. */
export function failureReason(record: CaseRecord): string {
  if (record.error !== null) return oneLine(`${record.error.code}: ${record.error.message}`);
  const assertion = record.assertions.find((a) => !a.passed);
  if (assertion !== undefined) return oneLine(describeAssertion(assertion));
  return record.status === 'FULFILLED' ? 'did not pass' : record.status;
}

function describeAssertion(a: AssertionResult): string {
  if (a.message !== undefined) return `${a.output} ${a.op}: ${a.message}`;
  if (a.op === 'exists') return `${a.output} exists: got ${show(a.actual)}`;
  return `${a.output} ${a.op} ${show(a.expected)}: got ${show(a.actual)}`;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  // JSON.stringify gives undefined only for functions and symbols, which no record holds.
  const text = JSON.stringify(value) ?? typeof value;
  return cut(text, 60);
}

/** Flags that made this run what it was and would change what a continuation does. */
const DROPPED_ON_CONTINUE = new Set(['--retry-failed', '--fresh', '--dry-run']);

/**
 * The command that continues a run: the same arguments with `--resume` (and without `--retry-failed`, `--fresh`,
 * `--dry-run`), quoted for a POSIX shell. Any argument holding one of `secrets` is replaced by `'***'`.
 *
 * @param argv - The arguments after the program name, e.g. `['run', '--dataset', 'cases.jsonl', ...]`.
 * @param secrets - Values that must never be printed (the API key). @default []
 */
export function continueCommand(argv: readonly string[], secrets: readonly string[] = []): string {
  const hidden = secrets.filter((s) => s.length >= 4);
  const args = argv
    .filter((arg) => !DROPPED_ON_CONTINUE.has(arg))
    .map((arg) => (hidden.some((s) => arg.includes(s)) ? '***' : arg));
  if (!args.includes('--resume')) args.push('--resume');
  return ['vellum-batch', ...args].map(quote).join(' ');
}

function quote(arg: string): string {
  if (/^[A-Za-z0-9_\-./:=@%+,]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

function stopLabel(reason: NonNullable<Summary['stopped']>['reason']): string {
  if (reason === 'interrupted') return 'interrupted';
  return reason === 'deadline' ? 'stopped (deadline)' : 'stopped (fatal)';
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function cut(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text;
}
