/**
 * `report.md`: the human report, also used as the GitHub job summary and the PR comment (SPEC sections 4 and 6).
 */
import { formatDuration } from '../duration.js';
import { formatRate } from '../gate.js';
import type { ComparisonDetails } from '../compare/details.js';
import type { CaseRecord, Summary } from '../types.js';
import { renderComparison } from './comparison-markdown.js';
import { failureReason, truncate, workflowLabel } from './format.js';

/** Options of {@link renderMarkdown}. */
export interface MarkdownOptions {
  /** Link to the uploaded results artifact, shown at the end. @default none */
  readonly artifactUrl?: string | undefined;
  /** Most failing cases listed in the table. @default 50 */
  readonly maxFailures?: number | undefined;
  /** The name in the heading. @default 'vellum-batch' */
  readonly title?: string | undefined;
  /** The first regressions and fixes, shown when `summary.comparison` is set. @default counts only */
  readonly comparison?: ComparisonDetails | undefined;
}

/** Default of {@link MarkdownOptions.maxFailures}. */
export const DEFAULT_MAX_FAILURE_ROWS = 50;

/** The report never grows past this many characters (GitHub comments stop at 65,536). */
export const MARKDOWN_LIMIT = 60_000;
/** Room kept free below {@link MARKDOWN_LIMIT} for what callers append (e.g. a sticky-comment marker). */
const BUDGET = MARKDOWN_LIMIT - 2_000;

const MAX_ID = 80;
const MAX_REASON = 300;
const MAX_NAME = 120;
const MAX_URL = 1_000;
const MAX_GATE_REASONS = 10;

/**
 * Renders the report: verdict heading, the gate's reasons, counts, a Mermaid pie of outcomes, latency and
 * duration, API calls, the shard, the failing cases (capped) and the artifact link. Case text is escaped so
 * that it cannot break the Markdown, and the result stays under {@link MARKDOWN_LIMIT} characters whatever
 * the input.
 *
 * @param summary - The run's summary.
 * @param failures - Records that did not pass, in the order to list them (others are ignored); may be a
 *   prefix of all failures: the rest are counted from `summary.failed`.
 * @param options - See {@link MarkdownOptions}.
 */
export function renderMarkdown(
  summary: Summary,
  failures: readonly CaseRecord[],
  options: MarkdownOptions = {},
): string {
  const title = options.title ?? 'vellum-batch';
  const maxRows = Math.max(0, Math.floor(options.maxFailures ?? DEFAULT_MAX_FAILURE_ROWS));
  const head: string[] = [];

  const icon = summary.verdict === 'pass' ? '✅' : '❌';
  head.push(
    `## ${icon} ${inline(truncate(title, MAX_NAME))}: ${summary.verdict} — ${inline(truncate(workflowLabel(summary), MAX_NAME))}`,
    '',
  );
  const about = [`Release tag: ${inline(truncate(summary.workflow.release_tag, MAX_NAME))}`];
  if (summary.workflow.deployment_name !== null && summary.workflow.deployment_id !== null) {
    about.push(`deployment id: ${inline(truncate(summary.workflow.deployment_id, MAX_NAME))}`);
  }
  about.push(`run: ${inline(truncate(summary.run_id, MAX_NAME))}`);
  head.push(about.join(' · '), '');

  if (!summary.gate.passed) {
    head.push('**The gate failed:**', '');
    for (const reason of summary.gate.reasons.slice(0, MAX_GATE_REASONS)) {
      head.push(`- ${inline(truncate(reason, MAX_REASON))}`);
    }
    const hidden = summary.gate.reasons.length - MAX_GATE_REASONS;
    if (hidden > 0) head.push(`- … and ${hidden} more`);
    head.push('');
  }
  if (summary.stopped !== null) {
    head.push(
      `> [!WARNING]`,
      `> The run stopped early (${summary.stopped.reason}): ${inline(truncate(summary.stopped.message, MAX_REASON))}`,
      '',
    );
  }
  head.push(...renderComparison(summary, options.comparison));

  const allowedError =
    summary.gate.max_error_rate === null ? '' : ` (allowed ${formatRate(summary.gate.max_error_rate)})`;
  head.push(
    '| Outcome | Cases |',
    '|---|---:|',
    `| Total | ${summary.total} |`,
    `| Passed | ${summary.passed} |`,
    `| Failed | ${summary.failed} |`,
    `| Fulfilled | ${summary.fulfilled} |`,
    `| Rejected | ${summary.rejected} |`,
    `| Submit failed | ${summary.submit_failed} |`,
    `| Timed out | ${summary.timed_out} |`,
    `| Cancelled | ${summary.cancelled} |`,
    `| Failure rate | ${formatRate(summary.failure_rate)} (allowed ${formatRate(summary.gate.max_failure_rate)}) |`,
    `| Error rate | ${formatRate(summary.error_rate)}${allowedError} |`,
    '',
  );

  const slices: [string, number][] = [
    ['Passed', summary.passed],
    ['Failed expectations', Math.max(0, summary.fulfilled - summary.passed)],
    ['Rejected', summary.rejected],
    ['Errored', summary.errored],
  ];
  const shown = slices.filter(([, n]) => n > 0);
  if (shown.length > 0) {
    head.push(
      '```mermaid',
      'pie title Outcomes',
      ...shown.map(([label, n]) => `    "${label}" : ${n}`),
      '```',
      '',
    );
  }

  const latency = summary.latency_ms;
  head.push(
    `**Latency** p50 ${ms(latency.p50)} · p95 ${ms(latency.p95)} · max ${ms(latency.max)} · ` +
      `**Duration** ${formatDuration(summary.duration_ms)}`,
    '',
    `**API calls** ${summary.api_calls.submit} submit · ${summary.api_calls.status} status · ` +
      `${summary.api_calls.retries} ${summary.api_calls.retries === 1 ? 'retry' : 'retries'}`,
    '',
  );
  if (summary.shard !== null) head.push(`**Shard** ${summary.shard.index} of ${summary.shard.count}`, '');

  const tail: string[] = [];
  const artifact = options.artifactUrl === undefined ? null : safeUrl(options.artifactUrl);
  if (artifact !== null) tail.push(`[Download the results artifact](${artifact})`, '');

  const failing = failures.filter((r) => !r.passed);
  const failedCount = Math.max(summary.failed, failing.length);
  const body: string[] = [];
  if (failedCount > 0) {
    body.push(`### Failing cases (${failedCount})`, '');
    let used = length(head) + length(tail) + length(body) + 200;
    const rows: string[] = [];
    for (const record of failing.slice(0, maxRows)) {
      const row = failureRow(record);
      if (used + row.length + 1 > BUDGET) break;
      used += row.length + 1;
      rows.push(row);
    }
    if (rows.length > 0)
      body.push('| Case | Status | Reason | Execution |', '|---|---|---|---|', ...rows, '');
    const more = failedCount - rows.length;
    if (more > 0) {
      body.push(
        rows.length > 0
          ? `… and ${more} more: see the results artifact.`
          : `${more} failing ${more === 1 ? 'case' : 'cases'}: see the results artifact.`,
        '',
      );
    }
  }

  return [...head, ...body, ...tail].join('\n');
}

function failureRow(record: CaseRecord): string {
  const url = record.execution_detail_url === null ? null : safeUrl(record.execution_detail_url);
  const link = url === null ? '' : `[open](${url})`;
  const reason = failureReason(record, { firstOnly: true, maxValue: 120 });
  return `| ${inline(truncate(record.id, MAX_ID))} | ${record.status} | ${inline(truncate(reason, MAX_REASON))} | ${link} |`;
}

function length(lines: readonly string[]): number {
  return lines.reduce((sum, line) => sum + line.length + 1, 0);
}

function ms(value: number | null): string {
  return value === null ? '–' : formatDuration(value);
}

/**
 * Escapes text for one line of Markdown (a table cell, a list item, a heading): line breaks become spaces,
 * Markdown punctuation is backslash-escaped, `<`, `>` and `&` become entities (no HTML gets through) and
 * `@` becomes an entity (no one is mentioned by a case's text).
 */
export function escapeMarkdownInline(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, '')
      .replace(/\r\n|[\r\n\u2028\u2029]/g, ' ')
      .replace(/[\\`*_[\]|~#]/g, '\\$&')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/@/g, '&#64;')
  );
}

const inline = escapeMarkdownInline;

/** An http(s) URL safe to put in `[text](url)`, or null when it is not one. */
function safeUrl(url: string): string | null {
  if (url.length > MAX_URL || !/^https?:\/\//i.test(url)) return null;
  try {
    // Percent-encode what could end the link early or open HTML.
    return new URL(url).href.replace(
      /[()<>\s"'`]/g,
      (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
    );
  } catch {
    return null;
  }
}
