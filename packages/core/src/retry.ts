/**
 * The retry policy of the API client, as pure functions: which errors are retried and how long to wait.
 * Every `attempt` here is 1-based: the number of the retry about to be made (1 for the first retry).
 */
import { ConnectionError, RateLimitError, ServerError, TimeoutError } from './errors.js';

/** How often and how patiently a failed request is retried. */
export interface RetryPolicy {
  /** Most retries after the first attempt for 5xx, network faults and timeouts (429s have their own budget). @default 5 */
  readonly maxRetries: number;
  /** Backoff base: the cap of the first retry's delay, doubled for each later one. @default 250 */
  readonly baseDelayMs: number;
  /** Cap of the exponential backoff delay. @default 10_000 */
  readonly maxDelayMs: number;
  /** Cap on an honoured `Retry-After`. @default 30_000 */
  readonly maxRetryAfterMs: number;
  /**
   * How long one request may spend waiting on 429 answers in all, in milliseconds, before the last 429 is thrown.
   * Rate limiting slows a request down; it does not use up {@link RetryPolicy.maxRetries}. @default 600_000 (10 minutes)
   */
  readonly rateLimitBudgetMs: number;
}

/** The policy used where none (or only part of one) is given. */
export const defaultRetryPolicy: RetryPolicy = Object.freeze({
  maxRetries: 5,
  baseDelayMs: 250,
  maxDelayMs: 10_000,
  maxRetryAfterMs: 30_000,
  rateLimitBudgetMs: 600_000,
});

/**
 * Whether a failed request should be tried again under the normal budget.
 *
 * True for {@link ServerError} (5xx), {@link ConnectionError} and {@link TimeoutError} while
 * `attempt <= policy.maxRetries`; false for every other error. A {@link RateLimitError} (429) is false here: it is
 * retried under its own budget, see {@link rateLimitDelayMs}.
 *
 * @param attempt - the number of the retry about to be made: 1 for the first retry.
 * @param policy - @default defaultRetryPolicy
 */
export function shouldRetry(
  error: unknown,
  attempt: number,
  policy: RetryPolicy = defaultRetryPolicy,
): boolean {
  if (attempt > policy.maxRetries) return false;
  return error instanceof ServerError || error instanceof ConnectionError || error instanceof TimeoutError;
}

/**
 * The delay before retry number `attempt` (1-based), in milliseconds.
 *
 * A {@link RateLimitError} that carries a `Retry-After` waits that long, capped at `maxRetryAfterMs`.
 * Anything else waits an exponential backoff with full jitter:
 * `random() * min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1))`, rounded down.
 *
 * @param random - a number in [0, 1), e.g. `Math.random` or a test's fixed value.
 * @param policy - @default defaultRetryPolicy
 */
export function retryDelayMs(
  error: unknown,
  attempt: number,
  random: () => number,
  policy: RetryPolicy = defaultRetryPolicy,
): number {
  if (error instanceof RateLimitError && error.retryAfterMs !== null) {
    return Math.min(Math.max(0, error.retryAfterMs), policy.maxRetryAfterMs);
  }
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * cap);
}

/**
 * The delay before retrying a request after its `attempt`-th 429 (1-based), or null when the request has already
 * waited its whole `rateLimitBudgetMs` on 429s. The delay is {@link retryDelayMs}'s, cut to what is left of the budget.
 *
 * @param waitedMs - what this request has already slept on 429s.
 * @param policy - @default defaultRetryPolicy
 */
export function rateLimitDelayMs(
  error: RateLimitError,
  attempt: number,
  waitedMs: number,
  random: () => number,
  policy: RetryPolicy = defaultRetryPolicy,
): number | null {
  const left = policy.rateLimitBudgetMs - waitedMs;
  if (left <= 0) return null;
  return Math.min(retryDelayMs(error, attempt, random, policy), left);
}

const DELTA_SECONDS = /^\d+(?:\.\d+)?$/;

/**
 * Parses a `Retry-After` header value into milliseconds.
 *
 * Accepts delta seconds (possibly fractional, e.g. `"1.5"`) or an HTTP date, which is taken relative to `now`
 * (milliseconds since the epoch). Never negative: a date in the past gives 0.
 *
 * @returns the delay in milliseconds, or `null` when the value is absent or not understood.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | null {
  if (value === null || value === undefined) return null;
  const text = value.trim();
  if (text === '') return null;
  if (DELTA_SECONDS.test(text)) {
    const ms = Math.ceil(Number(text) * 1000);
    return Number.isFinite(ms) ? ms : null;
  }
  // An HTTP date always names a day or month; this keeps `Date.parse` from reading bare numbers as years.
  if (!/[a-z]/i.test(text)) return null;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}
