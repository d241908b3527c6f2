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
import type { VellumClient, WorkflowDeployment } from '../client.js';
import { systemClock, type Clock } from '../internal/clock.js';
import { finishOutDir } from '../report/out-dir.js';
import type { CaseRecord, WorkflowRef } from '../types.js';
import type { RunContext } from './context.js';
import { createDiscovery } from './discovery.js';
import { createEmitter } from './emitter.js';
import { FlightTable, type Flight } from './flights.js';
import { readRecordAt } from './journal.js';
import { feedCases } from './feed.js';
import { createLander } from './landing.js';
import { resolveOptions, type ResolvedOptions, type RunBatchOptions, type RunResult } from './options.js';
import { openJournal } from './open-journal.js';
import { acquireOutDir, ioError, OutDirError } from './out-dir.js';
import { PollPlanner } from './planner.js';
import { ExternalIdFinder } from './reconcile.js';
import { createQueueProbe } from './queue-probe.js';
import { ServerQueue } from './server-queue.js';
import { caseRecords, repeatField } from './repeats.js';
import { prepareStart, type StartPlan } from './start.js';
import { StopControl } from './stop.js';
import { TailWatch } from './tail.js';
import { deliver } from './track.js';
import { createTracker } from './tracking.js';
import { repeatCount } from './units.js';

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
  const emit = createEmitter(options.onEvent, warnings);

  const journal = openJournal(outDir, start, dataset, startedAt, resolved);
  const planner = new PollPlanner({
    maxWindow: resolved.concurrency,
    initialDurationMs: resolved.initialDurationEstimateMs,
  });
  const queue = new ServerQueue<Flight>(() => planner.serverLimit);
  const flights = new FlightTable(dataset.size * repeatCount(resolved.repeat), () => ({
    running: queue.running,
    queued: queue.queued,
  }));
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
  const lander = createLander(journal, flights, emit, resolved.repeat);
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
    tracker: createTracker(resolved.track, planner, resolved.webhookSilenceMs, () => queue.queued),
    journal,
    lander,
    finder: () => (finder ??= new ExternalIdFinder(client, deployment.id)),
    probe: createQueueProbe(() => ctx),
    discover: createDiscovery(() => ctx),
    tail: new TailWatch(() => ctx),
    emit,
    warn: (message) => {
      warnings.push(message);
      emit({ type: 'warning', message, progress: flights.progress() });
    },
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
  for (const note of notes) ctx.warn(note);
  emit({
    type: 'started',
    runId: start.runId,
    externalIdPrefix: start.prefix,
    deploymentId: deployment.id,
    ...(resolved.repeat === null ? {} : { repeat: resolved.repeat }),
    progress: flights.progress(),
  });

  try {
    await feedCases(ctx, dataset, start, readPrevious, lander);
    // Every case has its record: no deadline, signal or background loop has anything left to do.
    stop.disarm();

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
      ...repeatField(resolved.repeat),
      ...(resolved.track !== 'poll' && options.webhookStats !== undefined
        ? { webhooks: options.webhookStats }
        : {}),
    };
    let finished;
    try {
      finished = await finishOutDir(outDir, caseRecords(journal.records(), resolved.repeat), meta);
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
