/**
 * How a finished run is presented in the job: the step outputs, the job summary text and the step's
 * failure message. Pure functions over core's {@link Summary}.
 */
import type { RunProgress, Summary } from '@vellum-batch/core';

/** Every output of `action.yml`, in its order. */
export const OUTPUT_NAMES = [
  'verdict',
  'total',
  'passed',
  'failed',
  'errored',
  'failure-rate',
  'results-dir',
  'artifact-id',
  'artifact-url',
  'comment-url',
  'regressions',
  'fixes',
  'flaky',
] as const;
/** One of {@link OUTPUT_NAMES}. */
export type OutputName = (typeof OUTPUT_NAMES)[number];

/** GitHub refuses a job summary over 1 MiB (bytes of UTF-8); keep clear of it. The report is far smaller: a last guard. */
export const JOB_SUMMARY_LIMIT = 1_000_000;

/** What the action learned besides the summary. Empty strings for what did not happen. */
export interface OutputExtras {
  readonly resultsDir: string;
  readonly artifactId: string;
  readonly artifactUrl: string;
  readonly commentUrl: string;
}

/** The step outputs of a finished run (every output, as strings). */
export function outputsOf(summary: Summary, extras: OutputExtras): Record<OutputName, string> {
  return {
    verdict: summary.verdict,
    total: String(summary.total),
    passed: String(summary.passed),
    failed: String(summary.failed),
    errored: String(summary.errored),
    'failure-rate': String(summary.failure_rate),
    'results-dir': extras.resultsDir,
    'artifact-id': extras.artifactId,
    'artifact-url': extras.artifactUrl,
    'comment-url': extras.commentUrl,
    regressions: summary.comparison === undefined ? '' : String(summary.comparison.regressions),
    fixes: summary.comparison === undefined ? '' : String(summary.comparison.fixes),
    flaky: flakyCount(summary),
  };
}

/** How many cases were flaky (their repeats disagreed), or `''` for a run without `repeat`. */
function flakyCount(summary: Summary): string {
  return summary.flaky === undefined ? '' : String(summary.flaky);
}

/** How the step ends. */
export type Conclusion =
  | { readonly kind: 'pass'; readonly message: string }
  /** A quality failure (the gate); a warning only when `fail-on-gate` is false. */
  | { readonly kind: 'gate'; readonly message: string }
  /** The run could not be done (bad key, unknown deployment) or was interrupted: always fails the step. */
  | { readonly kind: 'harness'; readonly message: string };

/**
 * The step's conclusion: a harness error ("vellum-batch could not run the batch: ...") reads differently
 * from a quality failure ("vellum-batch gate failed: ...").
 */
export function conclusionOf(summary: Summary): Conclusion {
  const stopped = summary.stopped;
  if (stopped?.reason === 'fatal') {
    return { kind: 'harness', message: `vellum-batch could not run the batch: ${stopped.message}` };
  }
  if (stopped?.reason === 'interrupted') {
    return {
      kind: 'harness',
      message:
        `vellum-batch was interrupted (${stopped.message}) after ${summary.total - summary.cancelled} of ` +
        `${summary.total} cases finished; the partial results are in the artifact`,
    };
  }
  if (summary.verdict === 'pass') {
    return {
      kind: 'pass',
      message: `vellum-batch gate passed: ${summary.passed} of ${summary.total} cases passed`,
    };
  }
  const reasons = summary.gate.reasons.length > 0 ? summary.gate.reasons.join('; ') : 'the verdict is fail';
  const deadline = stopped?.reason === 'deadline' ? ` (${stopped.message})` : '';
  return { kind: 'gate', message: `vellum-batch gate failed: ${reasons}${deadline}` };
}

/**
 * The job summary when nothing could run (bad inputs, bad dataset) or, with `mode: 'merge'`, when the shards could
 * not be merged.
 *
 * @param links - Markdown links to show under the heading (the commit, the run). @default none
 */
export function errorSummary(message: string, mode: 'run' | 'merge' = 'run', links = ''): string {
  const quoted = message
    .slice(0, 20_000)
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
  const [title, consequence] =
    mode === 'merge'
      ? [
          'could not merge the shards',
          'Nothing was merged, uploaded or gated; the shard artifacts are unchanged.',
        ]
      : ['could not start', 'Nothing was submitted.'];
  return `## ❌ vellum-batch: ${title}\n\n${links === '' ? '' : `${links}\n\n`}${consequence}\n\n${quoted}\n`;
}

/** Cuts a job summary to {@link JOB_SUMMARY_LIMIT} bytes of UTF-8, at a line break, with a note. */
export function fitJobSummary(markdown: string): string {
  if (Buffer.byteLength(markdown, 'utf8') <= JOB_SUMMARY_LIMIT) return markdown;
  const note = '\n\n… (cut: see the results artifact)\n';
  const room = JOB_SUMMARY_LIMIT - Buffer.byteLength(note, 'utf8');
  // A character split by the byte cut decodes as U+FFFD: drop it.
  let text = Buffer.from(markdown, 'utf8')
    .subarray(0, room)
    .toString('utf8')
    .replace(/\uFFFD+$/, '');
  const cut = text.lastIndexOf('\n');
  if (cut > text.length / 2) text = text.slice(0, cut);
  return `${text}${note}`;
}

/**
 * One progress line while the run goes. Running and queued are the engine's beliefs about the server and can lag a
 * finished case by a moment: they are capped at the cases not finished yet, so the counts always add up.
 */
export function progressLine(p: RunProgress): string {
  const open = Math.max(0, p.total - p.finished);
  const running = Math.min(p.running, open);
  const queued = Math.min(p.queued, open - running);
  return (
    `progress: ${p.finished}/${p.total} finished, ${p.passed} passed, ${p.finished - p.passed} failed, ` +
    `${running} running, ${queued} queued`
  );
}

/**
 * The line that ends a run, from its summary (not from the last progress event): `done: 40 cases, 35 passed,
 * 5 failed (2 rejected, 1 timed out)`, or `stopped (interrupted): ...` with the cancelled count.
 */
export function finalLine(summary: Summary): string {
  const word = summary.stopped === null ? 'done' : `stopped (${summary.stopped.reason})`;
  const parts: [number, string][] = [
    [Math.max(0, summary.fulfilled - summary.passed), 'failed expectations'],
    [summary.rejected, 'rejected'],
    [summary.submit_failed, 'submit failed'],
    [summary.timed_out, 'timed out'],
    [summary.cancelled, 'cancelled'],
  ];
  const detail = parts.filter(([n]) => n > 0).map(([n, label]) => `${n} ${label}`);
  const flaky = summary.flaky === undefined ? '' : `, ${summary.flaky} flaky`;
  return (
    `${word}: ${summary.total} ${summary.total === 1 ? 'case' : 'cases'}, ${summary.passed} passed, ` +
    `${summary.failed} failed${detail.length > 0 ? ` (${detail.join(', ')})` : ''}${flaky}`
  );
}
