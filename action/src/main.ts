/**
 * The action's entry: parse the inputs; run the batch with core's engine (exactly as the CLI does), or in
 * `mode: merge` download every shard's artifact and merge them with core's `mergeResults`; then upload the out
 * directory, write the job summary and the sticky PR comment, set the outputs and apply the gate.
 * `@actions/*` are touched only here; {@link runAction} takes them injected so that tests can drive it.
 */
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as core from '@actions/core';
import { actionsIo } from './actions-io.js';
import { progressLogger } from './progress.js';
import {
  createClient,
  DatasetError,
  mergeResults,
  openDataset,
  runBatch,
  VellumBatchError,
  writeReports,
} from '@vellum-batch/core';
import { inShard } from '@vellum-batch/core/internal';
import type { Summary, VellumClient } from '@vellum-batch/core';
import type { WriteReportsOptions } from '@vellum-batch/core/internal';
import { artifactName, uploadResults } from './artifact.js';
import { compareWithBaseBranch, restGet, withNote } from './baseline.js';
import type { ArtifactUploader } from './artifact.js';
import { commentMarker, commentTarget, upsertComment } from './comment.js';
import type { CommentsApi } from './comment.js';
import { commitUrl, linksLine, readRunContext, runUrl } from './context.js';
import type { RunContext } from './context.js';
import { artifactBase, commentKey, defaultExternalIdPrefix, stepIdentity } from './identity.js';
import type { StepIdentity } from './identity.js';
import { parseInputs } from './inputs.js';
import type { ActionInputs, InputName, MergeInputs, RunInputs } from './inputs.js';
import { downloadShards } from './shards.js';
import type { ArtifactDownloader } from './shards.js';
import { conclusionOf, errorSummary, finalLine, fitJobSummary, outputsOf } from './summary.js';
import type { OutputName } from './summary.js';

/** Everything {@link runAction} needs from the runner; `@actions/*` in the action, fakes in tests. */
export interface ActionIo {
  getInput(name: InputName): string;
  setSecret(secret: string): void;
  setOutput(name: OutputName, value: string): void;
  info(message: string): void;
  warning(message: string): void;
  setFailed(message: string): void;
  /** Appends Markdown to the job summary. */
  writeSummary(markdown: string): Promise<void>;
  /** The artifact client, or null when the job has no artifact service (not on a runner). */
  artifactClient(): (ArtifactUploader & ArtifactDownloader) | null;
  commentsApi(token: string, repository: string): CommentsApi;
}

/** What a run or a merge leaves to report: the files in `outDir`, their summary and `report.md`. */
interface Outcome {
  readonly summary: Summary;
  readonly outDir: string;
  readonly markdown: string;
  /** Why the run was not compared with a baseline, shown under the report's heading. @default none */
  readonly note?: string | undefined;
}

/**
 * Runs the action with the real `@actions/*` and the process's signals. Never rejects: every failure ends in
 * `core.setFailed` with a message a person can act on.
 */
export async function run(): Promise<void> {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      core.info(`${name} again: still writing and uploading the results`);
      return;
    }
    core.warning(`${name}: stopping the run; writing and uploading the partial results`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await runAction(actionsIo(), process.env, controller.signal);
  } catch (error) {
    core.setFailed(`vellum-batch failed unexpectedly: ${messageOf(error)}`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * The whole action over injected I/O. Never rejects.
 *
 * @param io - The runner's side (inputs, outputs, logs, summary, artifact, comments).
 * @param env - The environment (`GITHUB_*`, `VELLUM_BASE_URL`, `ACTIONS_RUNTIME_TOKEN`).
 * @param signal - Aborting stops the run: unfinished cases end `CANCELLED`, the files are written and uploaded.
 */
export async function runAction(io: ActionIo, env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<void> {
  // Mask the key before anything else can print it, even when other inputs are wrong.
  const rawKey = io.getInput('api-key');
  if (rawKey !== '') io.setSecret(rawKey);

  let inputs: ActionInputs | undefined;
  let context: RunContext | undefined;
  let identity: StepIdentity | undefined;
  let result: Outcome;
  try {
    inputs = parseInputs((name) => io.getInput(name), env);
    context = readRunContext(env);
    identity = stepIdentity(context, inputs, io.getInput('artifact-name'));
    result =
      inputs.mode === 'merge'
        ? await mergeShardsOnce(io, env, inputs)
        : await runBatchOnce(io, inputs, context, identity, signal);
  } catch (error) {
    const message = messageOf(error);
    const markdown = errorSummary(message, inputs?.mode, context === undefined ? '' : linksLine(context));
    await safely(io, () => io.writeSummary(markdown));
    // The sticky comment would otherwise still show the previous push's report as if it were this one's.
    if (inputs !== undefined && context !== undefined && identity !== undefined) {
      await writeComment(io, inputs, context, identity, markdown);
    }
    io.setFailed(
      inputs?.mode === 'merge'
        ? `vellum-batch could not merge the shards: ${message}`
        : error instanceof DatasetError
          ? `vellum-batch could not start: ${message}`
          : error instanceof VellumBatchError
            ? `vellum-batch could not start, nothing was submitted: ${message}`
            : `vellum-batch failed: ${message}`,
    );
    return;
  }

  result = await compareOnce(io, env, inputs, context, identity, result);
  try {
    await present(io, env, inputs, context, identity, result);
  } catch (error) {
    io.setFailed(`vellum-batch ran the batch but could not report it: ${messageOf(error)}`);
  }
}

async function runBatchOnce(
  io: ActionIo,
  inputs: RunInputs,
  context: RunContext,
  identity: StepIdentity,
  signal: AbortSignal | undefined,
): Promise<Outcome> {
  const dataset = await openDataset(inputs.dataset, inputs.shard ? { filter: inShard(inputs.shard) } : {});
  const externalIdPrefix =
    inputs.externalIdPrefix ?? defaultExternalIdPrefix(context, identity, inputs.shard);
  io.info(
    `vellum-batch: ${dataset.size} cases from ${inputs.dataset}` +
      (inputs.shard ? ` (shard ${inputs.shard.index}/${inputs.shard.count})` : '') +
      `, external ids ${externalIdPrefix}{case id}`,
  );
  const client = createClient({
    apiKey: inputs.apiKey,
    ...(inputs.baseUrl === undefined ? {} : { baseUrl: inputs.baseUrl }),
    ...inputs.clientLimits,
    onRetry: (info) => {
      if (info.attempt === 1 || info.attempt % 5 === 0) {
        io.info(`retrying ${info.operation} in ${Math.round(info.delayMs)}ms: ${info.error.message}`);
      }
    },
  });
  try {
    const result = await runBatch({
      client,
      dataset: { ...dataset, shard: inputs.shard },
      workflow: inputs.workflow,
      outDir: resolve(inputs.out),
      concurrency: inputs.concurrency,
      gate: inputs.gate,
      timeoutMs: inputs.timeoutMs,
      executionTimeoutMs: inputs.executionTimeoutMs,
      externalIdPrefix,
      repeat: inputs.repeat,
      signal,
      onEvent: progressLogger(io),
    });
    io.info(finalLine(result.summary));
    return result;
  } finally {
    await closeQuietly(client);
  }
}

/**
 * `mode: merge`: downloads the newest artifact of every shard of this run into the runner's temp directory, merges
 * them into `out` (core checks they are one dataset and workflow and cover it exactly once) and gates once.
 */
async function mergeShardsOnce(io: ActionIo, env: NodeJS.ProcessEnv, inputs: MergeInputs): Promise<Outcome> {
  if (inputs.ignored.length > 0) {
    io.info(`mode: merge does not use the inputs ${inputs.ignored.join(', ')} (they are for mode: run)`);
  }
  const client = env['ACTIONS_RUNTIME_TOKEN'] ? io.artifactClient() : null;
  if (client === null) {
    throw new Error(
      'this job has no artifact service (ACTIONS_RUNTIME_TOKEN is not set), so the shard artifacts cannot be downloaded: run mode: merge as a step of a GitHub Actions job',
    );
  }
  const dir = join(env['RUNNER_TEMP'] || tmpdir(), `vellum-batch-shards-${process.pid}`);
  try {
    const dirs = await downloadShards({
      downloader: client,
      base: inputs.artifactName,
      dir,
      log: (message) => io.info(message),
    });
    const merged = await mergeResults({ inputs: dirs, outDir: resolve(inputs.out), gate: inputs.gate });
    io.info(
      `merged ${dirs.length} shards: ${merged.summary.total} cases, ${merged.summary.passed} passed, into ${merged.outDir}`,
    );
    return merged;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Compares the out dir with the baseline of `inputs.baseline` (see {@link compareWithBaseBranch}); a baseline that is
 * missing, expired or unreadable becomes a note in the report and a warning, never a failure.
 */
async function compareOnce(
  io: ActionIo,
  env: NodeJS.ProcessEnv,
  inputs: ActionInputs,
  context: RunContext,
  identity: StepIdentity,
  result: Outcome,
): Promise<Outcome> {
  const outcome = await compareWithBaseBranch({
    baseline: inputs.baseline,
    // The base branch's run uploaded under the same (stable, per-job) name this step uploads under.
    artifactName: artifactBase(inputs, identity, io.getInput('artifact-name')),
    outDir: result.outDir,
    tempDir: env['RUNNER_TEMP'] || tmpdir(),
    maxNewFailures: inputs.maxNewFailures,
    token: inputs.githubToken,
    context,
    env,
    get: restGet(inputs.githubToken, env['GITHUB_API_URL'] || undefined),
    downloader: env['ACTIONS_RUNTIME_TOKEN'] ? io.artifactClient() : null,
    log: (message) => io.info(message),
  });
  if (outcome.kind === 'skipped') return result;
  if (outcome.kind === 'note') {
    io.warning(outcome.message);
    return { ...result, note: outcome.message, markdown: withNote(result.markdown, outcome.message) };
  }
  const c = outcome.result.comparison;
  io.info(`compared with ${outcome.found.runUrl}: ${c.regressions} regressed, ${c.fixes} fixed`);
  return outcome.result;
}

/** Upload, summary, comment, outputs, verdict: each step's failure is a warning, the verdict still stands. */
async function present(
  io: ActionIo,
  env: NodeJS.ProcessEnv,
  inputs: ActionInputs,
  context: RunContext,
  identity: StepIdentity,
  result: Outcome,
): Promise<void> {
  const { summary } = result;
  const shard = inputs.mode === 'run' ? inputs.shard : null;
  const name = artifactName(
    artifactBase(inputs, identity, io.getInput('artifact-name')),
    shard,
    context.runAttempt,
  );
  // The commit and the run go into report.md before the upload, so that the artifact's copy names them too.
  const commit = commitUrl(context);
  const links: WriteReportsOptions = {
    runUrl: runUrl(context),
    ...(context.sha === ''
      ? {}
      : { commit: { sha: context.sha, ...(commit === null ? {} : { url: commit }) } }),
  };
  let markdown = result.markdown;
  try {
    markdown = (await writeReports(result.outDir, summary, links)).markdown;
  } catch (error) {
    io.warning(`could not add the commit and run links to report.md: ${messageOf(error)}`);
  }

  let artifact: { id: string; url: string } = { id: '', url: '' };
  if (!inputs.uploadArtifact) {
    io.info('upload-artifact is false: the results stay in the out directory');
  } else {
    const uploader = env['ACTIONS_RUNTIME_TOKEN'] ? io.artifactClient() : null;
    if (uploader === null) {
      io.warning(
        'no artifact service in this job (ACTIONS_RUNTIME_TOKEN is not set): the results were not uploaded',
      );
    } else {
      try {
        const uploaded = await uploadResults({
          uploader,
          name,
          dir: result.outDir,
          context,
          retentionDays: inputs.retentionDays,
        });
        artifact = { id: String(uploaded.id), url: uploaded.url };
        io.info(`uploaded ${uploaded.files} files as the artifact ${name}: ${uploaded.url}`);
      } catch (error) {
        io.warning(`could not upload the results artifact ${name}: ${messageOf(error)}`);
      }
    }
  }

  if (artifact.url !== '') {
    try {
      const written = await writeReports(result.outDir, summary, { ...links, artifactUrl: artifact.url });
      markdown = withNote(written.markdown, result.note ?? '');
    } catch (error) {
      io.warning(`could not add the artifact link to report.md: ${messageOf(error)}`);
    }
  }
  await safely(io, () => io.writeSummary(fitJobSummary(markdown)));

  const commentUrl = await writeComment(io, inputs, context, identity, markdown);

  const outputs = outputsOf(summary, {
    resultsDir: result.outDir,
    artifactId: artifact.id,
    artifactUrl: artifact.url,
    commentUrl,
  });
  for (const [key, value] of Object.entries(outputs)) io.setOutput(key as OutputName, value);

  const conclusion = conclusionOf(summary);
  if (conclusion.kind === 'pass') io.info(conclusion.message);
  else if (conclusion.kind === 'gate' && !inputs.failOnGate)
    io.warning(`${conclusion.message} (fail-on-gate is false)`);
  else io.setFailed(conclusion.message);
}

/**
 * Writes or updates the sticky PR comment when {@link commentTarget} says so; a failure is a warning.
 * @returns the comment's URL, or `''` when none was written.
 */
async function writeComment(
  io: ActionIo,
  inputs: ActionInputs,
  context: RunContext,
  identity: StepIdentity,
  markdown: string,
): Promise<string> {
  const shard = inputs.mode === 'run' ? inputs.shard : null;
  const target = commentTarget(inputs.comment, context, inputs.githubToken !== '', shard);
  if (target.kind === 'skip') {
    if (target.warn) io.warning(`no PR comment: ${target.reason}`);
    else io.info(`no PR comment: ${target.reason}`);
    return '';
  }
  const outcome = await upsertComment(
    io.commentsApi(inputs.githubToken, context.repository),
    target.issueNumber,
    commentMarker(context.workflow, commentKey(identity, shard)),
    markdown,
  );
  if (outcome.kind === 'failed') {
    io.warning(outcome.message);
    return '';
  }
  io.info(`${outcome.kind} the PR comment: ${outcome.url}`);
  return outcome.url;
}

async function safely(io: ActionIo, step: () => Promise<void>): Promise<void> {
  try {
    await step();
  } catch (error) {
    io.warning(`could not write the job summary: ${messageOf(error)}`);
  }
}

async function closeQuietly(client: VellumClient): Promise<void> {
  try {
    await client.close();
  } catch {
    // a pool whose sockets are gone is not worth a message
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
