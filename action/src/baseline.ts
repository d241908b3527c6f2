/**
 * `baseline: auto`: find the results artifact of the run to compare with, download it and compare. The baseline is
 * the newest artifact of the same name (for shards: the merged one, which carries the plain name) from a successful
 * run of this workflow on the pull request's base branch (on a push: the previous successful run on the branch),
 * found with the REST API and downloaded with `@actions/artifact` (`findBy`). A baseline that cannot be found,
 * downloaded or read is a note in the report, never a failure: the run's own verdict stands.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { applyBaseline } from '@vellum-batch/core';
import type { ApplyBaselineResult } from '@vellum-batch/core/internal';
import type { RunContext } from './context.js';
import type { BaselineInput } from './inputs.js';

/** The part of `@actions/artifact`'s client that downloads another run's artifact. */
export interface BaselineDownloader {
  downloadArtifact(
    artifactId: number,
    options: {
      path: string;
      findBy: { token: string; repositoryOwner: string; repositoryName: string; workflowRunId: number };
    },
  ): Promise<unknown>;
}

/** One GET of the GitHub REST API: the parsed JSON of a 2xx answer; throws naming the path otherwise. */
export type RestGet = (path: string, query?: Readonly<Record<string, string>>) => Promise<unknown>;

/** Most successful runs whose artifacts are listed before giving up. */
const MAX_RUNS_TRIED = 5;

/**
 * A {@link RestGet} over `fetch` with the token, as GitHub documents it.
 *
 * @param apiUrl - `GITHUB_API_URL`. @default 'https://api.github.com'
 */
export function restGet(token: string, apiUrl = 'https://api.github.com'): RestGet {
  const base = apiUrl.replace(/\/+$/, '');
  return async (path, query = {}) => {
    const url = new URL(`${base}${path}`);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    const response = await fetch(url, {
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/vnd.github+json',
        'x-github-api-version': '2022-11-28',
        'user-agent': 'vellum-batch-action',
      },
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    if (!response.ok) {
      let detail = text.slice(0, 200);
      try {
        const message = (JSON.parse(text) as { message?: unknown }).message;
        if (typeof message === 'string') detail = message;
      } catch {
        // not JSON: the text itself
      }
      throw new Error(`GET ${path} answered ${response.status}: ${detail}`);
    }
    return JSON.parse(text) as unknown;
  };
}

/** Where to look: the workflow, the branch and the event of the runs to consider. */
export interface BaselineQuery {
  /** The workflow's file name (from `GITHUB_WORKFLOW_REF`) or its numeric id. */
  readonly workflow: string;
  readonly branch: string;
  /** Runs of this event only (`push` for a pull request's base branch: never another pull request's run). */
  readonly event: string;
}

const envSchema = z.object({
  GITHUB_WORKFLOW_REF: z.string().optional(),
  GITHUB_BASE_REF: z.string().optional(),
  GITHUB_REF: z.string().optional(),
  GITHUB_REF_NAME: z.string().optional(),
});

/**
 * Which runs hold the baseline: on a pull request, `push` runs of its base branch (a fork's pull request from a
 * branch named like the base also has that `head_branch`, so its runs are excluded by the event); otherwise runs of
 * the same event on the same branch. The workflow comes from `GITHUB_WORKFLOW_REF` (`owner/repo/.github/workflows/
 * ci.yml@ref`), else from the current run (one more request).
 *
 * @returns The query, or a sentence saying why there is nothing to compare with (a tag or detached ref, say).
 */
export async function baselineQuery(
  context: RunContext,
  env: NodeJS.ProcessEnv,
  get: RestGet,
): Promise<BaselineQuery | string> {
  const e = envSchema.parse(env);
  const pull = context.eventName === 'pull_request' || context.eventName === 'pull_request_target';
  let branch: string | undefined;
  if (pull) branch = nonEmpty(e.GITHUB_BASE_REF);
  else if (e.GITHUB_REF?.startsWith('refs/heads/')) branch = e.GITHUB_REF.slice('refs/heads/'.length);
  if (branch === undefined) {
    return pull
      ? 'the pull request has no base branch (GITHUB_BASE_REF is not set)'
      : `this run is not on a branch (${e.GITHUB_REF ?? 'GITHUB_REF is not set'})`;
  }
  const file = /^[^/]+\/[^/]+\/\.github\/workflows\/([^@]+)@/.exec(e.GITHUB_WORKFLOW_REF ?? '')?.[1];
  let workflow = file;
  if (workflow === undefined) {
    const run = z
      .looseObject({ workflow_id: z.number() })
      .parse(await get(`/repos/${context.repository}/actions/runs/${context.runId}`));
    workflow = String(run.workflow_id);
  }
  return { workflow, branch, event: pull ? 'push' : context.eventName };
}

const runsSchema = z.looseObject({
  workflow_runs: z.array(
    z.looseObject({
      id: z.number(),
      head_sha: z.string(),
      html_url: z.string(),
      run_attempt: z.number().optional(),
      updated_at: z.string().optional(),
    }),
  ),
});
const artifactsSchema = z.looseObject({
  artifacts: z.array(
    z.looseObject({ id: z.number(), name: z.string(), expired: z.boolean().optional().default(false) }),
  ),
});

/** The artifact found, and the run it belongs to. */
export interface FoundBaseline {
  readonly artifactId: number;
  readonly artifactName: string;
  readonly runId: number;
  readonly commit: string;
  readonly runUrl: string;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Lists the newest successful runs of `query` (this run excluded) and, newest first, their artifacts, until one holds
 * an unexpired artifact named `name` (or `name-attempt-N`: a re-run's, the highest attempt wins).
 *
 * @returns The artifact, or a sentence saying what was not found.
 */
export async function findBaseline(
  get: RestGet,
  context: Pick<RunContext, 'repository' | 'runId'>,
  query: BaselineQuery,
  name: string,
): Promise<FoundBaseline | string> {
  const repo = `/repos/${context.repository}`;
  const runs = runsSchema
    .parse(
      await get(`${repo}/actions/workflows/${encodeURIComponent(query.workflow)}/runs`, {
        branch: query.branch,
        status: 'success',
        event: query.event,
        per_page: '10',
      }),
    )
    .workflow_runs.filter((run) => String(run.id) !== context.runId);
  const where = `successful ${query.event} run of this workflow on ${query.branch}`;
  if (runs.length === 0) return `no ${where} was found`;
  const pattern = new RegExp(`^${escapeRegExp(name)}(?:-attempt-(\\d+))?$`);
  let expired = 0;
  for (const run of runs.slice(0, MAX_RUNS_TRIED)) {
    const { artifacts } = artifactsSchema.parse(
      await get(`${repo}/actions/runs/${run.id}/artifacts`, { per_page: '100' }),
    );
    let best: { id: number; name: string; attempt: number } | null = null;
    for (const artifact of artifacts) {
      const match = pattern.exec(artifact.name);
      if (match === null) continue;
      if (artifact.expired) {
        expired += 1;
        continue;
      }
      const attempt = Number(match[1] ?? 1);
      if (best === null || attempt > best.attempt) best = { id: artifact.id, name: artifact.name, attempt };
    }
    if (best !== null) {
      return {
        artifactId: best.id,
        artifactName: best.name,
        runId: run.id,
        commit: run.head_sha,
        runUrl: run.html_url,
      };
    }
  }
  const tried = Math.min(runs.length, MAX_RUNS_TRIED);
  return expired > 0
    ? `the artifact ${name} of the newest ${where} has expired`
    : tried === 1
      ? `the newest ${where} has no artifact named ${name}`
      : `the ${tried} newest successful ${query.event} runs of this workflow on ${query.branch} have no artifact named ${name}`;
}

/** Options of {@link compareWithBaseBranch}. */
export interface CompareWithBaseBranchOptions {
  readonly baseline: BaselineInput;
  /** This job's `artifact-name` (the baseline of `auto` carries the same name). */
  readonly artifactName: string;
  readonly outDir: string;
  /** Where the baseline is downloaded to (removed afterwards). */
  readonly tempDir: string;
  readonly maxNewFailures: number | undefined;
  readonly token: string;
  readonly context: RunContext;
  readonly env: NodeJS.ProcessEnv;
  readonly get: RestGet;
  /** Null when the job has no artifact service. */
  readonly downloader: BaselineDownloader | null;
  readonly log: (message: string) => void;
}

/** The outcome: compared (the out dir was rewritten), or a note for the report saying why not. */
export type BaselineOutcome =
  | { readonly kind: 'compared'; readonly result: ApplyBaselineResult; readonly found: FoundBaseline }
  | { readonly kind: 'skipped' }
  | { readonly kind: 'note'; readonly message: string };

/**
 * Finds the baseline, downloads it and applies it to `outDir` (see {@link applyBaseline}). Never rejects: every
 * problem becomes a note, with `max-new-failures` named when it could not be applied.
 */
export async function compareWithBaseBranch(options: CompareWithBaseBranchOptions): Promise<BaselineOutcome> {
  if (options.baseline.kind === 'none') return { kind: 'skipped' };
  const name = options.baseline.kind === 'artifact' ? options.baseline.name : options.artifactName;
  const note = (why: string): BaselineOutcome => ({
    kind: 'note',
    message:
      `Not compared with a baseline: ${why}.` +
      (options.maxNewFailures === undefined ? '' : ' The max-new-failures gate was not applied.'),
  });
  if (options.token === '') return note('no github-token was given to look for it');
  if (options.downloader === null)
    return note('this job has no artifact service (ACTIONS_RUNTIME_TOKEN is not set)');
  let found: FoundBaseline;
  try {
    const query = await baselineQuery(options.context, options.env, options.get);
    if (typeof query === 'string') return note(query);
    options.log(
      `looking for the baseline: artifact ${name} of a successful ${query.event} run of ${query.workflow} on ${query.branch}`,
    );
    const search = await findBaseline(options.get, options.context, query, name);
    if (typeof search === 'string') return note(search);
    found = search;
  } catch (error) {
    return note(`it could not be looked up (${messageOf(error)}; the token needs actions: read)`);
  }
  const dir = join(options.tempDir, `vellum-batch-baseline-${process.pid}-${found.artifactId}`);
  const [repositoryOwner = '', repositoryName = ''] = options.context.repository.split('/');
  try {
    await rm(dir, { recursive: true, force: true });
    await options.downloader.downloadArtifact(found.artifactId, {
      path: dir,
      findBy: { token: options.token, repositoryOwner, repositoryName, workflowRunId: found.runId },
    });
    options.log(
      `comparing with the artifact ${found.artifactName} of ${found.runUrl} (commit ${found.commit})`,
    );
    const result = await applyBaseline(options.outDir, dir, {
      maxNewFailures: options.maxNewFailures,
      baselineCommit: found.commit,
      baselineRunUrl: found.runUrl,
    });
    return { kind: 'compared', result, found };
  } catch (error) {
    return note(
      `the artifact ${found.artifactName} of ${found.runUrl} could not be used (${messageOf(error)})`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Puts a note under the report's heading and first line (as a GitHub `[!NOTE]` alert), or returns the report as it
 * is for an empty note.
 */
export function withNote(markdown: string, note: string): string {
  if (note === '') return markdown;
  const blocks = markdown.split('\n\n');
  const at = Math.min(2, blocks.length);
  const alert = `> [!NOTE]\n> ${note.replace(/\n/g, ' ')}`;
  return [...blocks.slice(0, at), alert, ...blocks.slice(at)].join('\n\n');
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
