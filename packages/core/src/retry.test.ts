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
import { defaultRetryPolicy, parseRetryAfter, retryDelayMs, shouldRetry, type RetryPolicy } from './retry.js';

const req = 'POST /v1/execute-workflow-async';

describe('shouldRetry', () => {
  it.each([
    ['429', new RateLimitError(429, 'slow down', req, null)],
    ['500', new ServerError(500, 'boom', req)],
    ['503', new ServerError(503, 'unavailable', req)],
    ['connection', new ConnectionError('refused')],
    ['timeout', new TimeoutError('timed out')],
  ])('retries %s while attempts remain', (_label, error) => {
    expect(shouldRetry(error, 0)).toBe(true);
    expect(shouldRetry(error, 4)).toBe(true);
    expect(shouldRetry(error, 5)).toBe(false);
  });

  it.each([
    ['400', new BadRequestError(400, 'bad', req)],
    ['403', new AuthenticationError(403, 'bad key', req)],
    ['404', new NotFoundError(404, 'unknown', req)],
    ['validation', new ResponseValidationError('bad body')],
    ['plain error', new Error('x')],
    ['non-error', 'oops'],
  ])('never retries %s', (_label, error) => {
    expect(shouldRetry(error, 0)).toBe(false);
  });

  it('follows the policy maxRetries', () => {
    const policy: RetryPolicy = { ...defaultRetryPolicy, maxRetries: 1 };
    expect(shouldRetry(new ServerError(502, '', req), 0, policy)).toBe(true);
    expect(shouldRetry(new ServerError(502, '', req), 1, policy)).toBe(false);
    expect(shouldRetry(new ServerError(502, '', req), 0, { ...policy, maxRetries: 0 })).toBe(false);
  });
});

describe('retryDelayMs', () => {
  const server = new ServerError(500, 'boom', req);

  it('uses full jitter over an exponential cap', () => {
    expect(retryDelayMs(server, 0, () => 0.5)).toBe(125);
    expect(retryDelayMs(server, 1, () => 0.5)).toBe(250);
    expect(retryDelayMs(server, 3, () => 0.999)).toBe(1998);
    expect(retryDelayMs(server, 3, () => 0)).toBe(0);
  });

  it('caps the backoff at maxDelayMs', () => {
    expect(retryDelayMs(server, 20, () => 0.5)).toBe(5000);
    expect(retryDelayMs(server, 3, () => 0.5, { ...defaultRetryPolicy, maxDelayMs: 100 })).toBe(50);
  });

  it('honours Retry-After on a 429, capped at maxRetryAfterMs', () => {
    expect(retryDelayMs(new RateLimitError(429, '', req, 2000), 0, () => 0)).toBe(2000);
    expect(retryDelayMs(new RateLimitError(429, '', req, 120_000), 0, () => 0)).toBe(30_000);
    expect(
      retryDelayMs(new RateLimitError(429, '', req, 120_000), 0, () => 0, {
        ...defaultRetryPolicy,
        maxRetryAfterMs: 500,
      }),
    ).toBe(500);
  });

  it('backs off on a 429 without Retry-After', () => {
    expect(retryDelayMs(new RateLimitError(429, '', req, null), 2, () => 0.25)).toBe(250);
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
