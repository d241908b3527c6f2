/**
 * What the action needs to know about the workflow run it is part of, read once from the runner's
 * environment (`GITHUB_*`) and the event payload, and checked with zod.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** The workflow run, as the runner describes it. */
export interface RunContext {
  /** `owner/name` of the repository running the workflow. */
  readonly repository: string;
  /** @default 'https://github.com' */
  readonly serverUrl: string;
  readonly runId: string;
  /** 1 on the first attempt, then 2, 3... on each re-run. @default 1 */
  readonly runAttempt: number;
  /** The workflow's name (`GITHUB_WORKFLOW`). */
  readonly workflow: string;
  /** The job's id (`GITHUB_JOB`): the same for every job of a matrix. */
  readonly job: string;
  /**
   * The step (`GITHUB_ACTION`): its `id`, or `__{owner}_{repo}` for an action step without one, with `_2`, `_3`...
   * when the same action runs again in the job.
   */
  readonly step: string;
  /** The commit the run tests: the pull request's head commit, else `GITHUB_SHA`; `''` when unknown. */
  readonly sha: string;
  readonly eventName: string;
  /** The pull request this run is about, when the event carries one. */
  readonly pullRequest: PullRequestRef | null;
}

/** The pull request of the triggering event. */
export interface PullRequestRef {
  readonly number: number;
  /** `owner/name` of the head branch's repository: another repository for a fork. Null when unknown. */
  readonly headRepository: string | null;
  /**
   * The head commit. On `pull_request` events `GITHUB_SHA` is the test merge commit, which the author never
   * pushed: the report names this one. Null when the payload does not carry it.
   */
  readonly headSha: string | null;
}

const envSchema = z.object({
  GITHUB_REPOSITORY: z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'GITHUB_REPOSITORY must be owner/name'),
  GITHUB_SERVER_URL: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v === '' ? 'https://github.com' : v.replace(/\/+$/, ''))),
  GITHUB_RUN_ID: z.string().regex(/^\d+$/, 'GITHUB_RUN_ID must be a number'),
  GITHUB_RUN_ATTEMPT: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v === '' ? 1 : Number(v)))
    .pipe(z.number().int().min(1)),
  GITHUB_WORKFLOW: z.string().optional().default(''),
  GITHUB_JOB: z.string().optional().default(''),
  GITHUB_ACTION: z.string().optional().default(''),
  GITHUB_SHA: z.string().optional().default(''),
  GITHUB_EVENT_NAME: z.string().optional().default(''),
  GITHUB_EVENT_PATH: z.string().optional(),
});

const payloadSchema = z
  .object({
    pull_request: z
      .object({
        number: z.number().int().positive(),
        head: z
          .object({ sha: z.string().nullish(), repo: z.object({ full_name: z.string() }).nullish() })
          .nullish(),
      })
      .nullish(),
    issue: z.object({ number: z.number().int().positive(), pull_request: z.unknown().optional() }).nullish(),
  })
  .loose();

/**
 * Reads the run context from the environment.
 *
 * @param env - The environment. @default process.env
 * @throws Error naming the variable when one is missing or malformed (the action is not running on a runner).
 */
export function readRunContext(env: NodeJS.ProcessEnv = process.env): RunContext {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? 'GITHUB_*');
    throw new Error(
      `this action must run in a GitHub Actions job: ${variable} is ${env[variable] === undefined ? 'not set' : `invalid (${issue?.message ?? ''})`}`,
    );
  }
  const e = parsed.data;
  const pullRequest =
    e.GITHUB_EVENT_PATH === undefined || e.GITHUB_EVENT_PATH === ''
      ? null
      : readPullRequest(e.GITHUB_EVENT_PATH);
  return {
    repository: e.GITHUB_REPOSITORY,
    serverUrl: e.GITHUB_SERVER_URL,
    runId: e.GITHUB_RUN_ID,
    runAttempt: e.GITHUB_RUN_ATTEMPT,
    workflow: e.GITHUB_WORKFLOW,
    job: e.GITHUB_JOB,
    step: e.GITHUB_ACTION,
    sha: pullRequest?.headSha ?? e.GITHUB_SHA,
    eventName: e.GITHUB_EVENT_NAME,
    pullRequest,
  };
}

/** The pull request of an event payload file, or null (no file, no pull request, unreadable payload). */
export function readPullRequest(eventPath: string): PullRequestRef | null {
  let payload: unknown;
  try {
    payload = JSON.parse(readFileSync(eventPath, 'utf8'));
  } catch {
    return null;
  }
  return pullRequestOf(payload);
}

/** The pull request an event payload is about: `pull_request`, or an `issue` that is a pull request (comments). */
export function pullRequestOf(payload: unknown): PullRequestRef | null {
  const parsed = payloadSchema.safeParse(payload);
  if (!parsed.success) return null;
  const { pull_request: pr, issue } = parsed.data;
  if (pr) {
    return {
      number: pr.number,
      headRepository: pr.head?.repo?.full_name ?? null,
      headSha: pr.head?.sha || null,
    };
  }
  if (issue && issue.pull_request !== undefined && issue.pull_request !== null) {
    return { number: issue.number, headRepository: null, headSha: null };
  }
  return null;
}

/** The run attempt's page: `{server}/{repo}/actions/runs/{run id}/attempts/{attempt}`. */
export function runUrl(
  context: Pick<RunContext, 'serverUrl' | 'repository' | 'runId' | 'runAttempt'>,
): string {
  return `${context.serverUrl}/${context.repository}/actions/runs/${context.runId}/attempts/${context.runAttempt}`;
}

/** The commit's page, `{server}/{repo}/commit/{sha}`, or null when the SHA is unknown or not one. */
export function commitUrl(context: Pick<RunContext, 'serverUrl' | 'repository' | 'sha'>): string | null {
  if (!/^[0-9a-f]{7,64}$/i.test(context.sha)) return null;
  return `${context.serverUrl}/${context.repository}/commit/${context.sha}`;
}

/** `Commit [abc1234](…) · [Workflow run](…)` for a summary written without a report. */
export function linksLine(context: RunContext): string {
  const commit = commitUrl(context);
  const parts = [
    ...(commit === null ? [] : [`Commit [${context.sha.slice(0, 7)}](${commit})`]),
    `[Workflow run](${runUrl(context)})`,
  ];
  return parts.join(' · ');
}
