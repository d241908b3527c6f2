/**
 * The report's comparison section (a run compared with a baseline): a "Compared with" line naming the baseline's
 * commit, run and date, the counts, then the regressions first (each with its reason and the baseline's output
 * beside the new one, cut short), then the fixes. The rest of the report lists the remaining failures.
 */
import { formatDuration } from '../duration.js';
import type { ComparisonDetails } from '../compare/details.js';
import { outputText } from '../compare/details.js';
import type { CaseRecord, Comparison, Summary } from '../types.js';
import { failureReason, truncate } from './format.js';
import { escapeMarkdownInline as inline } from './markdown.js';

/** The section never grows past this many characters, whatever the number of regressions. */
export const COMPARISON_BUDGET = 24_000;

const MAX_ID = 80;
const MAX_REASON = 200;
const MAX_OUTPUT = 160;
const MAX_FIXES_LISTED = 50;

/**
 * The comparison section's lines (empty when the summary has no comparison). Case text is escaped so it cannot
 * break the Markdown, and the section stays under {@link COMPARISON_BUDGET} characters.
 *
 * @param summary - The run's summary; `summary.comparison` is what is shown.
 * @param details - The first regressions and fixes with their records (from `writeReports`). @default counts only
 */
export function renderComparison(summary: Summary, details?: ComparisonDetails): string[] {
  const comparison = summary.comparison;
  if (comparison === undefined) return [];
  const lines: string[] = [comparedWith(comparison), ''];
  if (comparison.dataset_changed) {
    lines.push(
      '> [!NOTE]',
      `> The baseline ran another dataset: ${count(comparison.added, 'case')} added, ${comparison.removed} removed.`,
      '',
    );
  }
  lines.push(counts(comparison), '');

  let used = size(lines) + 200;
  if (comparison.regressions > 0) {
    lines.push(`### Regressions (${comparison.regressions}): passed in the baseline, fail now`, '');
    const rows: string[] = [];
    for (const { record, baseline } of details?.regressions ?? []) {
      const now = `${record.status}${repeatsOf(record)}`;
      const was = baseline === null ? '' : cell(`${baseline.status}: ${baseline.output}`, MAX_OUTPUT);
      const row =
        `| ${cell(record.id, MAX_ID)} | ${now} | ${cell(failureReason(record, { firstOnly: true, maxValue: 80 }), MAX_REASON)} ` +
        `| ${cell(outputText(record), MAX_OUTPUT)} | ${was} |`;
      if (used + row.length + 300 > COMPARISON_BUDGET) break;
      rows.push(row);
      used += row.length + 1;
    }
    if (rows.length > 0) {
      lines.push(
        '| Case | Now | Reason | Output now | In the baseline |',
        '|---|---|---|---|---|',
        ...rows,
        '',
      );
    }
    const more = comparison.regressions - rows.length;
    if (more > 0) {
      const named = comparison.regressed_ids
        .slice(rows.length, rows.length + 20)
        .map((id) => cell(id, MAX_ID));
      lines.push(
        `${rows.length > 0 ? '… and ' : ''}${count(more, 'more regression')}${named.length > 0 ? `: ${named.join(', ')}` : ''}` +
          `${more > named.length ? ' …' : ''} (all ids in summary.json, \`comparison.regressed_ids\`, and junit.xml).`,
        '',
      );
    }
  }

  if (comparison.fixes > 0) {
    lines.push(`### Fixes (${comparison.fixes}): failed in the baseline, pass now`, '');
    const fixes = details?.fixes ?? [];
    const shown = (fixes.length > 0 ? fixes.map((r) => r.id) : comparison.fixed_ids).slice(
      0,
      MAX_FIXES_LISTED,
    );
    const list = shown.map((id) => cell(id, MAX_ID)).join(', ');
    const more = comparison.fixes - shown.length;
    lines.push(`${list}${more > 0 ? ` and ${more} more` : ''}`, '');
  }
  // The fixes' list is capped by count and length; a last guard keeps the section within its budget.
  const text = lines.join('\n');
  return text.length <= COMPARISON_BUDGET
    ? lines
    : [...truncate(text, COMPARISON_BUDGET - 2).split('\n'), ''];
}

function comparedWith(comparison: Comparison): string {
  const b = comparison.baseline;
  const parts: string[] = [];
  const runUrl = b.run_url === undefined ? null : safeUrl(b.run_url);
  const run = `run ${inline(truncate(b.run_id, 80))}`;
  parts.push(runUrl === null ? run : `[${run}](${runUrl})`);
  if (b.commit !== undefined) {
    const short = inline(b.commit.slice(0, 7));
    const commitUrl = runUrl === null ? null : commitUrlOf(runUrl, b.commit);
    parts.push(commitUrl === null ? `commit ${short}` : `commit [${short}](${commitUrl})`);
  }
  parts.push(`finished ${dateOf(b.finished_at)}`, `release tag ${inline(truncate(b.release_tag, 80))}`);
  return `**Compared with** ${parts.join(' · ')}`;
}

function counts(c: Comparison): string {
  const parts = [
    `**${count(c.regressions, 'regression')}**`,
    count(c.fixes, 'fix', 'fixes'),
    `${c.still_failing} still failing`,
    `${c.still_passing} still passing`,
    `${c.added} added`,
    `${c.removed} removed`,
  ];
  const p50 = signedMs(c.latency.p50_delta_ms);
  const p95 = signedMs(c.latency.p95_delta_ms);
  if (p50 !== null || p95 !== null) parts.push(`latency p50 ${p50 ?? '–'}, p95 ${p95 ?? '–'}`);
  return parts.join(' · ');
}

/** `" (2/3 repeats passed)"` for a record run with `--repeat`, else `''`. */
function repeatsOf(record: CaseRecord): string {
  const repeats = (record as { readonly repeats?: unknown }).repeats;
  if (!Array.isArray(repeats) || repeats.length === 0) return '';
  const passed = repeats.filter((r) => (r as { passed?: unknown } | null)?.passed === true).length;
  return ` (${passed}/${repeats.length} repeats passed)`;
}

function signedMs(value: number | null): string | null {
  if (value === null) return null;
  if (value === 0) return '±0ms';
  return `${value > 0 ? '+' : '−'}${formatDuration(Math.abs(value))}`;
}

function dateOf(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return inline(truncate(iso, 40));
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function cell(text: string, max: number): string {
  return inline(truncate(text, max));
}

function size(lines: readonly string[]): number {
  return lines.reduce((sum, line) => sum + line.length + 1, 0);
}

/** `https://host/o/r/actions/runs/1` -> `https://host/o/r/commit/{sha}`, or null for another shape of link. */
function commitUrlOf(runUrl: string, commit: string): string | null {
  const match = /^(https?:\/\/[^/]+\/[^/]+\/[^/]+)\/actions\/runs\/\d+/.exec(runUrl);
  if (match === null || !/^[0-9a-f]{7,64}$/i.test(commit)) return null;
  return `${match[1]}/commit/${commit}`;
}

/** An http(s) URL safe to put in `[text](url)`, or null when it is not one. */
function safeUrl(url: string): string | null {
  if (url.length > 1_000 || !/^https?:\/\//i.test(url)) return null;
  try {
    return new URL(url).href.replace(
      /[()<>\s"'`]/g,
      (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
    );
  } catch {
    return null;
  }
}
