/**
 * The one retry logger the CLI and the action share: an `onRetry` that writes a line for the first retry of a request
 * and every `every`-th after it, and sums up 429s (which can come by the hundred) in at most one line per interval.
 */
import { systemClock, type Clock } from '../internal/clock.js';
import type { RetryInfo } from './types.js';

/** Options of {@link createRetryLogger}. */
export interface RetryLoggerOptions {
  /** Besides the first retry of a request, log every `every`-th. @default 5 */
  readonly every?: number;
  /** Shortest time between two lines about 429s, in milliseconds. @default 10_000 */
  readonly rateLimitIntervalMs?: number;
  /** Only `now()` is read. @default systemClock */
  readonly clock?: Pick<Clock, 'now'>;
}

/** Returns an `onRetry` for {@link createClient} that writes one-line messages through `write` (no newline added). */
export function createRetryLogger(
  write: (line: string) => void,
  options: RetryLoggerOptions = {},
): (info: RetryInfo) => void {
  const every = options.every ?? 5;
  const interval = options.rateLimitIntervalMs ?? 10_000;
  const clock = options.clock ?? systemClock;
  let lastRateLimitLine = Number.NEGATIVE_INFINITY;
  let unreported = 0;
  return (info) => {
    const wait = `${Math.round(info.delayMs)} ms`;
    if (info.rateLimited) {
      unreported++;
      const now = clock.now();
      if (now - lastRateLimitLine < interval) return;
      const more = unreported > 1 ? ` (${unreported} answers 429 since the last line)` : '';
      write(
        `rate limited on ${info.operation}: waiting ${wait} before retrying${more}: ${info.error.message}`,
      );
      lastRateLimitLine = now;
      unreported = 0;
      return;
    }
    if (info.attempt === 1 || info.attempt % every === 0) {
      write(`retrying ${info.operation} in ${wait} (retry ${info.attempt}): ${info.error.message}`);
    }
  };
}
