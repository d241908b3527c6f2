/**
 * `report.md`: the human report, also used as the GitHub job summary and the PR comment (SPEC sections 4 and 6).
 */
import { formatDuration } from '../duration.js';
import { formatRate } from '../gate.js';
import type { ComparisonDetails } from '../compare/details.js';
import type { CaseRecord, Summary } from '../types.js';
import { outcomeBar } from './bar.js';
import { renderComparison } from './comparison-markdown.js';
import { failureReason, truncate, workflowLabel } from './format.js';
import { groupFailures } from './groups.js';
import type { FailureGroup } from './groups.js';

/** The commit a run tested, as the report shows it (short SHA, linked when a URL is given). */
export interface ReportCommit {
  /** The full SHA; the report shows its first 7 characters. */
  readonly sha: string;
  /** The commit's web page. @default none (the SHA is shown unlinked) */
  readonly url?: string | undefined;
}

/** Options of {@link renderMarkdown}. */
export interface MarkdownOptions {
  /** Link to the uploaded results artifact, shown at the top and at the end. @default none */
  readonly artifactUrl?: string | undefined;
  /** The commit the run tested, shown at the top. @default none */
  readonly commit?: ReportCommit | undefined;
  /** Link to the CI run (e.g. a GitHub workflow run attempt), shown at the top. @default none */
  readonly runUrl?: string | undefined;
  /**
   * The failures grouped by reason, over every failing case ({@link FailureGroups} while reading the records).
   * @default grouped from `failures` (which may be only the first ones: the section then says so)
   */
  readonly groups?: readonly FailureGroup[] | undefined;
  /** Most failing cases listed in the table. @default 50 */
  readonly maxFailures?: number | undefined;
  /** The name in the heading. @default 'vellum-batch' */
  readonly title?: string | undefined;
  /** The first regressions and fixes, shown when `summary.comparison` is set. @default counts only */
  readonly comparison?: ComparisonDetails | undefined;
  /**
   * The first flaky cases (their repeats disagree), listed when `summary.repeat` is set (at most
   * {@link MAX_FLAKY_ROWS}). @default the ids of `summary.flaky_ids`, without their repeats
   */
  readonly flaky?: readonly CaseRecord[] | undefined;
}

/** Most flaky cases listed in the report. */
export const MAX_FLAKY_ROWS = 20;

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
const MAX_GROUPS = 15;

/**
 * Renders the report: verdict heading, links (commit, run, artifact), the gate's reasons, counts, the outcome bar,
 * latency and duration, API calls, the shard, the failures by reason, the failing cases (capped) and the artifact
 * link. Each part is one section function below, so a new part is one more entry in `sections`. Case text is
 * escaped so that it cannot break the Markdown, and the result stays under {@link MARKDOWN_LIMIT} characters
 * whatever the input: the failing-cases table takes what room is left, and says how many it left out.
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
  const failing = failures.filter((r) => !r.passed);
  const failedCount = Math.max(summary.failed, failing.length);
  const artifact = options.artifactUrl === undefined ? null : safeUrl(options.artifactUrl);

  const sections: string[][] = [
    headingSection(summary, options.title ?? 'vellum-batch'),
    linksSection(options, artifact),
    gateSection(summary),
    renderComparison(summary, options.comparison),
    stoppedSection(summary),
    countsSection(summary),
    outcomeBar(summary),
    timingSection(summary),
    repeatsSection(summary, options.flaky),
    groupsSection(
      options.groups ?? groupFailures(failing),
      failedCount,
      options.groups === undefined ? failing.length : null,
    ),
  ];
  const tail = artifact === null ? [] : [`[Download the results artifact](${artifact})`, ''];
  const head = sections.flat();
  const maxRows = Math.max(0, Math.floor(options.maxFailures ?? DEFAULT_MAX_FAILURE_ROWS));
  const room = BUDGET - length(head) - length(tail);
  return [...head, ...failingCasesSection(failing, failedCount, maxRows, room), ...tail].join('\n');
}

function headingSection(summary: Summary, title: string): string[] {
  const icon = summary.verdict === 'pass' ? '✅' : '❌';
  const about = [`Release tag: ${inline(truncate(summary.workflow.release_tag, MAX_NAME))}`];
  if (summary.workflow.deployment_name !== null && summary.workflow.deployment_id !== null) {
    about.push(`deployment id: ${inline(truncate(summary.workflow.deployment_id, MAX_NAME))}`);
  }
  about.push(`run: ${inline(truncate(summary.run_id, MAX_NAME))}`);
  return [
    `## ${icon} ${inline(truncate(title, MAX_NAME))}: ${summary.verdict} — ${inline(truncate(workflowLabel(summary), MAX_NAME))}`,
    '',
    about.join(' · '),
    '',
  ];
}

/** `Commit [abc1234](…) · [Workflow run](…) · [Results artifact](…)`: what is known of the three. */
function linksSection(options: MarkdownOptions, artifact: string | null): string[] {
  const links: string[] = [];
  if (options.commit !== undefined && options.commit.sha !== '') {
    const short = inline(options.commit.sha.slice(0, 7));
    const url = options.commit.url === undefined ? null : safeUrl(options.commit.url);
    links.push(url === null ? `Commit ${short}` : `Commit [${short}](${url})`);
  }
  const run = options.runUrl === undefined ? null : safeUrl(options.runUrl);
  if (run !== null) links.push(`[Workflow run](${run})`);
  if (artifact !== null) links.push(`[Results artifact](${artifact})`);
  return links.length === 0 ? [] : [links.join(' · '), ''];
}

function gateSection(summary: Summary): string[] {
  if (summary.gate.passed) return [];
  const lines = ['**The gate failed:**', ''];
  for (const reason of summary.gate.reasons.slice(0, MAX_GATE_REASONS)) {
    lines.push(`- ${inline(truncate(reason, MAX_REASON))}`);
  }
  const hidden = summary.gate.reasons.length - MAX_GATE_REASONS;
  if (hidden > 0) lines.push(`- … and ${hidden} more`);
  lines.push('');
  return lines;
}

function stoppedSection(summary: Summary): string[] {
  if (summary.stopped === null) return [];
  return [
    `> [!WARNING]`,
    `> The run stopped early (${summary.stopped.reason}): ${inline(truncate(summary.stopped.message, MAX_REASON))}`,
    '',
  ];
}

function countsSection(summary: Summary): string[] {
  const allowedError =
    summary.gate.max_error_rate === null ? '' : ` (allowed ${formatRate(summary.gate.max_error_rate)})`;
  return [
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
  ];
}

function timingSection(summary: Summary): string[] {
  const latency = summary.latency_ms;
  const lines = [
    `**Latency** p50 ${ms(latency.p50)} · p95 ${ms(latency.p95)} · max ${ms(latency.max)} · ` +
      `**Duration** ${formatDuration(summary.duration_ms)}`,
    '',
    `**API calls** ${summary.api_calls.submit} submit · ${summary.api_calls.status} status · ` +
      `${summary.api_calls.retries} ${summary.api_calls.retries === 1 ? 'retry' : 'retries'}`,
    '',
  ];
  const hooks = summary.webhooks;
  if (hooks !== undefined) {
    lines.push(
      `**Webhooks** ${hooks.received} received · ${hooks.accepted} accepted · ${hooks.duplicates} duplicates · ` +
        `${hooks.refused} refused · ${hooks.ignored} ignored · ${hooks.misrouted} misrouted`,
      '',
    );
  }
  if (summary.shard !== null) lines.push(`**Shard** ${summary.shard.index} of ${summary.shard.count}`, '');
  return lines;
}

/** With `--repeat`: how the cases were repeated, and `### Flaky cases (N)`, a row per case (the first ones). */
function repeatsSection(summary: Summary, flaky: readonly CaseRecord[] | undefined): string[] {
  const repeat = summary.repeat;
  if (repeat === undefined) return [];
  const count = summary.flaky ?? 0;
  const lines = [
    `**Repeats** each case ran ${repeat.count} ${repeat.count === 1 ? 'time' : 'times'}; it passes when ` +
      `${repeat.min_pass === repeat.count ? 'every one' : `${repeat.min_pass} of them`} passed · ` +
      `**Flaky** ${count} ${count === 1 ? 'case' : 'cases'} (repeats disagreed)`,
    '',
  ];
  if (count === 0) return lines;
  const rows =
    flaky?.slice(0, MAX_FLAKY_ROWS).map((record) => {
      const runs = record.repeats ?? [];
      const passed = runs.filter((r) => r.passed).length;
      // A repeat that ran but failed its expectations reads `fail`; one that did not run to its end, its status.
      const each = runs
        .map((r) => (r.passed ? 'pass' : r.status === 'FULFILLED' ? 'fail' : r.status))
        .join(', ');
      return `| ${inline(truncate(record.id, MAX_ID))} | ${record.passed ? 'passed' : 'failed'} | ${passed}/${runs.length} | ${inline(truncate(each, 160))} |`;
    }) ??
    (summary.flaky_ids ?? [])
      .slice(0, MAX_FLAKY_ROWS)
      .map((id) => `| ${inline(truncate(id, MAX_ID))} | | | |`);
  lines.push(`### Flaky cases (${count})`, '');
  if (rows.length > 0)
    lines.push('| Case | Verdict | Repeats passed | Repeats |', '|---|---|---:|---|', ...rows, '');
  const more = count - rows.length;
  if (more > 0) {
    lines.push(
      rows.length > 0
        ? `… and ${more} more: see the results artifact.`
        : `${more} flaky ${more === 1 ? 'case' : 'cases'}: see the results artifact.`,
      '',
    );
  }
  return lines;
}

/**
 * `### Failures by reason`: one line per reason, most cases first, each with its first case ids.
 * @param partial - How many failing records the groups were made from, when not from all of them.
 */
function groupsSection(
  groups: readonly FailureGroup[],
  failedCount: number,
  partial: number | null,
): string[] {
  if (groups.length === 0) return [];
  const lines = ['### Failures by reason', ''];
  if (partial !== null && partial < failedCount) {
    lines.push(`Among the first ${partial} of ${failedCount} failing cases:`, '');
  }
  for (const group of groups.slice(0, MAX_GROUPS)) lines.push(`- ${groupLine(group)}`);
  const hidden = groups.slice(MAX_GROUPS);
  if (hidden.length > 0) {
    const cases = hidden.reduce((sum, g) => sum + g.count, 0);
    lines.push(
      `- … and ${hidden.length} more ${hidden.length === 1 ? 'reason' : 'reasons'} (${cases} ${cases === 1 ? 'case' : 'cases'}): see the results artifact`,
    );
  }
  if (groups.some((g) => g.kind === 'expectation')) {
    lines.push('', 'A case that fails several expectations counts under each.');
  }
  lines.push('');
  return lines;
}

function groupLine(group: FailureGroup): string {
  const what =
    group.kind === 'error' && group.status !== null && group.status !== group.reason
      ? `${inline(group.status)} · ${inline(group.reason)}`
      : inline(group.reason);
  let line = `**${what}** × ${group.count}`;
  if (group.caseIds.length > 0) {
    const ids = group.caseIds.map((id) => inline(truncate(id, MAX_ID))).join(', ');
    line += `: ${ids}${group.count > group.caseIds.length ? ', …' : ''}`;
  }
  if (group.example !== null) line += ` (e.g. “${inline(truncate(group.example, 160))}”)`;
  return line;
}

/** `### Failing cases (N)`: a row per case while rows and `room` last, then how many were left out. */
function failingCasesSection(
  failing: readonly CaseRecord[],
  failedCount: number,
  maxRows: number,
  room: number,
): string[] {
  if (failedCount === 0) return [];
  const lines = [`### Failing cases (${failedCount})`, ''];
  let used = length(lines) + 200;
  const rows: string[] = [];
  for (const record of failing.slice(0, maxRows)) {
    const row = failureRow(record);
    if (used + row.length + 1 > room) break;
    used += row.length + 1;
    rows.push(row);
  }
  if (rows.length > 0) lines.push('| Case | Status | Reason | Execution |', '|---|---|---|---|', ...rows, '');
  const more = failedCount - rows.length;
  if (more > 0) {
    lines.push(
      rows.length > 0
        ? `… and ${more} more: see the results artifact.`
        : `${more} failing ${more === 1 ? 'case' : 'cases'}: see the results artifact.`,
      '',
    );
  }
  return lines;
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
