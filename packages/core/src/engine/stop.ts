/**
 * The stop policy of a run: the one writer of "is the run stopping, and why". A stop comes from the caller's signal
 * (interrupted), the run deadline, or a fatal fault seen by a case (bad key, unknown deployment, exhausted quota, a
 * server that cannot be reached, an out dir that cannot be written). Once stopping, nothing new is submitted and every
 * wait is woken.
 */
import { setMaxListeners } from 'node:events';
import { AuthenticationError, NotFoundError } from '../errors.js';
import type { Clock } from '../internal/clock.js';
import type { StopReason } from './options.js';

/** Why and how the run stops. */
export interface Stopping {
  readonly reason: StopReason;
  readonly message: string;
}

/** Options of {@link StopControl}. */
export interface StopControlOptions {
  readonly clock: Clock;
  readonly signal?: AbortSignal | undefined;
  readonly timeoutMs?: number | undefined;
  /** Consecutive quota rejections that stop the run. */
  readonly quotaBreakerThreshold: number;
  /** Called once, when the stop is decided. */
  readonly onStop: (stop: Stopping) => void;
}

/** Consecutive cases whose every request failed to reach the server before the run stops as fatal. */
export const UNREACHABLE_CASES = 3;

/** Holds the run's stop state; see the module comment. */
export class StopControl {
  readonly #options: StopControlOptions;
  readonly #controller = new AbortController();
  readonly #deadline = new AbortController();
  #stopping: Stopping | null = null;
  #quotaRejections = 0;
  #unreachable = 0;
  /** When a request last reached the server (the run's start until one does). */
  #reachedAt: number;
  readonly #onAbort: () => void;
  readonly #over = new AbortController();
  #background: AbortSignal | null = null;

  constructor(options: StopControlOptions) {
    this.#options = options;
    this.#reachedAt = options.clock.now();
    // Every waiting case and every request in the air listens on the stop signal.
    setMaxListeners(0, this.#controller.signal);
    this.#onAbort = () => this.request('interrupted', 'the run was interrupted');
  }

  /** Starts listening to the caller's signal and the run deadline. */
  arm(): void {
    const { signal, timeoutMs, clock } = this.#options;
    if (signal?.aborted) this.#onAbort();
    signal?.addEventListener('abort', this.#onAbort, { once: true });
    if (timeoutMs !== undefined) {
      clock.sleep(timeoutMs, this.#deadline.signal).then(
        () => this.request('deadline', `the run deadline of ${formatSeconds(timeoutMs)} was reached`),
        () => undefined,
      );
    }
  }

  /** Stops listening (the run is over); background loops sleeping on {@link StopControl.background} end. */
  disarm(): void {
    this.#deadline.abort();
    this.#over.abort(new Error('the run is over'));
    this.#options.signal?.removeEventListener('abort', this.#onAbort);
  }

  /** The stop, once decided; null while the run goes on. */
  get stopping(): Stopping | null {
    return this.#stopping;
  }

  /** Aborted when the run stops: pass it to requests and sleeps. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Aborted when the run stops or is over: the sleeps of loops that outlive no run (discovery, the queue probe). */
  get background(): AbortSignal {
    return (this.#background ??= AbortSignal.any([this.#controller.signal, this.#over.signal]));
  }

  /** Decides the stop (the first call wins). */
  request(reason: StopReason, message: string): void {
    if (this.#stopping !== null) return;
    this.#stopping = { reason, message };
    this.#options.onStop(this.#stopping);
    this.#controller.abort(new Error(message));
  }

  /**
   * Counts an execution's end for the quota breaker: consecutive rejections for an exhausted provider quota mean the
   * rest of the set would burn the same way.
   */
  noteOutcome(errorCode: string | null): void {
    if (errorCode === null || !/QUOTA/i.test(errorCode)) {
      this.#quotaRejections = 0;
      return;
    }
    this.#quotaRejections += 1;
    if (this.#quotaRejections >= this.#options.quotaBreakerThreshold) {
      this.request(
        'fatal',
        `${this.#quotaRejections} executions in a row were rejected with ${errorCode}: the provider quota looks exhausted`,
      );
    }
  }

  /** A request reached the server: the unreachable breaker starts over. */
  noteReached(): void {
    this.#unreachable = 0;
    this.#reachedAt = this.#options.clock.now();
  }

  /** A case gave up because no request reached the server (after the client's retries): maybe stop the run. */
  noteUnreachable(message: string): void {
    this.#unreachable += 1;
    if (this.#unreachable >= UNREACHABLE_CASES) {
      const silentMs = this.#options.clock.now() - this.#reachedAt;
      this.request('fatal', unreachableMessage(this.#unreachable, silentMs, message));
    }
  }
}

function formatSeconds(ms: number): string {
  return ms >= 60_000 && ms % 60_000 === 0 ? `${ms / 60_000}m` : `${Math.round(ms / 1000)}s`;
}

/**
 * The sentence a run stops with when Vellum went away: how long nothing reached it, how many requests failed in a row
 * (each after the client's own retries), and the last failure, which names the address and the network error.
 */
export function unreachableMessage(failures: number, silentMs: number, last: string): string {
  const span = silentMs < 1000 ? 'under 1s' : formatSeconds(silentMs);
  return `Vellum could not be reached for ${span}: ${failures} requests in a row failed, each after its retries (last: ${last})`;
}

/** The sentence a run stops with after a fatal API error (a bad key anywhere, an unknown deployment on submit). */
export function fatalMessage(error: unknown): string {
  if (error instanceof AuthenticationError) {
    return `Vellum refused the API key (${error.status}: ${error.detail}); check the key and its workspace`;
  }
  if (error instanceof NotFoundError) {
    return `Vellum does not know this workflow deployment (${error.status}: ${error.detail}); check the name or id and the release tag`;
  }
  return error instanceof Error ? error.message : String(error);
}
