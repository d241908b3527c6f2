/**
 * The batch engine, as the product's story: take the out dir, ask Vellum which deployment this is, decide how the run
 * begins, then feed the cases one by one into the window (each case submitted, tracked and recorded by its own
 * lifecycle), and when every case has its record, write the result files.
 *
 * Per-case failures become records. `runBatch` rejects only before anything is submitted (a {@link ConfigError}, an
 * {@link OutDirError}, the deployment read's API or connection error) or when the out dir cannot be written mid-run
 * ({@link OutDirError}, the run resumable).
 */
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import type { VellumClient, WorkflowDeployment } from '../client.js';
import { systemClock, type Clock } from '../internal/clock.js';
import { finishOutDir } from '../report/out-dir.js';
import type { CaseRecord, WorkflowRef } from '../types.js';
import { wakeAll, type Landing, type RunContext } from './context.js';
import { FlightTable, type Flight } from './flights.js';
import { JournalWriter, readRecordAt } from './journal.js';
import { feedCases } from './feed.js';
import {
  resolveOptions,
  type ResolvedOptions,
  type RunBatchOptions,
  type RunEvent,
  type RunResult,
} from './options.js';
import { acquireOutDir, ioError, OutDirError } from './out-dir.js';
import { PollPlanner } from './planner.js';
import { ExternalIdFinder } from './reconcile.js';
import { ServerQueue } from './server-queue.js';
import { prepareStart, type StartPlan } from './start.js';
import { StopControl } from './stop.js';
import { deliver } from './track.js';
import { createTracker } from './tracking.js';

/**
 * Runs every case of `options.dataset` against the workflow and writes the out directory. Resolves when every case
 * has its record, also after a deadline, an abort or a fatal API error (`result.stopped` says which).
 */
export async function runBatch(options: RunBatchOptions): Promise<RunResult> {
  const resolved = resolveOptions(options);
  const clock = options.clock ?? systemClock;
  const lock = await acquireOutDir(options.outDir, new Date(clock.now()));
  try {
    const deployment = await resolveDeployment(options.client, resolved, options.signal);
    const workflow: WorkflowRef = {
      deployment_name: deployment.name,
      deployment_id: deployment.id,
      release_tag: resolved.target.releaseTag,
    };
    const start = await prepareStart(
      options.outDir,
      resolved,
      options.dataset,
      workflow,
      options.runId,
      false,
    );
    const notes = lock.tookOver === null ? start.notes : [lock.tookOver, ...start.notes];
    return await execute(options, resolved, clock, deployment, start, notes);
  } finally {
    lock.release();
  }
}

/** Reads the deployment (`GET {api}/v1/workflow-deployments/{id or name}`): its UUID keys every execution list. */
export async function resolveDeployment(
  client: VellumClient,
  resolved: ResolvedOptions,
  signal: AbortSignal | undefined,
): Promise<WorkflowDeployment> {
  const ref = resolved.target.id ?? resolved.target.name!;
  return client.getWorkflowDeployment(ref, signal === undefined ? {} : { signal });
}

async function execute(
  options: RunBatchOptions,
  resolved: ResolvedOptions,
  clock: Clock,
  deployment: WorkflowDeployment,
  start: StartPlan,
  notes: readonly string[],
): Promise<RunResult> {
  const { outDir, dataset, client } = options;
  const startedAt = new Date(clock.now());
  const warnings: string[] = [];
  let listenerFailed = false;
  const emit = (event: RunEvent): void => {
    try {
      options.onEvent?.(event);
    } catch (error) {
      // A listener's fault must change nothing of the run: it is told once, then ignored.
      if (listenerFailed) return;
      listenerFailed = true;
      const message = `an onEvent listener threw (${error instanceof Error ? error.message : String(error)}); the run goes on and ignores later listener errors`;
      warnings.push(message);
    }
  };

  const journal = openJournal(outDir, start, dataset, startedAt);
  const planner = new PollPlanner({
    maxWindow: resolved.concurrency,
    initialDurationMs: resolved.initialDurationEstimateMs,
  });
  const queue = new ServerQueue<Flight>(() => planner.serverLimit);
  const flights = new FlightTable(dataset.size, () => ({ running: queue.running, queued: queue.queued }));
  const stop = new StopControl({
    clock,
    signal: options.signal,
    timeoutMs: resolved.timeoutMs,
    quotaBreakerThreshold: resolved.quotaBreakerThreshold,
    onStop: (stopping) => {
      emit({ type: 'stopping', ...stopping, progress: flights.progress() });
      for (const flight of flights.values()) flight.wake?.();
      flights.wakeRoom();
    },
  });
  let ioFailure: Error | null = null;
  journal.onError = (error) => {
    ioFailure = error;
    stop.request('fatal', ioError(outDir, error, false).message);
  };
  let finder: ExternalIdFinder | null = null;
  let probing = false;
  const ctx: RunContext = {
    client,
    clock,
    options: resolved,
    runId: start.runId,
    deploymentId: deployment.id,
    submitTarget:
      resolved.target.name !== null
        ? { workflowDeploymentName: resolved.target.name }
        : { workflowDeploymentId: resolved.target.id! },
    releaseTag: resolved.target.releaseTag,
    stop,
    planner,
    queue,
    flights,
    tracker: createTracker(resolved.track, planner, resolved.webhookSilenceMs),
    journal,
    finder: () => (finder ??= new ExternalIdFinder(client, deployment.id)),
    probe: () => {
      if (probing) return;
      probing = true;
      void probeQueue(ctx).finally(() => (probing = false));
    },
    emit,
  };
  const land = (landing: Landing): void => {
    journal.record(landing.record, landing.provisional);
    flights.countFinished(landing.record.passed);
    emit({ type: 'record', record: landing.record, progress: flights.progress() });
  };

  // Deliveries of another deployment, or of executions another run started, are not this run's news.
  options.completions?.restrictTo?.({ deploymentId: deployment.id, runId: start.runId });
  const unsubscribe = options.completions?.subscribe((completion) => {
    const flight =
      (completion.executionId !== null ? flights.holderOf(completion.executionId) : undefined) ??
      (completion.externalId !== null ? flights.withExternalId(completion.externalId) : undefined);
    if (flight !== undefined) deliver(flight, completion);
    // Known: in the air, or landed already (a late or repeated delivery); anything else is not this run's execution.
    return (
      flight !== undefined || (completion.executionId !== null && flights.landed(completion.executionId))
    );
  });
  const previousFd = start.previous === null ? null : openSync(start.previous.path, 'r');
  const readPrevious = (offset: number, length: number): CaseRecord =>
    readRecordAt(previousFd!, offset, length);
  stop.arm();
  for (const note of notes) {
    warnings.push(note);
    emit({ type: 'warning', message: note, progress: flights.progress() });
  }
  emit({
    type: 'started',
    runId: start.runId,
    externalIdPrefix: start.prefix,
    deploymentId: deployment.id,
    progress: flights.progress(),
  });

  try {
    await feedCases(ctx, dataset, start, readPrevious, land);

    const stats = client.stats;
    const meta = {
      workflow: {
        deployment_name: deployment.name,
        deployment_id: deployment.id,
        release_tag: resolved.target.releaseTag,
      },
      shard: dataset.shard ?? null,
      runId: start.runId,
      externalIdPrefix: start.prefix,
      dataset: {
        path: dataset.path,
        cases: dataset.total ?? dataset.size,
        ...(dataset.sha256 !== undefined ? { sha256: dataset.sha256 } : {}),
      },
      startedAt,
      finishedAt: new Date(clock.now()),
      apiCalls: { submit: stats.submit, status: stats.status, retries: stats.retries },
      stopped: stop.stopping,
      ...(options.gate !== undefined ? { gate: options.gate } : {}),
      ...(resolved.track !== 'poll' && options.webhookStats !== undefined
        ? { webhooks: options.webhookStats }
        : {}),
    };
    let finished;
    try {
      finished = await finishOutDir(outDir, journal.records(), meta);
    } catch (error) {
      const cause = ioFailure ?? error;
      const failure = ioError(outDir, cause, false);
      throw new OutDirError(
        `${failure.message}; the run stopped, and what reached the journal is kept: make room and run again with --resume`,
        false,
        { cause },
      );
    }
    return {
      summary: finished.summary,
      outDir,
      markdown: finished.markdown,
      stopped: stop.stopping,
      warnings,
    };
  } finally {
    stop.disarm();
    unsubscribe?.();
    journal.close();
    if (previousFd !== null) closeSync(previousFd);
  }
}

function openJournal(
  outDir: string,
  start: StartPlan,
  dataset: RunBatchOptions['dataset'],
  startedAt: Date,
): JournalWriter {
  const path = join(outDir, 'journal.jsonl');
  let journal: JournalWriter;
  try {
    if (start.resume !== null) {
      journal = JournalWriter.reopen(path, start.resume.validBytes, dataset.size);
      for (const [index, at] of start.resume.records) journal.indexRecord(index, at.offset, at.length);
      return journal;
    }
    journal = JournalWriter.create(path, {
      t: 'run',
      v: 1,
      run_id: start.runId,
      external_id_prefix: start.prefix,
      dataset: {
        path: dataset.path,
        cases: dataset.size,
        ...(dataset.sha256 !== undefined ? { sha256: dataset.sha256 } : {}),
      },
      workflow: start.workflow,
      shard: dataset.shard ?? null,
      started_at: startedAt.toISOString(),
      ...(start.attempt > 1 ? { attempt: start.attempt } : {}),
    });
  } catch (error) {
    throw ioError(outDir, error);
  }
  if (journal.failure !== null) {
    journal.close();
    throw ioError(outDir, journal.failure);
  }
  return journal;
}

/** While executions are believed queued, looks at the oldest one now and then, in case the model is wrong. */
async function probeQueue(ctx: RunContext): Promise<void> {
  while (ctx.stop.stopping === null && ctx.queue.head() !== undefined) {
    try {
      await ctx.clock.sleep(ctx.planner.queuedProbeDelay(), ctx.stop.signal);
    } catch {
      return;
    }
    const head = ctx.queue.head();
    if (head?.state === 'queued') {
      head.probe = true;
      wakeAll([head]);
    }
  }
}
