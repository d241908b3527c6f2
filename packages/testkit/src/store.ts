import { Fifo, MinHeap } from './internal/heap.js';
import { hashSeed, mulberry32, sequentialUuid, type Random } from './internal/random.js';
import type { FakeVellumOptions } from './options.js';
import type {
  FakeExecution,
  FakeExecutionRequest,
  FakeInput,
  FakeOutcome,
  FakeStats,
  Responder,
} from './types.js';

/** A deployment as the store knows it. */
export interface StoreDeployment {
  readonly id: string;
  readonly name: string;
}

/** What the store needs to create an execution. */
export interface CreateRequest {
  readonly deployment: StoreDeployment;
  readonly releaseTag: string;
  readonly inputs: readonly FakeInput[];
  readonly externalId: string | null;
  readonly metadata: unknown;
}

/** Settings of an {@link ExecutionStore}. */
export interface StoreOptions {
  readonly concurrency: number;
  readonly durationMs: NonNullable<FakeVellumOptions['durationMs']>;
  readonly responder: Responder;
  readonly seed: number;
  /** Read at each creation, so it can change at run time. */
  readonly neverFinishRate: () => number;
  readonly stats: FakeStats;
  /** Told of every execution that finished, after its state was set. */
  readonly onFinish?: ((execution: FakeExecution) => void) | undefined;
}

/** An execution plus what the store needs to finish it. */
interface StoredExecution extends FakeExecution {
  readonly outcome: FakeOutcome;
}

/**
 * Executions and their lifecycle, on explicit time: `create(…, now)` and `advance(now)` move state to
 * `now` exactly (an execution finishes at `startedAt + durationMs`; a queued one starts at the very moment a
 * slot frees). Every operation is O(log n); nothing scans all executions.
 */
export class ExecutionStore {
  readonly #options: StoreOptions;
  readonly #byId = new Map<string, StoredExecution>();
  readonly #all: StoredExecution[] = [];
  readonly #byExternalId = new Map<string, StoredExecution>();
  readonly #byDeployment = new Map<string, StoredExecution[]>();
  readonly #running = new MinHeap<StoredExecution>();
  readonly #queue = new Fifo<StoredExecution>();
  readonly #idRandom: Random;
  #sequence = 0;

  constructor(options: StoreOptions) {
    this.#options = options;
    this.#idRandom = mulberry32(hashSeed(options.seed, 'execution-ids'));
  }

  /** Every execution, in creation order. */
  values(): IterableIterator<FakeExecution> {
    return this.#byId.values();
  }

  /** How many executions exist. */
  get size(): number {
    return this.#all.length;
  }

  /** The `index`-th execution created (0-based). */
  at(index: number): FakeExecution | undefined {
    return this.#all[index];
  }

  /** The execution with this id. */
  get(id: string): FakeExecution | undefined {
    return this.#byId.get(id);
  }

  /** The execution with this external id. */
  byExternalId(externalId: string): FakeExecution | undefined {
    return this.#byExternalId.get(externalId);
  }

  /** Executions of one deployment, in creation order (do not mutate). */
  forDeployment(deploymentId: string): readonly FakeExecution[] {
    return this.#byDeployment.get(deploymentId) ?? [];
  }

  /** When the next running execution finishes, or `undefined` when none will. */
  nextDueAt(): number | undefined {
    return this.#running.peekKey();
  }

  /** Creates an execution at `now`: running when a slot is free, else queued (`PENDING`). */
  create(request: CreateRequest, now: number): FakeExecution {
    const sequence = ++this.#sequence;
    const id = sequentialUuid(this.#idRandom, sequence);
    const random = mulberry32(hashSeed(this.#options.seed, request.externalId ?? `#${sequence}`));
    const neverFinishDraw = random();
    const durationDraw = random();
    const req: FakeExecutionRequest = {
      executionId: id,
      deploymentId: request.deployment.id,
      deploymentName: request.deployment.name,
      releaseTag: request.releaseTag,
      inputs: request.inputs,
      externalId: request.externalId,
      metadata: request.metadata,
    };
    const response = this.#options.responder(req, random);
    const durationMs = checkDuration(response.durationMs ?? this.#baseDuration(req, durationDraw));
    const outcome: FakeOutcome =
      'error' in response ? { error: { ...response.error } } : { outputs: response.outputs };
    const execution: StoredExecution = {
      id,
      externalId: request.externalId,
      deploymentId: request.deployment.id,
      deploymentName: request.deployment.name,
      releaseTag: request.releaseTag,
      inputs: request.inputs,
      metadata: request.metadata,
      status: 'PENDING',
      outputs: null,
      error: null,
      createdAt: now,
      startedAt: null,
      finishedAt: null,
      durationMs,
      neverFinishes: response.neverFinishes === true || neverFinishDraw < this.#options.neverFinishRate(),
      outcome,
    };
    this.#byId.set(id, execution);
    this.#all.push(execution);
    if (request.externalId !== null) this.#byExternalId.set(request.externalId, execution);
    let list = this.#byDeployment.get(request.deployment.id);
    if (list === undefined) this.#byDeployment.set(request.deployment.id, (list = []));
    list.push(execution);
    const stats = this.#options.stats;
    stats.executionsCreated++;
    if (stats.running < this.#options.concurrency) {
      this.#start(execution, now);
    } else {
      this.#queue.push(execution);
      stats.queued++;
    }
    return execution;
  }

  /** Finishes every execution due by `now` (in finish order), starting queued ones as slots free. */
  advance(now: number): void {
    for (;;) {
      const due = this.#running.peekKey();
      if (due === undefined || due > now) return;
      const execution = this.#running.pop()!;
      this.#finish(execution, due);
    }
  }

  /** Drops every pending timer-relevant structure (used on close). */
  clear(): void {
    this.#running.clear();
    this.#queue.clear();
  }

  #baseDuration(req: FakeExecutionRequest, draw: number): number {
    const d = this.#options.durationMs;
    if (typeof d === 'number') return d;
    if (typeof d === 'function') return d(req);
    return Math.round(d.min + draw * (d.max - d.min));
  }

  #start(execution: StoredExecution, at: number): void {
    const stats = this.#options.stats;
    execution.status = 'INITIATED';
    execution.startedAt = at;
    stats.running++;
    if (stats.running > stats.maxRunning) stats.maxRunning = stats.running;
    if (!execution.neverFinishes) this.#running.push(at + execution.durationMs, execution);
  }

  #finish(execution: StoredExecution, at: number): void {
    const stats = this.#options.stats;
    const outcome = execution.outcome;
    if ('error' in outcome) {
      execution.status = 'REJECTED';
      execution.error = outcome.error;
    } else {
      execution.status = 'FULFILLED';
      execution.outputs = outcome.outputs;
    }
    execution.finishedAt = at;
    stats.running--;
    stats.finished++;
    this.#options.onFinish?.(execution);
    while (stats.running < this.#options.concurrency && this.#queue.size > 0) {
      const next = this.#queue.shift()!;
      stats.queued--;
      this.#start(next, at);
    }
  }
}

function checkDuration(ms: number): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw new RangeError(`fake execution duration must be a finite number of ms >= 0, got ${String(ms)}`);
  }
  return Math.round(ms);
}
