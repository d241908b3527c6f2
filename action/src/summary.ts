/**
 * How a finished run is presented in the job: the step outputs, the job summary text and the step's
 * failure message. Pure functions over core's {@link Summary}.
 */
import type { Summary } from '@vellum-batch/core';

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

/** A job summary must stay under 1 MiB; the report is far smaller, this is a last guard. */
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

/**
 * How many cases were flaky (their repeats disagreed), or `''` for a run without `repeat`. `summary.flaky` is read
 * as a count or as a list of case ids, whichever the engine writes.
 */
function flakyCount(summary: Summary): string {
  const flaky = (summary as { readonly flaky?: unknown }).flaky;
  if (typeof flaky === 'number') return String(flaky);
  if (Array.isArray(flaky)) return String(flaky.length);
  return '';
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
 */
export function errorSummary(message: string, mode: 'run' | 'merge' = 'run'): string {
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
  return `## ❌ vellum-batch: ${title}\n\n${consequence}\n\n${quoted}\n`;
}

/** Cuts a job summary to {@link JOB_SUMMARY_LIMIT}. */
export function fitJobSummary(markdown: string): string {
  return markdown.length <= JOB_SUMMARY_LIMIT
    ? markdown
    : `${markdown.slice(0, JOB_SUMMARY_LIMIT - 100)}\n\n… (cut: see the results artifact)\n`;
}
