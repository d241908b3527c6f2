import { describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  BadRequestError,
  ConnectionError,
  NotFoundError,
  RateLimitError,
  ResponseValidationError,
  ServerError,
  TimeoutError,
} from './errors.js';
import {
  defaultRetryPolicy,
  parseRetryAfter,
  rateLimitDelayMs,
  retryDelayMs,
  shouldRetry,
  type RetryPolicy,
} from './retry.js';

const req = 'POST /v1/execute-workflow-async';

describe('shouldRetry', () => {
  it.each([
    ['500', new ServerError(500, 'boom', req)],
    ['503', new ServerError(503, 'unavailable', req)],
    ['connection', new ConnectionError('refused')],
    ['timeout', new TimeoutError('timed out')],
  ])('retries %s while attempts remain (attempt is 1-based: 1 is the first retry)', (_label, error) => {
    expect(shouldRetry(error, 1)).toBe(true);
    expect(shouldRetry(error, 5)).toBe(true);
    expect(shouldRetry(error, 6)).toBe(false);
  });

  it('leaves a 429 to the rate-limit budget', () => {
    expect(shouldRetry(new RateLimitError(429, 'slow down', req, null), 1)).toBe(false);
  });

  it.each([
    ['400', new BadRequestError(400, 'bad', req)],
    ['403', new AuthenticationError(403, 'bad key', req)],
    ['404', new NotFoundError(404, 'unknown', req)],
    ['validation', new ResponseValidationError('bad body')],
    ['plain error', new Error('x')],
    ['non-error', 'oops'],
  ])('never retries %s', (_label, error) => {
    expect(shouldRetry(error, 1)).toBe(false);
  });

  it('follows the policy maxRetries', () => {
    const policy: RetryPolicy = { ...defaultRetryPolicy, maxRetries: 1 };
    expect(shouldRetry(new ServerError(502, '', req), 1, policy)).toBe(true);
    expect(shouldRetry(new ServerError(502, '', req), 2, policy)).toBe(false);
    expect(shouldRetry(new ServerError(502, '', req), 1, { ...policy, maxRetries: 0 })).toBe(false);
  });
});

describe('retryDelayMs', () => {
  const server = new ServerError(500, 'boom', req);

  it('uses full jitter over an exponential cap', () => {
    expect(retryDelayMs(server, 1, () => 0.5)).toBe(125);
    expect(retryDelayMs(server, 2, () => 0.5)).toBe(250);
    expect(retryDelayMs(server, 4, () => 0.999)).toBe(1998);
    expect(retryDelayMs(server, 4, () => 0)).toBe(0);
  });

  it('caps the backoff at maxDelayMs', () => {
    expect(retryDelayMs(server, 20, () => 0.5)).toBe(5000);
    expect(retryDelayMs(server, 4, () => 0.5, { ...defaultRetryPolicy, maxDelayMs: 100 })).toBe(50);
  });

  it('honours Retry-After on a 429, capped at maxRetryAfterMs', () => {
    expect(retryDelayMs(new RateLimitError(429, '', req, 2000), 1, () => 0)).toBe(2000);
    expect(retryDelayMs(new RateLimitError(429, '', req, 120_000), 1, () => 0)).toBe(30_000);
    expect(
      retryDelayMs(new RateLimitError(429, '', req, 120_000), 1, () => 0, {
        ...defaultRetryPolicy,
        maxRetryAfterMs: 500,
      }),
    ).toBe(500);
  });

  it('backs off on a 429 without Retry-After', () => {
    expect(retryDelayMs(new RateLimitError(429, '', req, null), 3, () => 0.25)).toBe(250);
  });
});

describe('rateLimitDelayMs', () => {
  const limited = (retryAfterMs: number | null) => new RateLimitError(429, 'slow down', req, retryAfterMs);

  it('waits Retry-After (or the backoff) however many 429s came, while the budget lasts', () => {
    expect(rateLimitDelayMs(limited(2000), 1, 0, () => 0)).toBe(2000);
    // The 50th 429 of one request is still retried: 429s do not use maxRetries.
    expect(rateLimitDelayMs(limited(2000), 50, 100_000, () => 0)).toBe(2000);
    expect(rateLimitDelayMs(limited(null), 30, 0, () => 0.5)).toBe(5000);
  });

  it('cuts the last wait to what is left of the budget, then gives up', () => {
    const policy: RetryPolicy = { ...defaultRetryPolicy, rateLimitBudgetMs: 10_000 };
    expect(rateLimitDelayMs(limited(4000), 3, 8000, () => 0, policy)).toBe(2000);
    expect(rateLimitDelayMs(limited(4000), 4, 10_000, () => 0, policy)).toBeNull();
    expect(defaultRetryPolicy.rateLimitBudgetMs).toBe(600_000);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2026, 10, 28, 10, 0, 0);

  it('parses delta seconds, also fractional', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('1.5', now)).toBe(1500);
  });

  it('parses an HTTP date relative to now', () => {
    expect(parseRetryAfter('Sat, 28 Nov 2026 10:00:07 GMT', now)).toBe(7000);
  });

  it('never returns a negative delay for a past date', () => {
    expect(parseRetryAfter('Sat, 28 Nov 2026 09:59:00 GMT', now)).toBe(0);
  });

  it.each([null, undefined, '', '   ', '-1', 'soon', '1e3', '12abc', 'Monday-ish'])(
    'gives null for %j',
    (value) => {
      expect(parseRetryAfter(value, now)).toBeNull();
    },
  );
});
