/** Public types of the fake Vellum server. */

/** Statuses the fake reports for an execution. */
export type FakeExecutionStatus = 'PENDING' | 'INITIATED' | 'FULFILLED' | 'REJECTED';

/** A typed workflow input as received on the wire. */
export interface FakeInput {
  readonly name: string;
  readonly type: string;
  readonly value: unknown;
}

/** An execution error, as reported by the status endpoint. */
export interface FakeError {
  message: string;
  code: string;
}

/** One execution held by the fake: the ground truth tests can compare a client's results against. */
export interface FakeExecution {
  /** The execution id returned by the submit. */
  readonly id: string;
  readonly externalId: string | null;
  readonly deploymentId: string;
  readonly deploymentName: string;
  readonly releaseTag: string;
  readonly inputs: readonly FakeInput[];
  /** The request's `metadata`, or `null` when absent. */
  readonly metadata: unknown;
  /** `PENDING` while queued behind the server's concurrency limit, `INITIATED` while running. */
  status: FakeExecutionStatus;
  /** The outputs once `FULFILLED`, otherwise `null`. */
  outputs: Record<string, unknown> | null;
  /** The error once `REJECTED`, otherwise `null`. */
  error: FakeError | null;
  /** When the submit was accepted (ms since the epoch). */
  readonly createdAt: number;
  /** When it started running (ms since the epoch), `null` while queued. */
  startedAt: number | null;
  /** When it finished (ms since the epoch): exactly `startedAt + durationMs`. */
  finishedAt: number | null;
  /** Planned run time once started, in ms. */
  readonly durationMs: number;
  /** `true` when it stays `INITIATED` forever (it keeps its concurrency slot). */
  readonly neverFinishes: boolean;
}

/** Live counters of a fake server. */
export interface FakeStats {
  /** Requests received, by endpoint (`other`: anything unrouted, including wrong methods). */
  requests: { submit: number; status: number; events: number; other: number };
  /** Responses sent, by HTTP status code as a string (dropped submits have no response). */
  responses: Record<string, number>;
  executionsCreated: number;
  /** The most executions ever running at once. */
  maxRunning: number;
  /** Executions running now (never-finishing ones included). */
  running: number;
  /** Executions waiting for a slot (`PENDING`). */
  queued: number;
  /** Executions `FULFILLED` or `REJECTED`. */
  finished: number;
  faultsInjected: { rateLimited: number; serverErrors: number; dropped: number; lagged404: number };
  /** Webhook deliveries: answered 2xx, dropped on purpose, sent twice, failed (refused or unreachable). */
  webhooks: WebhookStats;
}

/** Fault injection settings. Every rate is a share in [0, 1]. */
export interface FaultOptions {
  /**
   * Share of submit and status requests answered `429 {"detail":"Too many requests"}` with `Retry-After`.
   * @default 0
   */
  rateLimitRate: number;
  /**
   * `Retry-After` of those 429s, in whole seconds (0 allowed).
   * @default 1
   */
  retryAfterSeconds: number;
  /**
   * Share of submit and status requests answered 500, 502 or 503 without doing anything.
   * @default 0
   */
  serverErrorRate: number;
  /**
   * Share of valid submits where the execution is created but the socket is destroyed without a response.
   * @default 0
   */
  dropAfterAcceptRate: number;
  /**
   * A status request for an execution younger than this (ms) answers 404, like Vellum's lag.
   * @default 0
   */
  statusLagMs: number;
  /**
   * Share of executions that stay `INITIATED` forever.
   * @default 0
   */
  neverFinishRate: number;
}

/** What the responder and the duration function are told about a new execution. */
export interface FakeExecutionRequest {
  executionId: string;
  deploymentId: string;
  deploymentName: string;
  releaseTag: string;
  inputs: readonly FakeInput[];
  externalId: string | null;
  metadata: unknown;
}

/** How an execution ends: with outputs (`FULFILLED`) or an error (`REJECTED`). */
export type FakeOutcome = { outputs: Record<string, unknown> } | { error: { message: string; code: string } };

/**
 * What a responder returns: the outcome, and optionally the run time (overrides the server's `durationMs`)
 * and whether the execution never finishes.
 */
export type FakeResponse = FakeOutcome & { durationMs?: number; neverFinishes?: boolean };

/**
 * Decides the outcome of each execution when it is created. `random` is a PRNG seeded from the server's
 * seed and the execution's external id (or its creation number), so outcomes are reproducible.
 */
export type Responder = (req: FakeExecutionRequest, random: () => number) => FakeResponse;

/** A deployment the fake knows. */
export interface FakeDeployment {
  readonly name: string;
  /** @default a stable uuid-like string derived from the name */
  readonly id?: string;
}

/** Options of {@link startFakeVellum}. */
export interface FakeVellumOptions {
  /**
   * The key `X-API-KEY` must equal; anything else gets 403.
   * @default 'test-key'
   */
  apiKey?: string;
  /**
   * Known deployments, by name or `{name, id}`.
   * @default ['demo']
   */
  deployments?: readonly (string | FakeDeployment)[];
  /**
   * Server-side limit of running executions; above it executions queue FIFO as `PENDING`.
   * @default Infinity
   */
  concurrency?: number;
  /**
   * Run time of an execution in ms: fixed, uniform in `[min, max]`, or computed per request.
   * A responder's `durationMs` and the `fake_duration_ms` control input take precedence.
   * @default 50
   */
  durationMs?: number | { min: number; max: number } | ((req: FakeExecutionRequest) => number);
  /**
   * Decides outputs or rejection per execution.
   * @default defaultResponder (echo inputs, honour `fake_*` control inputs and `rejectRate`)
   */
  responder?: Responder;
  /**
   * Share of executions the default responder rejects (ignored by a custom responder).
   * @default 0
   */
  rejectRate?: number;
  /**
   * Seed of every random choice (outcomes, durations, faults, ids).
   * @default 1
   */
  seed?: number;
  /** Fault injection; see {@link FaultOptions}. All default to 0 (no faults). */
  faults?: Partial<FaultOptions>;
  /** Send a signed webhook to this URL when an execution is fulfilled or rejected, as Vellum does. */
  webhook?: WebhookOptions;
  /**
   * Interface to listen on.
   * @default '127.0.0.1'
   */
  host?: string;
  /**
   * Port to listen on; 0 picks a free one.
   * @default 0
   */
  port?: number;
}

/** A running fake Vellum server. */
export interface FakeVellum {
  /** Base URL, e.g. `http://127.0.0.1:43123`; endpoints live under `/v1/...`. */
  readonly url: string;
  readonly port: number;
  /** Live counters (state is brought up to date on every read). */
  readonly stats: FakeStats;
  /** Every execution, in creation order. */
  executions(): IterableIterator<FakeExecution>;
  /** The execution with this id. */
  execution(id: string): FakeExecution | undefined;
  /** The execution with this external id. */
  byExternalId(externalId: string): FakeExecution | undefined;
  /** Changes fault injection from now on (merged into the current settings). */
  setFaults(faults: Partial<FaultOptions>): void;
  /** Closes the server and every socket, clears timers. Idempotent. */
  close(): Promise<void>;
}

/** Webhook deliveries of the fake, with faults. Rates are shares in [0, 1]; all default to 0. */
export interface WebhookOptions {
  /** Where deliveries are POSTed (the URL the signature covers). */
  url: string;
  /** The signing secret. */
  secret: string;
  /** Share of finishes never delivered. */
  dropRate?: number;
  /** Share of finishes delivered twice (each with the same event id). */
  duplicateRate?: number;
  /** Share of deliveries signed with a wrong secret. */
  badSignatureRate?: number;
  /** Delay before each delivery, in ms: fixed or uniform in `[min, max]`. @default 0 */
  delayMs?: number | { min: number; max: number };
}

/** Webhook counters of a fake server. */
export interface WebhookStats {
  sent: number;
  dropped: number;
  duplicated: number;
  failed: number;
}
