/**
 * The Vellum API client: the three calls vellum-batch needs, over one keep-alive undici pool,
 * with typed errors, response validation and the retry policy of `retry.ts`.
 */
import { STATUS_CODES } from 'node:http';
import { Pool, type Dispatcher } from 'undici';
import { z } from 'zod';
import {
  ApiError,
  AuthenticationError,
  BadRequestError,
  ConfigError,
  ConnectionError,
  NotFoundError,
  RateLimitError,
  ResponseValidationError,
  ServerError,
  TimeoutError,
  VellumBatchError,
} from './errors.js';
import { systemClock, type Clock } from './internal/clock.js';
import { redact } from './internal/redact.js';
import { defaultRetryPolicy, parseRetryAfter, retryDelayMs, shouldRetry, type RetryPolicy } from './retry.js';
import type { ExecutionStatus, WorkflowInput } from './types.js';

/** The base URL used when none is given. */
export const DEFAULT_BASE_URL = 'https://predict.vellum.ai';
/** The `X-API-Version` sent when none is given. */
export const DEFAULT_API_VERSION = '2025-07-30';

const USER_AGENT = 'vellum-batch/0.1.0';
const MAX_DETAIL_LENGTH = 500;

/** The client operation a request belongs to. */
export type ClientOperation = 'submit' | 'status' | 'events';

/** What {@link ClientOptions.onRetry} is told before each retry sleep. */
export interface RetryInfo {
  readonly operation: ClientOperation;
  /** The number of the retry about to be made: 1 for the first retry. */
  readonly attempt: number;
  /** How long the client sleeps before that retry. */
  readonly delayMs: number;
  /** The error that caused the retry. */
  readonly error: VellumBatchError;
}

/** Options of {@link createClient}. */
export interface ClientOptions {
  /** The Vellum API key, sent as `X-API-KEY` and redacted from every error message. */
  readonly apiKey: string;
  /**
   * The API base URL; may carry a path prefix and a trailing slash. Core never reads the environment:
   * the CLI passes `$VELLUM_BASE_URL`. @default 'https://predict.vellum.ai'
   */
  readonly baseUrl?: string;
  /** An undici dispatcher to send requests through instead of the client's own pool; `close()` leaves it open. */
  readonly dispatcher?: Dispatcher;
  /** Size of the client's own keep-alive pool (ignored with `dispatcher`). @default 64 */
  readonly connections?: number;
  /** Timeout of each request, applied to waiting for the response headers and to each gap in the body. @default 30_000 */
  readonly requestTimeoutMs?: number;
  /** Overrides of {@link defaultRetryPolicy}. @default defaultRetryPolicy */
  readonly retry?: Partial<RetryPolicy>;
  /** Time and randomness for backoff sleeps, jitter and `Retry-After` dates. @default systemClock */
  readonly clock?: Clock;
  /** Sent as `X-API-Version`. @default '2025-07-30' */
  readonly apiVersion?: string;
  /** Called before each retry sleep (for counting and logging); must not throw. */
  readonly onRetry?: (info: RetryInfo) => void;
}

/** A request to start one workflow execution. Give exactly one of the deployment name and id. */
export interface ExecuteWorkflowRequest {
  readonly inputs: readonly WorkflowInput[];
  readonly workflowDeploymentName?: string;
  readonly workflowDeploymentId?: string;
  /** @default the server's default, `LATEST` */
  readonly releaseTag?: string;
  /** Unique in the workspace; the server refuses a reused one. Makes the submit safe to retry. */
  readonly externalId?: string;
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/** The status of one execution, validated. */
export interface ExecutionStatusResponse {
  readonly execution_id: string;
  /** One of {@link ExecutionStatus}; unknown values are kept as they came. */
  readonly status: ExecutionStatus | (string & {});
  /** `{}` when the server sent none. */
  readonly outputs: Record<string, unknown>;
  /** `null` when the server sent none; a missing message is `''`, a missing code `'UNKNOWN'`. */
  readonly error: { message: string; code: string } | null;
  readonly execution_detail_url: string | null;
}

/** One execution as listed by the execution-events endpoint. */
export interface ExecutionEvent {
  /** The execution id. */
  readonly span_id: string;
  readonly external_id: string | null;
  readonly metadata: Readonly<Record<string, unknown>> | null;
  readonly deployment_id: string | null;
  readonly release_tag: string | null;
}

/** A workflow deployment as Vellum describes it. */
export interface WorkflowDeployment {
  readonly id: string;
  readonly name: string;
  readonly label: string;
}

/** A submit failed in a way that may have started the execution (TEMPORARY until the client rework lands). */
export class SubmitOutcomeUnknownError extends VellumBatchError {
  readonly externalId: string;
  constructor(message: string, externalId: string, options?: ErrorOptions) {
    super('SUBMIT_OUTCOME_UNKNOWN', message, options);
    this.externalId = externalId;
  }
}

/** Whether a submit error may have left an execution started. */
export function submitMayHaveStarted(error: unknown): boolean {
  return error instanceof SubmitOutcomeUnknownError || error instanceof ExternalIdConflictError;
}

/** One page of a deployment's executions, newest first. */
export interface ExecutionEventsPage {
  readonly count: number;
  readonly results: readonly ExecutionEvent[];
}

/** Per-call options. */
export interface RequestOptions {
  /** Aborts the call, also during a retry sleep; the call then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** Requests sent on the wire, retries included. */
export interface ClientStats {
  readonly submit: number;
  readonly status: number;
  readonly events: number;
  /** Of the requests above, how many were retries. */
  readonly retries: number;
}

/** A client of the Vellum API. Create it with {@link createClient}. */
export interface VellumClient {
  /**
   * Starts one workflow execution (`POST /v1/execute-workflow-async`).
   *
   * Retries 429, 5xx, connection errors and timeouts like every call. A submit is not idempotent on the wire,
   * so this is safe ONLY because the request carries an `externalId`: should a retried submit reach a server that
   * already started the first one, the server refuses the reused id with a 400, thrown as
   * {@link ExternalIdConflictError}, which the caller reconciles (e.g. through the execution-events list).
   * Without an `externalId` the submit is retried only where it cannot have reached the server
   * (429 and connection refused).
   */
  executeWorkflowAsync(
    req: ExecuteWorkflowRequest,
    options?: RequestOptions,
  ): Promise<{ execution_id: string }>;
  /** Fetches the status of an execution (`GET /v1/workflows/executions/{id}/status`). */
  getExecutionStatus(executionId: string, options?: RequestOptions): Promise<ExecutionStatusResponse>;
  /** Lists a deployment's executions, newest first (`GET /v1/workflow-deployments/{id}/execution-events`). */
  listExecutionEvents(
    deploymentId: string,
    page: { limit?: number; offset?: number; ordering?: string; externalId?: string },
    options?: RequestOptions,
  ): Promise<ExecutionEventsPage>;
  /** Reads a deployment (`GET /v1/workflow-deployments/{id or name}`). */
  getWorkflowDeployment(idOrName: string, options?: RequestOptions): Promise<WorkflowDeployment>;
  /** A snapshot of the request counters. */
  readonly stats: ClientStats;
  /** Closes the client's own pool (not a `dispatcher` it was given). Later calls reject. */
  close(): Promise<void>;
}

/** A 400 on submit because the `external_id` is already used: the execution was most likely started before. */
export class ExternalIdConflictError extends BadRequestError {
  override readonly code = 'external_id_conflict';
  /** The external id the server refused. */
  readonly externalId: string;
  constructor(status: number, detail: string, request: string, externalId: string) {
    super(status, detail, request);
    this.externalId = externalId;
  }
}

const submitSchema = z.object({ execution_id: z.string().min(1) });

const statusSchema = z.object({
  execution_id: z.string().min(1),
  status: z.string(),
  outputs: z
    .record(z.string(), z.unknown())
    .nullish()
    .transform((v) => v ?? {}),
  error: z
    .object({
      message: z
        .string()
        .nullish()
        .transform((v) => v ?? ''),
      code: z
        .string()
        .nullish()
        .transform((v) => v ?? 'UNKNOWN'),
    })
    .nullish()
    .transform((v) => v ?? null),
  execution_detail_url: z
    .string()
    .nullish()
    .transform((v) => v ?? null),
});

const eventsSchema = z.object({
  count: z.number(),
  results: z.array(
    z
      .object({
        span_id: z.string(),
        parent_context: z
          .looseObject({
            external_id: z.string().nullish(),
            metadata: z.record(z.string(), z.unknown()).nullish(),
            deployment_id: z.string().nullish(),
            release_tag_name: z.string().nullish(),
          })
          .nullish(),
      })
      .transform((r) => ({
        span_id: r.span_id,
        external_id: r.parent_context?.external_id ?? null,
        metadata: r.parent_context?.metadata ?? null,
        deployment_id: r.parent_context?.deployment_id ?? null,
        release_tag: r.parent_context?.release_tag_name ?? null,
      })),
  ),
});

const deploymentSchema = z.looseObject({ id: z.string(), name: z.string(), label: z.string() });

/** Network error codes that mean the request never left this machine: safe to retry even without an external id. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const CONNECTION_CODES = new Set([
  ...NOT_SENT_CODES,
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'UND_ERR_ABORTED',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

/** The `code` of a network error, looking into an AggregateError (happy-eyeballs connects) when needed. */
function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const innerCode = errorCode(inner);
      if (innerCode !== undefined) return innerCode;
    }
  }
  return undefined;
}

/** Whether a {@link ConnectionError} happened before anything was sent to the server. */
function neverSent(error: unknown): boolean {
  if (!(error instanceof ConnectionError)) return false;
  const code = errorCode(error.cause);
  return code !== undefined && NOT_SENT_CODES.has(code);
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

interface Call<S extends z.ZodType> {
  readonly operation: ClientOperation;
  readonly method: 'GET' | 'POST';
  /** Path under the base URL's prefix, without the query. */
  readonly path: string;
  readonly query?: string;
  readonly body?: string;
  readonly schema: S;
  readonly signal: AbortSignal | undefined;
  /** Replaces the default retry decision (`shouldRetry`). */
  readonly canRetry?: (error: VellumBatchError, attempt: number) => boolean;
  /** Refines a built error (e.g. into an {@link ExternalIdConflictError}). */
  readonly refineError?: (error: ApiError) => ApiError;
}

/**
 * Creates a Vellum API client. Nothing is connected until the first call.
 *
 * @throws ConfigError when the API key is empty, the base URL is not an http(s) URL, or a number option is invalid.
 */
export function createClient(options: ClientOptions): VellumClient {
  if (typeof options.apiKey !== 'string' || options.apiKey.trim() === '') {
    throw new ConfigError('The Vellum API key is empty.');
  }
  let base: URL;
  try {
    base = new URL(options.baseUrl ?? DEFAULT_BASE_URL);
  } catch {
    throw new ConfigError(`The base URL "${options.baseUrl ?? ''}" is not a valid URL.`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new ConfigError(`The base URL must be http or https, got ${base.protocol}`);
  }
  const connections = options.connections ?? 64;
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const policy: RetryPolicy = { ...defaultRetryPolicy, ...options.retry };
  checkNumber('connections', connections, 1, true);
  checkNumber('requestTimeoutMs', timeoutMs, 1, false);
  checkNumber('retry.maxRetries', policy.maxRetries, 0, true);
  checkNumber('retry.baseDelayMs', policy.baseDelayMs, 0, false);
  checkNumber('retry.maxDelayMs', policy.maxDelayMs, 0, false);
  checkNumber('retry.maxRetryAfterMs', policy.maxRetryAfterMs, 0, false);

  const origin = base.origin;
  const prefix = base.pathname.replace(/\/+$/, '');
  const clock = options.clock ?? systemClock;
  const secrets = [options.apiKey];
  const onRetry = options.onRetry;
  const dispatcher: Dispatcher = options.dispatcher ?? new Pool(origin, { connections, pipelining: 1 });
  // A dispatcher the caller passed is theirs to close.
  const ownPool = options.dispatcher === undefined ? dispatcher : undefined;
  const commonHeaders = {
    'x-api-key': options.apiKey,
    'x-api-version': options.apiVersion ?? DEFAULT_API_VERSION,
    accept: 'application/json',
    'user-agent': USER_AGENT,
  };
  const getHeaders = Object.freeze({ ...commonHeaders });
  const postHeaders = Object.freeze({ ...commonHeaders, 'content-type': 'application/json' });
  const counters = { submit: 0, status: 0, events: 0, retries: 0 };
  let closed = false;

  function apiError(status: number, text: string, request: string, retryAfter: string | undefined): ApiError {
    let detail = text.trim();
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed === 'object' && parsed !== null && 'detail' in parsed) {
        const raw = parsed.detail;
        detail = typeof raw === 'string' ? raw : JSON.stringify(raw);
      }
    } catch {
      // not JSON: keep the raw body
    }
    detail = redact(detail, secrets);
    if (detail.length > MAX_DETAIL_LENGTH) detail = `${detail.slice(0, MAX_DETAIL_LENGTH)}…`;
    if (detail === '') detail = STATUS_CODES[status] ?? 'no detail';
    if (status === 400) return new BadRequestError(status, detail, request);
    if (status === 401 || status === 403) return new AuthenticationError(status, detail, request);
    if (status === 404) return new NotFoundError(status, detail, request);
    if (status === 429)
      return new RateLimitError(status, detail, request, parseRetryAfter(retryAfter, clock.now()));
    if (status >= 500) return new ServerError(status, detail, request);
    return new ApiError(`http_${status}`, status, detail, request);
  }

  function networkError(error: unknown, request: string): VellumBatchError | undefined {
    const code = errorCode(error);
    const message = redact(error instanceof Error ? error.message : String(error), secrets);
    if (code !== undefined && TIMEOUT_CODES.has(code)) {
      return new TimeoutError(`${request} timed out after ${timeoutMs} ms (${code})`, { cause: error });
    }
    const isSystemError = typeof error === 'object' && error !== null && 'syscall' in error;
    if ((code !== undefined && CONNECTION_CODES.has(code)) || isSystemError) {
      return new ConnectionError(`${request} failed on the network: ${message}${code ? ` (${code})` : ''}`, {
        cause: error,
      });
    }
    return undefined;
  }

  async function once<S extends z.ZodType>(call: Call<S>, request: string): Promise<z.output<S>> {
    let status: number;
    let text: string;
    let retryAfter: string | undefined;
    try {
      const res = await dispatcher.request({
        origin,
        path: prefix + call.path + (call.query ?? ''),
        method: call.method,
        headers: call.method === 'POST' ? postHeaders : getHeaders,
        body: call.body ?? null,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        ...(call.signal ? { signal: call.signal } : {}),
      });
      status = res.statusCode;
      retryAfter = headerValue(res.headers['retry-after']);
      // Always read the whole body, also on errors, so the socket goes back to the pool.
      text = await res.body.text();
    } catch (error) {
      if (call.signal?.aborted) throw call.signal.reason;
      throw networkError(error, request) ?? error;
    }
    if (status < 200 || status >= 300) {
      const error = apiError(status, text, request, retryAfter);
      throw call.refineError ? call.refineError(error) : error;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new ResponseValidationError(`${request} answered ${status} with a body that is not JSON.`, {
        cause: error,
      });
    }
    const result = call.schema.safeParse(json);
    if (!result.success) {
      const issues = result.error.issues
        .slice(0, 3)
        .map((issue) => `${formatPath(issue.path)}: ${issue.message}`)
        .join('; ');
      throw new ResponseValidationError(
        redact(`${request} answered ${status} with an unexpected body: ${issues}`, secrets),
      );
    }
    return result.data;
  }

  async function run<S extends z.ZodType>(call: Call<S>): Promise<z.output<S>> {
    const request = `${call.method} ${prefix}${call.path}`;
    const canRetry = call.canRetry ?? ((error, attempt) => shouldRetry(error, attempt, policy));
    for (let attempt = 0; ; attempt++) {
      if (call.signal?.aborted) throw call.signal.reason;
      if (closed) throw new ConnectionError(`${request} was not sent: the client is closed.`);
      counters[call.operation]++;
      if (attempt > 0) counters.retries++;
      try {
        return await once(call, request);
      } catch (error) {
        if (call.signal?.aborted) throw call.signal.reason;
        if (closed || !(error instanceof VellumBatchError) || !canRetry(error, attempt)) throw error;
        const delayMs = retryDelayMs(error, attempt, () => clock.random(), policy);
        onRetry?.({ operation: call.operation, attempt: attempt + 1, delayMs, error });
        await clock.sleep(delayMs, call.signal);
      }
    }
  }

  return {
    executeWorkflowAsync(req, opts) {
      const byName = req.workflowDeploymentName !== undefined;
      const byId = req.workflowDeploymentId !== undefined;
      if (byName === byId) {
        return Promise.reject(
          new ConfigError('Give exactly one of workflowDeploymentName and workflowDeploymentId.'),
        );
      }
      const body: Record<string, unknown> = {
        inputs: req.inputs.map((input) => ({ name: input.name, type: input.type, value: input.value })),
      };
      if (byName) body['workflow_deployment_name'] = req.workflowDeploymentName;
      else body['workflow_deployment_id'] = req.workflowDeploymentId;
      if (req.releaseTag !== undefined) body['release_tag'] = req.releaseTag;
      if (req.externalId !== undefined) body['external_id'] = req.externalId;
      if (req.metadata !== undefined) body['metadata'] = req.metadata;
      const externalId = req.externalId;
      return run({
        operation: 'submit',
        method: 'POST',
        path: '/v1/execute-workflow-async',
        body: JSON.stringify(body),
        schema: submitSchema,
        signal: opts?.signal,
        ...(externalId === undefined
          ? {
              // Without an external id a duplicate cannot be detected: retry only what never reached the server.
              canRetry: (error: VellumBatchError, attempt: number) =>
                (error instanceof RateLimitError || neverSent(error)) && shouldRetry(error, attempt, policy),
            }
          : {
              refineError: (error: ApiError) =>
                error instanceof BadRequestError && /external[_ ]id/i.test(error.detail)
                  ? new ExternalIdConflictError(error.status, error.detail, error.request, externalId)
                  : error,
            }),
      });
    },

    getExecutionStatus(executionId, opts) {
      return run({
        operation: 'status',
        method: 'GET',
        path: `/v1/workflows/executions/${encodeURIComponent(executionId)}/status`,
        schema: statusSchema,
        signal: opts?.signal,
      });
    },

    getWorkflowDeployment(idOrName, opts) {
      return run({
        operation: 'events',
        method: 'GET',
        path: `/v1/workflow-deployments/${encodeURIComponent(idOrName)}`,
        schema: deploymentSchema,
        signal: opts?.signal,
      }).then((d) => ({ id: d.id, name: d.name, label: d.label }));
    },

    listExecutionEvents(deploymentIdOrName, page, opts) {
      const params = new URLSearchParams();
      if (page.limit !== undefined) params.set('limit', String(page.limit));
      if (page.offset !== undefined) params.set('offset', String(page.offset));
      if (page.ordering !== undefined) params.set('ordering', page.ordering);
      const query = params.size > 0 ? `?${params.toString()}` : '';
      return run({
        operation: 'events',
        method: 'GET',
        path: `/v1/workflow-deployments/${encodeURIComponent(deploymentIdOrName)}/execution-events`,
        query,
        schema: eventsSchema,
        signal: opts?.signal,
      });
    },

    get stats(): ClientStats {
      return { ...counters };
    },

    async close() {
      if (closed) return;
      closed = true;
      await ownPool?.close();
    },
  };
}

function checkNumber(name: string, value: number, min: number, integer: boolean): void {
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    const what = integer ? 'an integer' : 'a number';
    throw new ConfigError(`The client option ${name} must be ${what} >= ${min}, got ${value}.`);
  }
}
