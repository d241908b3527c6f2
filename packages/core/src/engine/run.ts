/**
 * The batch engine: submits every case with a cap on unfinished executions, tracks each execution to its end by
 * polling on the {@link PollPlanner}'s schedule, journals everything, and writes one record per case.
 *
 * Per-case failures become records; only configuration problems found before the first request reject.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, createWriteStream, openSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { once, setMaxListeners } from 'node:events';
import { z } from 'zod';
import { evaluateCase } from '../assertions.js';
import { ExternalIdConflictError } from '../client.js';
import type { ExecutionStatusResponse, VellumClient } from '../client.js';
import type { Completion, CompletionFeed } from './completions.js';
import { AuthenticationError, ConfigError, NotFoundError, VellumBatchError } from '../errors.js';
import { systemClock } from '../internal/clock.js';
import type { Clock } from '../internal/clock.js';
import { serializeRecord } from '../report/jsonl.js';
import { SummaryBuilder } from '../report/summary.js';
import { writeReports } from '../report/write.js';
import type { Case, CaseError, CaseRecord, CaseStatus, GateOptions, Summary, WorkflowRef } from '../types.js';
import { JournalWriter, readRecordAt } from './journal.js';
import { PollPlanner } from './planner.js';
import { ExternalIdFinder } from './reconcile.js';
import { EmptyJournalError, readJournal } from './replay.js';
import type { ReplayState } from './replay.js';

/** Where the engine reads cases from: a {@link Dataset} from `openDataset`, or anything shaped like it. */
export interface BatchSource {
  /** Shown in reports and recorded in the journal. */
  readonly path: string;
  /** How many cases {@link BatchSource.cases} yields. */
  readonly size: number;
  /** How many cases the whole file holds when `cases()` yields one shard of it. @default size */
  readonly total?: number | undefined;
  /** Fingerprint of the dataset's content, recorded in the summary so shards of one dataset can be matched. */
  readonly sha256?: string | undefined;
  /** The cases, in file order; may be called more than once. */
  cases(): AsyncIterable<Case> | Iterable<Case>;
}

/** The workflow deployment to execute: by name or by id (exactly one). */
export interface WorkflowTarget {
  readonly deploymentName?: string | undefined;
  readonly deploymentId?: string | undefined;
  /** @default 'LATEST' */
  readonly releaseTag?: string | undefined;
}

/** Options of {@link runBatch}. */
export interface RunBatchOptions {
  readonly client: VellumClient;
  readonly dataset: BatchSource;
  readonly workflow: WorkflowTarget;
  /** Directory for `journal.jsonl`, `results.jsonl`, `summary.json`, `report.md`, `junit.xml`; created if missing. */
  readonly outDir: string;
  /** Most executions unfinished at once; the engine may keep fewer once it learns the server's limit. @default 32 */
  readonly concurrency?: number | undefined;
  readonly gate?: GateOptions | undefined;
  /** Deadline for the whole run, in ms: then submitting stops and unfinished cases end `TIMED_OUT`. @default none */
  readonly timeoutMs?: number | undefined;
  /** Deadline for one execution, from its submit, in ms. @default none */
  readonly executionTimeoutMs?: number | undefined;
  /** Prefix of every external id (`{prefix}{case id}`). @default `vb-{runId}-` */
  readonly externalIdPrefix?: string | undefined;
  /** Identifies the run in the journal and summary. @default 8 random hex digits */
  readonly runId?: string | undefined;
  /** Recorded in the summary when this run is one shard of a larger set. @default null */
  readonly shard?: { readonly index: number; readonly count: number } | null | undefined;
  /** Aborting stops submitting; unfinished cases end `CANCELLED`; files are written and the promise resolves. */
  readonly signal?: AbortSignal | undefined;
  readonly clock?: Clock | undefined;
  /** Called synchronously for every {@link RunEvent}; must not throw. */
  readonly onEvent?: ((event: RunEvent) => void) | undefined;
  /** How long after its submit a status 404 is taken for Vellum's lag rather than a lost execution. @default 15_000 */
  readonly statusNotFoundGraceMs?: number | undefined;
  /** The planner's run-time estimate before anything is observed, in ms. @default 1000 */
  readonly initialDurationEstimateMs?: number | undefined;
  /**
   * How completion is detected: `poll` (status requests on a learned schedule), `webhook` (pushed completions; an
   * execution silent for {@link RunBatchOptions.webhookSilenceMs} is polled), `hybrid` (pushed completions; executions
   * silent well past the learned run time are polled). Webhook and hybrid need `completions`.
   * @default 'poll'
   */
  readonly track?: TrackMode | undefined;
  /** Where pushed completions come from (a webhook receiver from `startWebhookServer`). */
  readonly completions?: CompletionFeed | undefined;
  /** In `webhook` mode, how long an execution may stay silent before it is polled, in ms. @default 300_000 */
  readonly webhookSilenceMs?: number | undefined;
  /** Consecutive executions rejected for an exhausted provider quota that stop the run as fatal. @default 5 */
  readonly quotaBreakerThreshold?: number | undefined;
  /**
   * Continue the run journaled in `outDir`: finished cases are kept, submitted ones tracked again by their execution
   * id, the rest submitted under the journaled external ids (a reused id is reconciled, never started twice).
   * @default false
   */
  readonly resume?: boolean | undefined;
  /**
   * Run again, under new external ids, only the cases of the run in `outDir` that did not pass; passed records are
   * kept and `attempts` counts every start. The earlier journal is kept as `journal.attempt-N.jsonl`.
   * @default false
   */
  readonly retryFailed?: boolean | undefined;
}

/** A live view of a run's progress (mutated in place; copy it to keep a snapshot). */
export interface RunProgress {
  readonly total: number;
  readonly submitted: number;
  readonly finished: number;
  readonly passed: number;
  /** Executions believed running on the server. */
  readonly running: number;
  /** Executions believed waiting in the server's queue. */
  readonly queued: number;
}

/** What a run reports while it goes. */
export type RunEvent =
  | {
      readonly type: 'started';
      readonly runId: string;
      readonly externalIdPrefix: string;
      readonly progress: RunProgress;
    }
  | {
      readonly type: 'submitted';
      readonly index: number;
      readonly id: string;
      readonly executionId: string;
      readonly progress: RunProgress;
    }
  | { readonly type: 'record'; readonly record: CaseRecord; readonly progress: RunProgress }
  | { readonly type: 'server-limit'; readonly limit: number; readonly progress: RunProgress }
  | {
      readonly type: 'stopping';
      readonly reason: StopReason;
      readonly message: string;
      readonly progress: RunProgress;
    };

/** How the engine learns that an execution ended. */
export type TrackMode = 'poll' | 'webhook' | 'hybrid';

/** Why a run stopped before its cases were done. */
export type StopReason = 'fatal' | 'deadline' | 'interrupted';

/** What {@link runBatch} resolves with. */
export interface RunResult {
  readonly summary: Summary;
  readonly outDir: string;
  /** The text of `report.md`. */
  readonly markdown: string;
}

const optionsSchema = z.object({
  concurrency: z.number().int().min(1).max(10_000),
  timeoutMs: z.number().positive().optional(),
  executionTimeoutMs: z.number().positive().optional(),
  externalIdPrefix: z.string().max(200).optional(),
});

/**
 * Runs every case of `options.dataset` against the workflow and writes the out directory.
 * Resolves when every case has its record (also after a deadline, an abort or a fatal API error, which
 * `summary.stopped` reports); rejects only with a {@link ConfigError} before anything is submitted.
 */
export async function runBatch(options: RunBatchOptions): Promise<RunResult> {
  const workflow = resolveWorkflow(options.workflow);
  const parsed = optionsSchema.safeParse({
    concurrency: options.concurrency ?? 32,
    timeoutMs: options.timeoutMs,
    executionTimeoutMs: options.executionTimeoutMs,
    externalIdPrefix: options.externalIdPrefix,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(
      `invalid run option ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
    );
  }
  if ((options.track ?? 'poll') !== 'poll' && options.completions === undefined) {
    throw new ConfigError(
      `track ${options.track}: give the completions feed (a webhook receiver) to listen to`,
    );
  }
  if (options.resume === true && options.retryFailed === true) {
    throw new ConfigError(
      'resume and retry-failed do not go together: resume an unfinished run first, then retry its failures',
    );
  }
  await mkdir(options.outDir, { recursive: true });
  const start = await prepareStart(options, workflow);
  const run = new BatchRun(options, start, parsed.data.concurrency);
  return run.execute();
}

/** How a run begins: fresh, resumed from its journal, or as a new attempt at the failures of an earlier one. */
interface StartPlan {
  readonly workflow: WorkflowRef;
  readonly runId: string;
  readonly prefix: string;
  readonly attempt: number;
  /** The journal to continue (resume), or null for a new one. */
  readonly resume: ReplayState | null;
  /** The earlier attempt's journal (retry-failed), read for its records. */
  readonly previous: { readonly state: ReplayState; readonly path: string } | null;
}

async function prepareStart(options: RunBatchOptions, workflow: WorkflowRef): Promise<StartPlan> {
  const journalPath = join(options.outDir, 'journal.jsonl');
  if (options.resume !== true && options.retryFailed !== true) {
    const runId = options.runId ?? randomBytes(4).toString('hex');
    const prefix = options.externalIdPrefix ?? `vb-${runId}-`;
    return { workflow, runId, prefix, attempt: 1, resume: null, previous: null };
  }
  const flag = options.resume === true ? 'resume' : 'retry-failed';
  let state: ReplayState | null;
  try {
    state = await readJournal(journalPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && !(error instanceof EmptyJournalError))
      throw error;
    state = null;
  }
  if (state === null) {
    if (options.retryFailed === true) {
      throw new ConfigError(`retry-failed: there is no journal in ${options.outDir}: nothing to retry`);
    }
    // The journal's header is written before the first submit: without one, nothing was started. Begin afresh.
    const runId = options.runId ?? randomBytes(4).toString('hex');
    const prefix = options.externalIdPrefix ?? `vb-${runId}-`;
    return { workflow, runId, prefix, attempt: 1, resume: null, previous: null };
  }
  const { header } = state;
  const problems: string[] = [];
  if (header.dataset.cases !== options.dataset.size) {
    problems.push(
      `the journal's run had ${header.dataset.cases} cases, this dataset has ${options.dataset.size}`,
    );
  }
  if (
    header.workflow.deployment_name !== workflow.deployment_name ||
    header.workflow.deployment_id !== workflow.deployment_id
  ) {
    problems.push(
      `the journal's run targets ${header.workflow.deployment_name ?? header.workflow.deployment_id}`,
    );
  }
  if (header.workflow.release_tag !== workflow.release_tag) {
    problems.push(`the journal's run used release tag ${header.workflow.release_tag}`);
  }
  const shard = options.shard ?? null;
  if (
    (header.shard?.index ?? null) !== (shard?.index ?? null) ||
    (header.shard?.count ?? null) !== (shard?.count ?? null)
  ) {
    problems.push('the journal belongs to another shard');
  }
  if (
    options.resume === true &&
    options.externalIdPrefix !== undefined &&
    options.externalIdPrefix !== header.external_id_prefix
  ) {
    problems.push(`the journal's external id prefix is ${header.external_id_prefix}`);
  }
  if (options.retryFailed === true && state.records.size < header.dataset.cases) {
    problems.push(
      `${header.dataset.cases - state.records.size} cases have no result yet: run with resume first`,
    );
  }
  if (problems.length > 0) {
    throw new ConfigError(`${flag}: ${options.outDir} holds another run: ${problems.join('; ')}`);
  }
  if (options.resume === true) {
    return {
      workflow,
      runId: header.run_id,
      prefix: header.external_id_prefix,
      attempt: header.attempt ?? 1,
      resume: state,
      previous: null,
    };
  }
  const attempt = (header.attempt ?? 1) + 1;
  const kept = join(options.outDir, `journal.attempt-${attempt - 1}.jsonl`);
  await rename(journalPath, kept);
  const runId = options.runId ?? randomBytes(4).toString('hex');
  const prefix = options.externalIdPrefix ?? `${header.external_id_prefix}r${attempt}-`;
  return { workflow, runId, prefix, attempt, resume: null, previous: { state, path: kept } };
}

function resolveWorkflow(target: WorkflowTarget): WorkflowRef {
  const name = target.deploymentName?.trim() || null;
  const id = target.deploymentId?.trim() || null;
  if ((name === null) === (id === null)) {
    throw new ConfigError('name exactly one workflow: a deployment name or a deployment id');
  }
  return { deployment_name: name, deployment_id: id, release_tag: target.releaseTag?.trim() || 'LATEST' };
}

/** setTimeout's longest delay. */
const MAX_TIMER_MS = 2_147_000_000;

type FlightState = 'submitting' | 'running' | 'queued' | 'done';

/** What is left to do for one case. */
type CasePlan =
  | { readonly kind: 'done' }
  | { readonly kind: 'submit'; readonly attempts: number }
  | {
      readonly kind: 'track';
      readonly executionId: string;
      readonly submittedAt: number;
      readonly attempts: number;
    };

interface Flight {
  readonly seq: number;
  /**
   * Position in the order Vellum accepted the submits (the order of their answers), which is its queue's order;
   * creation order is not: requests race over the pool's connections. Infinity until the submit is answered.
   */
  order: number;
  readonly case: Case;
  readonly externalId: string;
  /** Starts of this case by this tool, this one included. */
  readonly attempts: number;
  state: FlightState;
  executionId: string | null;
  submittedAt: number;
  /** When the execution is believed to have started running on the server. */
  startedAt: number;
  /** Looks at the status since the execution was believed started. */
  looks: number;
  /** When a status answer last said the execution was running (0: never). */
  seenRunningAt: number;
  /** The run-time estimate the first look was planned with. */
  plannedWith: number;
  /** Wakes the flight from its current wait (promotion, probe); null while not waiting. */
  wake: (() => void) | null;
  /** Set when the probe loop wants this queued flight to look at its status once. */
  probe: boolean;
  /** A completion pushed for this execution (webhook and hybrid modes). */
  pushed: Completion | null;
}

class BatchRun {
  readonly #options: RunBatchOptions;
  readonly #client: VellumClient;
  /** Shared lookups of the executions of refused submits (created at the first refusal). */
  #finder: ExternalIdFinder | null = null;
  readonly #clock: Clock;
  readonly #workflow: WorkflowRef;
  readonly #runId: string;
  readonly #prefix: string;
  readonly #planner: PollPlanner;
  readonly #stop = new AbortController();
  #stopping: { reason: StopReason; message: string } | null = null;

  readonly #outstanding = new Map<number, Flight>();
  /** Flights believed queued on the server, oldest first; `#queueHead` skips the ones already gone. */
  #queue: Flight[] = [];
  #queueHead = 0;
  #probing = false;
  #seq = 0;
  /** Submits answered so far: the next flight's {@link Flight.order}. */
  #accepted = 0;
  #running = 0;
  readonly #progress = { total: 0, submitted: 0, finished: 0, passed: 0, running: 0, queued: 0 };
  #journal: JournalWriter | null = null;
  #wakeMain: (() => void) | null = null;
  readonly #builder = new SummaryBuilder();

  readonly #start: StartPlan;
  readonly #track_: TrackMode;
  /** Outstanding flights by execution and external id, for pushed completions (not kept in poll mode). */
  readonly #byExecutionId = new Map<string, Flight>();
  readonly #byExternalId = new Map<string, Flight>();
  #quotaRejections = 0;
  /** Records written so far by this run. */
  #recordedCount = 0;
  /** The earlier attempt's journal, open for reading its records (retry-failed). */
  #previousFd: number | null = null;

  constructor(options: RunBatchOptions, start: StartPlan, concurrency: number) {
    this.#options = options;
    this.#client = options.client;
    this.#clock = options.clock ?? systemClock;
    this.#start = start;
    this.#track_ = options.track ?? 'poll';
    this.#workflow = start.workflow;
    this.#runId = start.runId;
    this.#prefix = start.prefix;
    this.#planner = new PollPlanner({
      maxWindow: concurrency,
      initialDurationMs: options.initialDurationEstimateMs ?? 1000,
    });
    this.#progress.total = options.dataset.size;
    // Every waiting flight and every request in the air listens on the stop signal.
    setMaxListeners(0, this.#stop.signal);
  }

  async execute(): Promise<RunResult> {
    const { outDir, dataset, signal } = this.#options;
    const startedAt = new Date(this.#clock.now());
    const journalPath = join(outDir, 'journal.jsonl');
    const resume = this.#start.resume;
    if (resume !== null) {
      this.#journal = JournalWriter.reopen(journalPath, resume.validBytes, dataset.size);
      for (const [index, at] of resume.records) this.#journal.indexRecord(index, at.offset, at.length);
    } else {
      this.#journal = JournalWriter.create(journalPath, {
        t: 'run',
        v: 1,
        run_id: this.#runId,
        external_id_prefix: this.#prefix,
        dataset: { path: dataset.path, cases: dataset.size },
        workflow: this.#workflow,
        shard: this.#options.shard ?? null,
        started_at: startedAt.toISOString(),
        ...(this.#start.attempt > 1 ? { attempt: this.#start.attempt } : {}),
      });
    }
    if (this.#start.previous !== null) this.#previousFd = openSync(this.#start.previous.path, 'r');
    const unsubscribe = this.#options.completions?.subscribe((completion) => this.#onCompletion(completion));
    const onAbort = (): void => this.#requestStop('interrupted', 'the run was interrupted');
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const deadline = new AbortController();
    if (this.#options.timeoutMs !== undefined) {
      const ms = this.#options.timeoutMs;
      this.#clock.sleep(ms, deadline.signal).then(
        () => this.#requestStop('deadline', `the run deadline of ${Math.round(ms / 1000)}s was reached`),
        () => undefined,
      );
    }
    this.#emit({
      type: 'started',
      runId: this.#runId,
      externalIdPrefix: this.#prefix,
      progress: this.#progress,
    });

    try {
      await this.#submitAll(dataset.cases());
      return await this.#finish(startedAt);
    } finally {
      deadline.abort();
      signal?.removeEventListener('abort', onAbort);
      unsubscribe?.();
      this.#journal.close();
      if (this.#previousFd !== null) closeSync(this.#previousFd);
    }
  }

  /** Pulls cases while the window has room; after a stop, gives every case not yet started its record. */
  async #submitAll(source: AsyncIterable<Case> | Iterable<Case>): Promise<void> {
    const flights = new Set<Promise<void>>();
    for await (const c of source) {
      while (this.#stopping === null && this.#outstanding.size >= this.#planner.window) {
        await new Promise<void>((resolve) => (this.#wakeMain = resolve));
        this.#wakeMain = null;
      }
      const plan = this.#planCase(c);
      if (plan.kind === 'done') continue;
      if (this.#stopping !== null) {
        this.#record(this.#notStartedRecord(c, plan));
        continue;
      }
      const flight = this.#fly(c, plan);
      flights.add(flight);
      void flight.finally(() => flights.delete(flight));
    }
    await Promise.all(flights);
  }

  /** What this run still has to do for case `c`, given the journal it resumes or the attempt it retries. */
  #planCase(c: Case): CasePlan {
    const resume = this.#start.resume;
    if (resume !== null) {
      const done = resume.records.get(c.index);
      if (done !== undefined) {
        this.#progress.finished += 1;
        if (done.passed) this.#progress.passed += 1;
        return { kind: 'done' };
      }
      const submitted = resume.submitted.get(c.index);
      if (submitted !== undefined) {
        return { kind: 'track', executionId: submitted.executionId, submittedAt: submitted.at, attempts: 1 };
      }
      return { kind: 'submit', attempts: 1 };
    }
    const previous = this.#start.previous;
    if (previous !== null) {
      const at = previous.state.records.get(c.index);
      if (at === undefined) return { kind: 'submit', attempts: 1 };
      if (at.passed) {
        this.#record(readRecordAt(this.#previousFd!, at.offset, at.length));
        return { kind: 'done' };
      }
      return { kind: 'submit', attempts: at.attempts + 1 };
    }
    return { kind: 'submit', attempts: 1 };
  }

  #requestStop(reason: StopReason, message: string): void {
    if (this.#stopping !== null) return;
    this.#stopping = { reason, message };
    this.#emit({ type: 'stopping', reason, message, progress: this.#progress });
    this.#stop.abort(new Error(message));
    for (const flight of this.#outstanding.values()) flight.wake?.();
    this.#wakeMain?.();
  }

  /** One case from submit to record. Never rejects. */
  async #fly(c: Case, plan: Exclude<CasePlan, { kind: 'done' }>): Promise<void> {
    const flight: Flight = {
      seq: this.#seq++,
      order: Infinity,
      case: c,
      externalId: this.#externalIdOf(c),
      attempts: plan.attempts,
      state: 'submitting',
      executionId: null,
      submittedAt: this.#clock.now(),
      startedAt: 0,
      looks: 0,
      seenRunningAt: 0,
      plannedWith: 0,
      wake: null,
      probe: false,
      pushed: null,
    };
    if (this.#track_ !== 'poll') this.#byExternalId.set(flight.externalId, flight);
    this.#outstanding.set(flight.seq, flight);
    try {
      let record: CaseRecord | null = null;
      if (plan.kind === 'track') {
        // Submitted before the crash: track it by its id, and look soon, it may have finished long ago.
        this.#setExecutionId(flight, plan.executionId);
        flight.submittedAt = plan.submittedAt;
        this.#progress.submitted += 1;
        this.#startRunning(flight, plan.submittedAt);
      } else {
        record = await this.#submit(flight);
      }
      this.#record(record ?? (await this.#track(flight)));
    } catch (error) {
      // A bug here must not lose the case: record it as failed on our side with the message.
      this.#record(this.#localRecord(flight, 'SUBMIT_FAILED', errorOf(error, 'INTERNAL_ERROR')));
    } finally {
      this.#leave(flight);
    }
  }

  /** Submits the case; returns a record when it ended here (failed or stopped), null when it is being executed. */
  async #submit(flight: Flight): Promise<CaseRecord | null> {
    const journal = this.#journal!;
    const c = flight.case;
    journal.intent(c.index, flight.externalId);
    await journal.durable();
    if (this.#stopping !== null) return this.#stoppedRecord(flight);
    flight.submittedAt = this.#clock.now();
    let executionId: string | null;
    try {
      const response = await this.#client.executeWorkflowAsync(
        {
          inputs: c.inputs,
          ...(this.#workflow.deployment_name !== null
            ? { workflowDeploymentName: this.#workflow.deployment_name }
            : { workflowDeploymentId: this.#workflow.deployment_id! }),
          releaseTag: this.#workflow.release_tag,
          externalId: flight.externalId,
          ...(Object.keys(c.metadata).length > 0 ? { metadata: c.metadata } : {}),
        },
        { signal: this.#stop.signal },
      );
      executionId = response.execution_id;
    } catch (error) {
      if (this.#stopping !== null) return this.#stoppedRecord(flight);
      if (error instanceof ExternalIdConflictError) {
        // Our external id is taken: an earlier attempt whose answer was lost started it. Find it and track it.
        executionId = await this.#reconcile(flight);
        if (executionId === null) {
          return this.#localRecord(flight, 'SUBMIT_FAILED', {
            code: 'EXTERNAL_ID_CONFLICT',
            message: `external id ${flight.externalId} is already used in this workspace, and no execution of this workflow carries it`,
          });
        }
      } else {
        if (isFatal(error, 'submit')) this.#requestStop('fatal', fatalMessage(error));
        return this.#localRecord(flight, 'SUBMIT_FAILED', errorOf(error, 'SUBMIT_ERROR'));
      }
    }
    this.#setExecutionId(flight, executionId);
    journal.submitted(c.index, executionId, new Date(this.#clock.now()));
    this.#progress.submitted += 1;
    this.#emit({ type: 'submitted', index: c.index, id: c.id, executionId, progress: this.#progress });
    if (this.#planner.serverLimit === null) {
      this.#startRunning(flight, flight.submittedAt);
    } else {
      // Behind everything already queued (FIFO); it runs at once only when a slot is free.
      this.#enqueue(flight);
      this.#fill(flight.submittedAt);
    }
    return null;
  }

  async #reconcile(flight: Flight): Promise<string | null> {
    this.#finder ??= new ExternalIdFinder(
      this.#client,
      this.#workflow.deployment_id ?? this.#workflow.deployment_name!,
    );
    try {
      return (await this.#finder.find(flight.externalId, { signal: this.#stop.signal }))?.executionId ?? null;
    } catch {
      return null;
    }
  }

  /**
   * Follows the execution until it is final, timed out, or the run stops: by polling on the planner's schedule, and
   * in webhook and hybrid modes by completions pushed to {@link BatchRun.#onCompletion}, with polls only for the silent.
   */
  async #track(flight: Flight): Promise<CaseRecord> {
    const executionTimeout = this.#options.executionTimeoutMs;
    const grace = this.#options.statusNotFoundGraceMs ?? 15_000;
    for (;;) {
      if (flight.pushed !== null) return this.#pushedRecord(flight, flight.pushed);
      if (this.#stopping !== null) return this.#stopped(flight);
      const now = this.#clock.now();
      const deadline = executionTimeout === undefined ? Infinity : flight.submittedAt + executionTimeout;
      if (now >= deadline) {
        // One last look before giving up: the news may have been lost (a dropped webhook, a late poll).
        const last = await this.#lastLook(flight);
        if (last !== null) return last;
        return this.#localRecord(flight, 'TIMED_OUT', {
          code: 'EXECUTION_TIMEOUT',
          message: `no final status within the execution timeout of ${Math.round(executionTimeout! / 1000)}s`,
        });
      }
      const timedOut = await this.#wait(flight, Math.min(this.#nextLookDelay(flight, now), deadline - now));
      if (flight.pushed !== null) return this.#pushedRecord(flight, flight.pushed);
      if (this.#stopping !== null) return this.#stopped(flight);
      if (this.#clock.now() >= deadline) continue;
      // Woken early (promoted from the queue): plan the look again; only a probe looks at once.
      if (!timedOut && !flight.probe) continue;
      flight.probe = false;

      let status: ExecutionStatusResponse;
      const finishedAtSend = this.#recordedCount;
      try {
        status = await this.#client.getExecutionStatus(flight.executionId!, { signal: this.#stop.signal });
      } catch (error) {
        if (flight.pushed !== null) return this.#pushedRecord(flight, flight.pushed);
        if (this.#stopping !== null) return this.#stopped(flight);
        if (error instanceof NotFoundError && this.#clock.now() - flight.submittedAt < grace) {
          flight.looks += 1;
          continue;
        }
        if (error instanceof NotFoundError) {
          return this.#localRecord(flight, 'SUBMIT_FAILED', {
            code: 'EXECUTION_NOT_FOUND',
            message: `execution ${flight.executionId} was accepted but its status is still unknown to Vellum after ${Math.round(grace / 1000)}s`,
          });
        }
        if (isFatal(error, 'status')) {
          this.#requestStop('fatal', fatalMessage(error));
          return this.#stopped(flight);
        }
        flight.looks += 1; // the client already retried; keep tracking on a longer schedule
        continue;
      }

      if (status.status === 'FULFILLED' || status.status === 'REJECTED') {
        if (flight.state === 'running' && flight.looks === 0 && this.#track_ === 'poll') {
          this.#planner.learnFirstLook(true, flight.plannedWith);
        }
        return this.#statusRecord(flight, status);
      }
      if (status.status === 'PENDING') {
        if (flight.state === 'running') this.#demote(flight, finishedAtSend);
        continue;
      }
      // INITIATED, STREAMING, or a status this version does not know: it is running.
      flight.seenRunningAt = this.#clock.now();
      if (flight.state === 'queued') {
        this.#dequeue(flight);
        this.#startRunning(flight, this.#clock.now());
        continue;
      }
      if (flight.looks === 0 && this.#track_ === 'poll')
        this.#planner.learnFirstLook(false, flight.plannedWith);
      flight.looks += 1;
    }
  }

  /** How long until the next status request for `flight`; Infinity while it waits to be woken. */
  #nextLookDelay(flight: Flight, now: number): number {
    if (flight.state === 'queued') return Infinity;
    const sinceStart = now - flight.startedAt;
    if (this.#track_ === 'poll') {
      if (flight.looks > 0) return this.#planner.nextDelay(flight.looks);
      flight.plannedWith = this.#planner.planFirstLook(flight.seq);
      return this.#planner.firstDelay(sinceStart, flight.plannedWith);
    }
    // Webhook and hybrid: the push should come; poll only executions silent well past the expected finish.
    const silence =
      this.#track_ === 'hybrid'
        ? Math.max(2 * this.#planner.durationEstimateMs, this.#planner.durationEstimateMs + 1000)
        : (this.#options.webhookSilenceMs ?? 300_000);
    if (flight.looks === 0) return Math.max(0, silence - sinceStart);
    return this.#planner.nextDelay(flight.looks + 2);
  }

  /** A final status request after a deadline, bounded in time; the record when the execution ended, else null. */
  async #lastLook(flight: Flight): Promise<CaseRecord | null> {
    if (flight.executionId === null) return null;
    try {
      const status = await this.#client.getExecutionStatus(flight.executionId, {
        signal: AbortSignal.timeout(2_000),
      });
      if (status.status === 'FULFILLED' || status.status === 'REJECTED')
        return this.#statusRecord(flight, status);
    } catch {
      // the deadline stands
    }
    return null;
  }

  #statusRecord(flight: Flight, status: ExecutionStatusResponse): CaseRecord {
    const fulfilled = status.status === 'FULFILLED';
    return this.#outcomeRecord(flight, {
      fulfilled,
      outputs: fulfilled ? status.outputs : null,
      error: fulfilled ? null : (status.error ?? { code: 'UNKNOWN', message: 'rejected without an error' }),
      url: status.execution_detail_url,
    });
  }

  #pushedRecord(flight: Flight, completion: Completion): CaseRecord {
    if (flight.state === 'running' && this.#track_ === 'hybrid') {
      // A push tells the run time almost exactly: learn the median from it.
      this.#planner.learnFirstLook(this.#clock.now() - flight.startedAt <= this.#planner.durationEstimateMs);
    }
    const fulfilled = completion.status === 'FULFILLED';
    return this.#outcomeRecord(flight, {
      fulfilled,
      outputs: fulfilled ? (completion.outputs ?? {}) : null,
      error: fulfilled
        ? null
        : (completion.error ?? { code: 'UNKNOWN', message: 'rejected without an error' }),
      url: null,
    });
  }

  #outcomeRecord(
    flight: Flight,
    outcome: {
      fulfilled: boolean;
      outputs: Readonly<Record<string, unknown>> | null;
      error: CaseError | null;
      url: string | null;
    },
  ): CaseRecord {
    this.#countQuota(outcome.error);
    const assertions = evaluateCase(flight.case, outcome.outputs);
    return this.#finalRecord(flight, {
      status: outcome.fulfilled ? 'FULFILLED' : 'REJECTED',
      passed: outcome.fulfilled && assertions.every((a) => a.passed),
      outputs: outcome.outputs,
      error: outcome.error,
      assertions,
      execution_detail_url: outcome.url,
    });
  }

  /** Consecutive rejections for an exhausted quota trip a breaker: the rest of the set would burn the same way. */
  #countQuota(error: CaseError | null): void {
    if (error === null || !/QUOTA/i.test(error.code)) {
      this.#quotaRejections = 0;
      return;
    }
    this.#quotaRejections += 1;
    const threshold = this.#options.quotaBreakerThreshold ?? 5;
    if (this.#quotaRejections >= threshold) {
      this.#requestStop(
        'fatal',
        `${this.#quotaRejections} executions in a row were rejected with ${error.code}: the provider quota looks exhausted`,
      );
    }
  }

  /** A completion pushed by the feed: hand it to its flight, which wakes and records it. Unknown ids are another run's. */
  #onCompletion(completion: Completion): void {
    const flight =
      (completion.executionId !== null ? this.#byExecutionId.get(completion.executionId) : undefined) ??
      (completion.externalId !== null ? this.#byExternalId.get(completion.externalId) : undefined);
    if (flight === undefined || flight.state === 'done' || flight.pushed !== null) return;
    flight.pushed = completion;
    flight.wake?.();
  }

  /** Sleeps up to `ms` (Infinity: until woken); true when the time ran out, false when woken or stopped. */
  #wait(flight: Flight, ms: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      if (this.#stopping !== null) {
        resolve(false);
        return;
      }
      const cancel =
        ms === Infinity
          ? null
          : this.#clock.setTimer(Math.min(ms, MAX_TIMER_MS), () => {
              flight.wake = null;
              resolve(true);
            });
      flight.wake = () => {
        cancel?.();
        flight.wake = null;
        resolve(false);
      };
    });
  }

  #startRunning(flight: Flight, since: number): void {
    flight.state = 'running';
    flight.startedAt = since;
    flight.looks = 0;
    this.#running += 1;
    this.#progress.running = this.#running;
  }

  /** A flight believed running was seen queued: learn the server's limit, and queue it in our model. */
  #demote(flight: Flight, finishedAtSend: number): void {
    // While this flight waits in Vellum's FIFO queue, everything running there was submitted before it and is
    // still unfinished: the older flights we have no record for (running or queued in our model) bound the limit
    // from above, plus those recorded while the status request was in the air. The smallest bound seen is kept.
    let olderUnfinished = this.#recordedCount - finishedAtSend;
    for (const other of this.#outstanding.values()) {
      if (other.order < flight.order) olderUnfinished += 1;
    }
    const before = this.#planner.serverLimit;
    this.#planner.learnQueued(olderUnfinished);
    if (this.#planner.serverLimit !== before) {
      this.#emit({ type: 'server-limit', limit: this.#planner.serverLimit!, progress: this.#progress });
    }
    this.#running -= 1;
    this.#progress.running = this.#running;
    this.#enqueue(flight);
    // FIFO: everything Vellum accepted after it waits too. Queue those we never saw running, without asking.
    for (const other of this.#outstanding.values()) {
      if (other.order > flight.order && other.state === 'running' && other.seenRunningAt === 0) {
        this.#running -= 1;
        this.#enqueue(other);
        other.wake?.();
      }
    }
    this.#progress.running = this.#running;
    // Older flights we believed queued must be the ones running in its place.
    this.#fill(this.#clock.now(), flight.order);
  }

  #enqueue(flight: Flight): void {
    flight.state = 'queued';
    // Keep the queue in submit order: a demoted flight may be older than flights queued after it.
    let at = this.#queue.length;
    while (at > this.#queueHead && this.#queue[at - 1]!.order > flight.order) at -= 1;
    this.#queue.splice(at, 0, flight);
    this.#progress.queued += 1;
    this.#startProbing();
  }

  #dequeue(flight: Flight): void {
    const at = this.#queue.indexOf(flight, this.#queueHead);
    if (at >= 0) this.#queue.splice(at, 1);
    this.#progress.queued -= 1;
    this.#compactQueue();
  }

  /** One execution finished: the server starts the oldest queued one now (FIFO), so do we. */
  /**
   * When the execution of `flight`, just found finished, most likely finished: halfway between the last moment it was
   * known to run and now. Starting its successor at that moment (not now) keeps detection delays from adding up
   * along the chain of executions that share a slot.
   */
  #finishEstimate(flight: Flight): number {
    const now = this.#clock.now();
    const runningSince = Math.max(flight.startedAt, flight.seenRunningAt);
    return runningSince >= now ? now : (runningSince + now) / 2;
  }

  /**
   * Vellum runs `serverLimit` executions at once and starts queued ones in FIFO order: while fewer are believed
   * running, the oldest queued ones (older than `olderThan`) are believed started `since`.
   */
  #fill(since: number, olderThan = Infinity): void {
    const limit = this.#planner.serverLimit;
    if (limit === null) return;
    while (this.#running < limit) {
      const head = this.#queue[this.#queueHead];
      if (head === undefined || head.order >= olderThan) return;
      this.#queueHead += 1;
      this.#progress.queued -= 1;
      this.#startRunning(head, since);
      head.wake?.();
    }
    this.#compactQueue();
  }

  #compactQueue(): void {
    if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#queueHead);
      this.#queueHead = 0;
    }
  }

  /** While executions are queued, looks at the oldest one now and then, in case our model of the queue is wrong. */
  #startProbing(): void {
    if (this.#probing) return;
    this.#probing = true;
    const loop = async (): Promise<void> => {
      while (this.#stopping === null && this.#queueHead < this.#queue.length) {
        try {
          await this.#clock.sleep(this.#planner.queuedProbeDelay(), this.#stop.signal);
        } catch {
          break;
        }
        const head = this.#queue[this.#queueHead];
        if (head?.state === 'queued') {
          head.probe = true;
          head.wake?.();
        }
      }
      this.#probing = false;
    };
    void loop();
  }

  #setExecutionId(flight: Flight, executionId: string): void {
    flight.executionId = executionId;
    flight.order = this.#accepted++;
    if (this.#track_ !== 'poll') this.#byExecutionId.set(executionId, flight);
  }

  /** `{prefix}{case id}`, or on resume the id the journal recorded for the case. */
  #externalIdOf(c: Case): string {
    return this.#start.resume?.externalIds.get(c.index) ?? `${this.#prefix}${c.id}`;
  }

  #leave(flight: Flight): void {
    if (flight.state === 'running') {
      this.#running -= 1;
      this.#progress.running = this.#running;
      if (this.#stopping === null) this.#fill(this.#finishEstimate(flight));
    } else if (flight.state === 'queued') {
      this.#dequeue(flight);
    }
    flight.state = 'done';
    this.#outstanding.delete(flight.seq);
    if (this.#track_ !== 'poll') {
      this.#byExternalId.delete(flight.externalId);
      if (flight.executionId !== null) this.#byExecutionId.delete(flight.executionId);
    }
    this.#wakeMain?.();
  }

  #finalRecord(
    flight: Flight,
    result: Pick<
      CaseRecord,
      'status' | 'passed' | 'outputs' | 'error' | 'assertions' | 'execution_detail_url'
    >,
  ): CaseRecord {
    const finished = this.#clock.now();
    return {
      index: flight.case.index,
      id: flight.case.id,
      external_id: flight.externalId,
      execution_id: flight.executionId,
      ...result,
      attempts: flight.attempts,
      submitted_at: new Date(flight.submittedAt).toISOString(),
      finished_at: new Date(finished).toISOString(),
      latency_ms: finished - flight.submittedAt,
    };
  }

  /** A record for a case that ended on our side. */
  #localRecord(flight: Flight, status: CaseStatus, error: CaseError): CaseRecord {
    return {
      ...this.#finalRecord(flight, {
        status,
        passed: false,
        outputs: null,
        error,
        assertions: [],
        execution_detail_url: null,
      }),
      latency_ms: null,
    };
  }

  /** The record of a flight the run stopped under: at the deadline, a last look first (it may have just ended). */
  async #stopped(flight: Flight): Promise<CaseRecord> {
    if (this.#stopping?.reason === 'deadline') {
      const last = await this.#lastLook(flight);
      if (last !== null) return last;
    }
    return this.#stoppedRecord(flight);
  }

  #stoppedRecord(flight: Flight): CaseRecord {
    const stop = this.#stopping!;
    const started = flight.executionId !== null;
    const status: CaseStatus = stop.reason === 'deadline' ? 'TIMED_OUT' : 'CANCELLED';
    return this.#localRecord(flight, status, {
      code: stopCode(stop.reason),
      message: started
        ? `run stopped (${stop.reason}) before the execution finished: ${stop.message}; it may still finish in Vellum`
        : `run stopped (${stop.reason}) while the case was being submitted: ${stop.message}`,
    });
  }

  #notStartedRecord(c: Case, plan: Exclude<CasePlan, { kind: 'done' }>): CaseRecord {
    const stop = this.#stopping!;
    return {
      index: c.index,
      id: c.id,
      external_id: this.#externalIdOf(c),
      execution_id: null,
      status: stop.reason === 'deadline' ? 'TIMED_OUT' : 'CANCELLED',
      passed: false,
      outputs: null,
      error: { code: stopCode(stop.reason), message: `not submitted: ${stop.message}` },
      assertions: [],
      attempts: plan.attempts - 1,
      submitted_at: null,
      finished_at: new Date(this.#clock.now()).toISOString(),
      latency_ms: null,
      execution_detail_url: null,
    };
  }

  #record(record: CaseRecord): void {
    this.#journal!.record(record);
    this.#recordedCount += 1;
    this.#progress.finished += 1;
    if (record.passed) this.#progress.passed += 1;
    this.#emit({ type: 'record', record, progress: this.#progress });
  }

  #emit(event: RunEvent): void {
    this.#options.onEvent?.(event);
  }

  async #finish(startedAt: Date): Promise<RunResult> {
    const { outDir, dataset } = this.#options;
    const journal = this.#journal!;
    const resultsPath = join(outDir, 'results.jsonl');
    const tmp = `${resultsPath}.tmp`;
    const out = createWriteStream(tmp);
    for (const record of journal.records()) {
      this.#builder.add(record);
      if (!out.write(`${serializeRecord(record)}\n`)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    await rename(tmp, resultsPath);

    const stats = this.#client.stats;
    const summary = this.#builder.build({
      workflow: this.#workflow,
      shard: this.#options.shard ?? null,
      runId: this.#runId,
      externalIdPrefix: this.#prefix,
      dataset: {
        path: dataset.path,
        cases: dataset.total ?? dataset.size,
        ...(dataset.sha256 !== undefined ? { sha256: dataset.sha256 } : {}),
      },
      startedAt,
      finishedAt: new Date(this.#clock.now()),
      apiCalls: { submit: stats.submit, status: stats.status, retries: stats.retries },
      stopped: this.#stopping,
      ...(this.#options.gate !== undefined ? { gate: this.#options.gate } : {}),
    });
    const { markdown } = await writeReports(outDir, summary);
    return { summary, outDir, markdown };
  }
}

function stopCode(reason: StopReason): string {
  if (reason === 'deadline') return 'RUN_DEADLINE';
  if (reason === 'fatal') return 'RUN_STOPPED';
  return 'INTERRUPTED';
}

/** Errors after which no further request can succeed: a bad key anywhere, an unknown deployment on submit. */
function isFatal(error: unknown, operation: 'submit' | 'status'): boolean {
  if (error instanceof AuthenticationError) return true;
  return operation === 'submit' && error instanceof NotFoundError;
}

function fatalMessage(error: unknown): string {
  if (error instanceof AuthenticationError) {
    return `Vellum refused the API key (${error.status}: ${error.detail}); check the key and its workspace`;
  }
  if (error instanceof NotFoundError) {
    return `Vellum does not know this workflow deployment (${error.status}: ${error.detail}); check the name or id and the release tag`;
  }
  return error instanceof Error ? error.message : String(error);
}

function errorOf(error: unknown, fallbackCode: string): CaseError {
  if (error instanceof VellumBatchError) return { code: error.code, message: error.message };
  if (error instanceof Error) return { code: fallbackCode, message: error.message };
  return { code: fallbackCode, message: String(error) };
}
