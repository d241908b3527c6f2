/**
 * One client call: a request sent, its answer checked, and retried by the policy of `retry.ts` until it succeeds,
 * its budget is spent or the caller aborts. A 429 waits under its own, long budget (`rateLimitBudgetMs`) and is told
 * to `onRetry` each time; every other failure counts against `maxRetries`.
 */
import type { ApiError } from '../errors.js';
import { ConnectionError, RateLimitError, ResponseValidationError, VellumBatchError } from '../errors.js';
import type { Clock } from '../internal/clock.js';
import { redact } from '../internal/redact.js';
import { rateLimitDelayMs, retryDelayMs, type RetryPolicy } from '../retry.js';
import { apiError } from './errors-map.js';
import type { Checked } from './schemas.js';
import type { Transport, WireAnswer, WireRequest } from './transport.js';
import type { ClientOperation, RetryInfo } from './types.js';

/** One call to make. */
export interface Call<T> {
  readonly operation: ClientOperation;
  readonly request: WireRequest;
  readonly check: (json: unknown) => Checked<T>;
  /** Whether a failure other than a 429 may be retried (the policy's `maxRetries` is checked apart). */
  readonly mayRetry: (error: VellumBatchError) => boolean;
  /** Refines an error answer (e.g. into an `ExternalIdConflictError`). */
  readonly refine?: (error: ApiError) => ApiError;
  /** Turns the error that ends the call into what is thrown. @default the error itself */
  readonly final?: (error: unknown) => unknown;
  /** The caller's own hook, told after the client's. */
  readonly onRetry?: ((info: RetryInfo) => void) | undefined;
}

/** What every call shares. */
export interface CallContext {
  readonly transport: Transport;
  readonly policy: RetryPolicy;
  readonly clock: Clock;
  readonly secrets: readonly string[];
  readonly onRetry: ((info: RetryInfo) => void) | undefined;
  /** Counts a request about to be sent. */
  readonly countRequest: (operation: ClientOperation, retry: boolean) => void;
  /** Counts a 429 answer. */
  readonly countRateLimit: () => void;
  readonly isClosed: () => boolean;
}

/** Makes the call; rejects with the signal's reason when it aborts, also during a retry sleep. */
export async function runCall<T>(ctx: CallContext, call: Call<T>): Promise<T> {
  const { request } = call;
  const signal = request.signal;
  let retries = 0;
  let failures = 0;
  let rateLimits = 0;
  let rateLimitWaitedMs = 0;
  for (;;) {
    if (signal?.aborted) throw signal.reason;
    if (ctx.isClosed()) throw new ConnectionError(`${request.label} was not sent: the client is closed.`);
    ctx.countRequest(call.operation, retries > 0);
    let error: unknown;
    try {
      return await attempt(ctx, call);
    } catch (caught) {
      if (signal?.aborted) throw signal.reason;
      error = caught;
    }
    const rateLimited = error instanceof RateLimitError;
    let delayMs: number | null = null;
    if (error instanceof RateLimitError) {
      ctx.countRateLimit();
      rateLimits++;
      delayMs = rateLimitDelayMs(error, rateLimits, rateLimitWaitedMs, () => ctx.clock.random(), ctx.policy);
      if (delayMs !== null) rateLimitWaitedMs += delayMs;
    } else if (
      error instanceof VellumBatchError &&
      failures < ctx.policy.maxRetries &&
      call.mayRetry(error)
    ) {
      failures++;
      delayMs = retryDelayMs(error, failures, () => ctx.clock.random(), ctx.policy);
    }
    if (delayMs === null || ctx.isClosed()) throw call.final ? call.final(error) : error;
    retries++;
    const info: RetryInfo = {
      operation: call.operation,
      attempt: retries,
      delayMs,
      error: error as VellumBatchError,
      rateLimited,
    };
    ctx.onRetry?.(info);
    call.onRetry?.(info);
    await ctx.clock.sleep(delayMs, signal);
  }
}

/** One request and its answer, checked; throws the typed error of anything else. */
async function attempt<T>(ctx: CallContext, call: Call<T>): Promise<T> {
  const answer: WireAnswer = await ctx.transport.send(call.request);
  const { status, text } = answer;
  const label = call.request.label;
  if (status >= 300 && status < 400) {
    throw new ResponseValidationError(
      `${label} answered ${status}, a redirect, which the client does not follow (is the base URL right?).`,
    );
  }
  if (status < 200 || status >= 300) {
    const error = apiError(status, text, label, answer.retryAfter, ctx.clock.now(), ctx.secrets);
    throw call.refine ? call.refine(error) : error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ResponseValidationError(`${label} answered ${status} with a body that is not JSON.`, { cause });
  }
  const checked = call.check(json);
  if (checked.ok) return checked.value;
  throw new ResponseValidationError(
    redact(`${label} answered ${status} with an unexpected body: ${checked.problem}`, ctx.secrets),
  );
}
