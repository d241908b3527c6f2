import { describe, expect, it } from 'vitest';
import { RateLimitError, ServerError } from '../errors.js';
import { createRetryLogger } from './retry-log.js';
import type { RetryInfo } from './types.js';

const server = new ServerError(503, 'down', 'GET /v1/workflows/executions/e1/status');
const limited = new RateLimitError(429, 'slow down', 'POST /v1/execute-workflow-async', null);
const retry = (attempt: number, error = server): RetryInfo => ({
  operation: error === server ? 'status' : 'submit',
  attempt,
  delayMs: 250.4,
  error,
  rateLimited: error instanceof RateLimitError,
});

describe('createRetryLogger', () => {
  it('logs the first retry of a request (attempt 1) and every fifth after it', () => {
    const lines: string[] = [];
    const log = createRetryLogger((line) => lines.push(line));
    for (let attempt = 1; attempt <= 10; attempt++) log(retry(attempt));
    expect(lines).toEqual([
      'retrying status in 250 ms (retry 1): GET /v1/workflows/executions/e1/status answered 503: down',
      'retrying status in 250 ms (retry 5): GET /v1/workflows/executions/e1/status answered 503: down',
      'retrying status in 250 ms (retry 10): GET /v1/workflows/executions/e1/status answered 503: down',
    ]);
  });

  it('sums up 429s in at most one line per interval', () => {
    let now = 0;
    const lines: string[] = [];
    const log = createRetryLogger((line) => lines.push(line), {
      rateLimitIntervalMs: 10_000,
      clock: { now: () => now },
    });
    for (let i = 0; i < 40; i++) {
      log(retry(1, limited));
      now += 500;
    }
    expect(lines).toEqual([
      'rate limited on submit: waiting 250 ms before retrying: POST /v1/execute-workflow-async answered 429: slow down',
      'rate limited on submit: waiting 250 ms before retrying (20 answers 429 since the last line): POST /v1/execute-workflow-async answered 429: slow down',
    ]);
  });
});
