/**
 * An in-memory Vellum for engine tests on a {@link ManualClock}: a FIFO queue behind a concurrency limit, executions
 * of scripted durations, answered at once in virtual time. It implements the client interface the engine uses, so
 * engine timing (poll schedule, window, deadlines) is tested exactly, without HTTP and without real waiting.
 */
import { ExternalIdConflictError, SubmitOutcomeUnknownError } from '../../src/client.js';
import type {
  ClientStats,
  ExecuteWorkflowRequest,
  ExecutionEventsPage,
  ExecutionStatusResponse,
  RequestOptions,
  VellumClient,
  WorkflowDeployment,
} from '../../src/client.js';
import type { Completion, CompletionFeed } from '../../src/engine/completions.js';
import { ConnectionError, NotFoundError, RateLimitError } from '../../src/errors.js';
import type { ManualClock } from './manual-clock.js';

/** One execution of the memory server. */
export interface MemoryExecution {
  readonly id: string;
  readonly externalId: string | null;
  readonly metadata: Readonly<Record<string, unknown>> | null;
  readonly index: number;
  readonly createdAt: number;
  readonly durationMs: number;
  startedAt: number | null;
  finishedAt: number | null;
  readonly rejected: boolean;
}

/** Settings of {@link MemoryVellum}. */
export interface MemoryVellumOptions {
  /** Most executions running at once. @default Infinity */
  readonly limit?: number;
  /** Run time of the n-th execution created (0-based). @default 1000 */
  readonly durationMs?: (n: number) => number;
  /** Whether the n-th execution is rejected. @default never */
  readonly reject?: (n: number) => boolean;
  /** Whether the answer of the n-th submit is lost after the execution was created. @default never */
  readonly loseAnswer?: (n: number) => boolean;
  /** Whether queued executions are listed. @default false */
  readonly listQueued?: boolean;
  /** After this many submits, every request fails as a refused connection (the server went away). @default never */
  readonly unreachableAfter?: number;
  /**
   * While this many executions are unfinished, a submit is answered 429 and retried after 1 s, as the client does
   * (telling the call's `onRetry`). @default never
   */
  readonly rateLimitAt?: number;
  /** For this long after its submit an execution's status answers 404 (Vellum's status may lag). @default 0 */
  readonly statusLagMs?: number;
  /** How long a status request takes to be answered (its round trip); the answer tells the state at its end. @default 0 */
  readonly statusLatencyMs?: number;
  /** How long after its finish an execution's push is delivered (webhook latency). @default 0 */
  readonly pushDelayMs?: number;
  /**
   * The answer to a submit with an external id already used: a 400 naming it (as observed of Vellum), or another
   * execution under the same id (a reading Vellum's docs do not exclude). @default 'refuse'
   */
  readonly reusedExternalId?: 'refuse' | 'start';
}

export const MEMORY_DEPLOYMENT: WorkflowDeployment = {
  id: '6a3f0b52-0000-4000-8000-000000000001',
  name: 'wf',
  label: 'Workflow',
};

/** See the module comment. */
export class MemoryVellum implements VellumClient, CompletionFeed {
  readonly #clock: ManualClock;
  readonly #options: MemoryVellumOptions;
  readonly executions: MemoryExecution[] = [];
  readonly #byExternalId = new Map<string, MemoryExecution>();
  readonly #listeners = new Set<(c: Completion) => void>();
  /** Status answers given, by status. */
  readonly answers: Record<string, number> = {};
  /** Status requests per execution id. */
  readonly looks = new Map<string, number>();
  /** Every status request: which execution, and when (on the manual clock). */
  readonly lookLog: { readonly id: string; readonly at: number }[] = [];
  /** Pushed completions that are dropped (webhook tests). */
  dropPush: (execution: MemoryExecution) => boolean = () => false;
  #counters = { submit: 0, status: 0, events: 0, deployments: 0, retries: 0, rateLimited: 0 };
  readonly warnings: readonly string[] = [];
  #maxRunning = 0;
  #pushed = new Set<string>();
  #cancelPush: (() => void) | null = null;

  constructor(clock: ManualClock, options: MemoryVellumOptions = {}) {
    this.#clock = clock;
    this.#options = options;
  }

  get stats(): ClientStats {
    return { ...this.#counters };
  }

  #unfinished(): number {
    this.#advance();
    return this.executions.filter((e) => e.finishedAt === null).length;
  }

  /** The most executions that ran at once. */
  get maxRunning(): number {
    return this.#maxRunning;
  }

  async getWorkflowDeployment(idOrName: string, _options?: RequestOptions): Promise<WorkflowDeployment> {
    await Promise.resolve();
    if (idOrName !== MEMORY_DEPLOYMENT.name && idOrName !== MEMORY_DEPLOYMENT.id) {
      throw new NotFoundError(404, 'Not found.', `GET /v1/workflow-deployments/${idOrName}`);
    }
    return MEMORY_DEPLOYMENT;
  }

  async executeWorkflowAsync(
    req: ExecuteWorkflowRequest,
    options?: RequestOptions,
  ): Promise<{ execution_id: string }> {
    await Promise.resolve();
    options?.signal?.throwIfAborted();
    this.#counters.submit++;
    while (this.#options.rateLimitAt !== undefined && this.#unfinished() >= this.#options.rateLimitAt) {
      this.#counters.rateLimited++;
      this.#counters.retries++;
      options?.onRetry?.({
        operation: 'submit',
        attempt: 1,
        delayMs: 1000,
        error: new RateLimitError(429, 'Too many requests.', 'POST /v1/execute-workflow-async', 1000),
        rateLimited: true,
      });
      await this.#clock.sleep(1000, options?.signal);
      this.#counters.submit++;
    }
    if (this.#counters.submit > (this.#options.unreachableAfter ?? Infinity)) {
      throw new ConnectionError(
        'POST /v1/execute-workflow-async failed on the network: connect ECONNREFUSED (ECONNREFUSED)',
      );
    }
    this.#advance();
    const externalId = req.externalId ?? null;
    if (
      externalId !== null &&
      this.#byExternalId.has(externalId) &&
      this.#options.reusedExternalId !== 'start'
    ) {
      throw new ExternalIdConflictError(400, `external_id ${externalId} already exists`, 'POST', externalId);
    }
    const n = this.executions.length;
    const execution: MemoryExecution = {
      id: `exec-${String(n).padStart(5, '0')}`,
      externalId,
      metadata: (req.metadata as Record<string, unknown> | undefined) ?? null,
      index: n,
      createdAt: this.#clock.now(),
      durationMs: this.#options.durationMs?.(n) ?? 1000,
      startedAt: null,
      finishedAt: null,
      rejected: this.#options.reject?.(n) ?? false,
    };
    this.executions.push(execution);
    if (externalId !== null) this.#byExternalId.set(externalId, execution);
    this.#advance();
    this.#armPushes();
    if (this.#options.loseAnswer?.(n) === true) {
      throw new SubmitOutcomeUnknownError('the answer was lost (memory server)', externalId, null);
    }
    return { execution_id: execution.id };
  }

  async getExecutionStatus(executionId: string, options?: RequestOptions): Promise<ExecutionStatusResponse> {
    await Promise.resolve();
    const latencyMs = this.#options.statusLatencyMs ?? 0;
    if (latencyMs > 0) await this.#clock.sleep(latencyMs, options?.signal);
    options?.signal?.throwIfAborted();
    this.#counters.status++;
    this.looks.set(executionId, (this.looks.get(executionId) ?? 0) + 1);
    this.lookLog.push({ id: executionId, at: this.#clock.now() });
    this.#advance();
    const e = this.executions.find((x) => x.id === executionId);
    const lagging = e !== undefined && this.#clock.now() - e.createdAt < (this.#options.statusLagMs ?? 0);
    if (e === undefined || lagging) throw new NotFoundError(404, 'Not found.', `GET /status`);
    const status = this.#statusOf(e);
    this.answers[status] = (this.answers[status] ?? 0) + 1;
    return {
      execution_id: e.id,
      status,
      outputs: status === 'FULFILLED' ? { n: e.index } : {},
      error: status === 'REJECTED' ? { message: 'no', code: 'NODE_EXECUTION' } : null,
      execution_detail_url: null,
    };
  }

  async listExecutionEvents(
    _deploymentId: string,
    page: { limit?: number; offset?: number; ordering?: string; externalId?: string },
    options?: RequestOptions,
  ): Promise<ExecutionEventsPage> {
    await Promise.resolve();
    options?.signal?.throwIfAborted();
    this.#counters.events++;
    this.#advance();
    const listed = this.executions
      .filter((e) => this.#options.listQueued === true || e.startedAt !== null)
      .reverse();
    const offset = page.offset ?? 0;
    const slice = listed.slice(offset, offset + (page.limit ?? 20));
    return {
      count: listed.length,
      results: slice.map((e) => ({
        span_id: e.id,
        external_id: e.externalId,
        metadata: e.metadata,
        deployment_id: MEMORY_DEPLOYMENT.id,
        release_tag: 'LATEST',
      })),
    };
  }

  subscribe(listener: (completion: Completion) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    await Promise.resolve();
  }

  /** With listeners: keeps one timer armed for the next finish, so pushes (and the queue) move in virtual time. */
  #armPushes(): void {
    if (this.#listeners.size === 0) return;
    this.#cancelPush?.();
    this.#cancelPush = null;
    let next = Infinity;
    for (const e of this.executions) {
      if (e.startedAt !== null && e.finishedAt === null) next = Math.min(next, e.startedAt + e.durationMs);
    }
    if (next === Infinity) return;
    this.#cancelPush = this.#clock.setTimer(next - this.#clock.now(), () => {
      this.#cancelPush = null;
      this.#advance();
      this.#armPushes();
    });
  }

  #statusOf(e: MemoryExecution): 'PENDING' | 'INITIATED' | 'FULFILLED' | 'REJECTED' {
    if (e.startedAt === null) return 'PENDING';
    if (e.finishedAt === null) return 'INITIATED';
    return e.rejected ? 'REJECTED' : 'FULFILLED';
  }

  /** Moves the queue to now: finishes what is due, starting queued executions at the moment a slot frees. */
  #advance(): void {
    const now = this.#clock.now();
    const limit = this.#options.limit ?? Infinity;
    let freedAt = -Infinity;
    for (;;) {
      const running = this.executions.filter((e) => e.startedAt !== null && e.finishedAt === null);
      const queued = this.executions.find((e) => e.startedAt === null);
      if (queued !== undefined && running.length < limit) {
        queued.startedAt = Math.max(queued.createdAt, freedAt);
        this.#maxRunning = Math.max(this.#maxRunning, running.length + 1);
        continue;
      }
      let due: MemoryExecution | undefined;
      for (const e of running) {
        const end = e.startedAt! + e.durationMs;
        if (end <= now && (due === undefined || end < due.startedAt! + due.durationMs)) due = e;
      }
      if (due === undefined) break;
      due.finishedAt = due.startedAt! + due.durationMs;
      freedAt = due.finishedAt;
      this.#push(due);
    }
  }

  #push(e: MemoryExecution): void {
    if (this.#pushed.has(e.id) || this.dropPush(e)) return;
    this.#pushed.add(e.id);
    const completion: Completion = {
      executionId: e.id,
      externalId: e.externalId,
      status: e.rejected ? 'REJECTED' : 'FULFILLED',
      outputs: e.rejected ? null : { n: e.index },
      error: e.rejected ? { message: 'no', code: 'NODE_EXECUTION' } : null,
    };
    const deliver = (): void => {
      for (const listener of this.#listeners) listener(completion);
    };
    const delay = this.#options.pushDelayMs ?? 0;
    if (delay > 0) this.#clock.setTimer(delay, deliver);
    else deliver();
  }
}
