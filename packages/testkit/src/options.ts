/** Options of the fake Vellum server and the handle it returns. */
import type { FakeExchange, FakeExecution, FakeExecutionRequest, FakeStats, Responder } from './types.js';

/**
 * Fault injection settings (see {@link FakeHostileFault} for how `onExchange` marks the hostile answers). Every rate is a share in [0, 1], drawn from one PRNG seeded by the server's `seed`
 * (a rate of 0 draws nothing, so adding a fault never shifts the draws of the others). Each injected fault is
 * counted in `stats.faultsInjected`. The last seven are hostile-server modes: answers no well-behaved Vellum gives,
 * for proving a client survives them.
 */
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
  /**
   * Share of valid submits where the execution is created, then the answer is `200` with a broken body, rotating
   * through: JSON cut short, not JSON at all (an HTML page), and JSON of the wrong shape (`{"id": …}`).
   * Counted as `garbledSubmits`.
   * @default 0
   */
  garbleSubmitAfterAcceptRate: number;
  /**
   * Share of valid submits where the execution is created, then the response is held open and never sent (the
   * socket is closed only by `close()`), so the client's own timeout must fire. Counted as `heldSubmits`.
   * @default 0
   */
  submitTimeoutAfterAcceptRate: number;
  /**
   * Share of status requests (for a known execution) answered `200` with a broken body, rotating through: JSON cut
   * short, and JSON of the wrong shape (`{"status": 42}` without `execution_id`). Counted as `garbledStatuses`.
   * @default 0
   */
  garbleStatusRate: number;
  /**
   * Share of status requests (for a known execution) answered `302` to a path the fake answers 404
   * (`/v1/redirected-nowhere`, on the same loopback listener: no network). Counted as `redirectedStatuses`.
   * @default 0
   */
  redirectStatusRate: number;
  /**
   * When > 0, every status answer for a known execution is padded to at least this many bytes with an output
   * `fake_padding` holding a long string (streamed, never held in memory whole). In rotation, one answer declares its
   * `content-length` and the next is sent chunked without one, so a client must count the bytes itself. Counted as
   * `oversizedStatuses`.
   * @default 0
   */
  oversizeStatusBytes: number;
  /**
   * When > 0, every valid submit that no other fault took creates the execution, then answers `200` padded to at least
   * this many bytes (`{"execution_id": …, "fake_padding": "xxx…"}`, streamed; `content-length` declared and not, in
   * rotation, as `oversizeStatusBytes`). Counted as `oversizedSubmits`.
   * @default 0
   */
  oversizeSubmitBytes: number;
  /**
   * Share of valid submits answered `200` with the execution id of an EARLIER execution (picked at random),
   * creating none: a broken server. Needs at least one earlier execution; otherwise the submit is served normally.
   * Counted as `duplicateIds`.
   * @default 0
   */
  duplicateExecutionIdRate: number;
}

/** A deployment the fake knows. */
export interface FakeDeployment {
  readonly name: string;
  /** @default a stable uuid-like string derived from the name ({@link fakeDeploymentId}) */
  readonly id?: string;
}

/**
 * Webhook deliveries of the fake, with faults. Rates are shares in [0, 1]; all default to 0. Authentication as
 * Vellum's Monitoring Integration offers it: an API-key header and/or a bearer token the user sets, and optional
 * HMAC signing; any combination may be configured (none at all: unauthenticated deliveries).
 */
export interface WebhookOptions {
  /** Where deliveries are POSTed (the URL the signature covers). */
  url: string;
  /**
   * The HMAC signing token: each delivery carries `X-Vellum-Timestamp` and `X-Vellum-Signature` (hex HMAC-SHA256
   * of `"{timestamp}\nPOST\n{url}\n{body}"`). Absent: no signature headers.
   */
  secret?: string;
  /** Sent as `Authorization: Bearer <token>` (Vellum's "Bearer Token" authentication). */
  bearerToken?: string;
  /** Sent as the header `name: value` (Vellum's "API Key Header" authentication). */
  apiKeyHeader?: { name: string; value: string };
  /** Share of finishes never delivered. */
  dropRate?: number;
  /** Share of finishes delivered twice (each with the same event id). */
  duplicateRate?: number;
  /** Share of deliveries with wrong credentials: signed with a wrong secret, a wrong token and a wrong API key. */
  badSignatureRate?: number;
  /** Delay before each delivery, in ms: fixed or uniform in `[min, max]`. @default 0 */
  delayMs?: number | { min: number; max: number };
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
   * The most results one execution-list page holds, whatever `limit` asks (Vellum's own cap is not documented).
   * @default 100
   */
  maxPageSize?: number;
  /**
   * Whether the execution list shows executions still queued (`PENDING`). `false` leaves them out until they
   * start, as Vellum may (a queued execution may not be listed yet).
   * @default true
   */
  listQueued?: boolean;
  /**
   * `true`: the execution list ignores `filters` (a server that does not honour them), answering every execution.
   * @default false
   */
  ignoreFilters?: boolean;
  /**
   * `true`: two listeners, as Vellum's two hosts. `predictUrl` serves only execute and status, `apiUrl` only
   * deployment reads and execution lists; anything else answers 404 `{"detail":"Not found."}`.
   * `false`: one listener serves everything and `url === predictUrl === apiUrl`.
   * @default false
   */
  splitHosts?: boolean;
  /**
   * Called for every answered request (not for dropped or held ones) right after the answer is written, with what
   * was sent and answered. An exception thrown here is rethrown outside the server, so a test sees it.
   */
  onExchange?: (exchange: FakeExchange) => void;
  /**
   * Interface to listen on.
   * @default '127.0.0.1'
   */
  host?: string;
  /**
   * Port of the predict listener (the only one without `splitHosts`); 0 picks a free one. The api listener of
   * `splitHosts` always takes a free port.
   * @default 0
   */
  port?: number;
}

/** A running fake Vellum server. */
export interface FakeVellum {
  /** Base URL, e.g. `http://127.0.0.1:43123`; endpoints live under `/v1/...`. Equals {@link predictUrl}. */
  readonly url: string;
  /** The predict host's base URL (execute, status). */
  readonly predictUrl: string;
  /** The api host's base URL (deployment reads, execution lists); equals `predictUrl` without `splitHosts`. */
  readonly apiUrl: string;
  /** Port of the predict listener. */
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
  /** Closes every listener and socket (held submits included), clears timers. Idempotent. */
  close(): Promise<void>;
}
