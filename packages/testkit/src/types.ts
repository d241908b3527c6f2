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

/**
 * Request counts by the endpoint the path names, whether or not it was served (a wrong method answers 405, an
 * endpoint on the wrong host of `splitHosts` 404); `other`: any path that names no endpoint.
 */
export interface FakeRequestCounts {
  submit: number;
  status: number;
  /** Execution lists (`GET /v1/workflow-deployments/{id}/execution-events`). */
  events: number;
  /** Deployment reads (`GET /v1/workflow-deployments/{id or name}`). */
  deployments: number;
  other: number;
}

/** Injected faults, one counter per kind (see {@link FaultOptions}). */
export interface FakeFaultCounts {
  rateLimited: number;
  serverErrors: number;
  dropped: number;
  lagged404: number;
  /** Submits that created an execution and answered 200 with a broken body (`garbleSubmitAfterAcceptRate`). */
  garbledSubmits: number;
  /** Submits that created an execution and were never answered (`submitTimeoutAfterAcceptRate`). */
  heldSubmits: number;
  /** Status answers 200 with a broken body (`garbleStatusRate`). */
  garbledStatuses: number;
  /** Status answers 302 (`redirectStatusRate`). */
  redirectedStatuses: number;
  /** Status answers padded to `oversizeStatusBytes`. */
  oversizedStatuses: number;
  /** Submits that created an execution and answered 200 padded to `oversizeSubmitBytes`. */
  oversizedSubmits: number;
  /** Submits answered with an earlier execution's id, creating none (`duplicateExecutionIdRate`). */
  duplicateIds: number;
}

/** Live counters of a fake server. */
export interface FakeStats {
  /** Requests received, by endpoint, over both hosts. */
  requests: FakeRequestCounts;
  /**
   * Requests by host, then endpoint. With `splitHosts` the host is the listener that received the request; with
   * one listener it is the host the endpoint belongs to at Vellum (execute and status: `predict`; deployment reads
   * and execution lists: `api`; anything unrouted: `predict`).
   */
  requestsByHost: { predict: FakeRequestCounts; api: FakeRequestCounts };
  /** Responses sent, by HTTP status code as a string (dropped and held submits have no response). */
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
  faultsInjected: FakeFaultCounts;
  /** Webhook deliveries: answered 2xx, dropped on purpose, sent twice, failed (refused or unreachable). */
  webhooks: WebhookStats;
}

/** Webhook counters of a fake server. */
export interface WebhookStats {
  sent: number;
  dropped: number;
  duplicated: number;
  failed: number;
}

/** Which of Vellum's two hosts a request reached (see {@link FakeStats.requestsByHost}). */
export type FakeHost = 'predict' | 'api';

/**
 * One answered request, as `onExchange` reports it: what the client sent and what the fake answered, so contract
 * tests can parse both with the official SDK's schemas.
 */
export interface FakeExchange {
  /** The host that answered (see {@link FakeStats.requestsByHost}). */
  host: FakeHost;
  method: string;
  /** The path without the query, e.g. `/v1/execute-workflow-async`. */
  path: string;
  /** The raw query string without `?` (`''` when none). */
  query: string;
  /** The request body parsed as JSON; the raw text when it is not JSON; `undefined` when there was none. */
  requestBody: unknown;
  status: number;
  /**
   * The response body parsed as JSON, as sent; the raw text when it is not JSON (a garbled answer); `undefined`
   * when empty. An `oversizeStatusBytes` or `oversizeSubmitBytes` answer is reported with its padding replaced by a
   * short marker.
   */
  responseBody: unknown;
  /** Set when the answer is an injected hostile fault, off-contract on purpose. */
  fault?: FakeHostileFault;
}

/** The hostile modes of {@link FaultOptions} whose answers an exchange reports (named after their option). */
export type FakeHostileFault =
  | 'garbleSubmitAfterAccept'
  | 'duplicateExecutionId'
  | 'garbleStatus'
  | 'redirectStatus'
  | 'oversizeStatus'
  | 'oversizeSubmit';
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
