/** Time and randomness, injectable so that tests of polling and retries run on fake time. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms` milliseconds, or rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Calls `callback` after `ms` milliseconds; the returned function cancels it. Cheaper than `sleep` on hot paths. */
  setTimer(ms: number, callback: () => void): () => void;
  /** A number in [0, 1). */
  random(): number;
}

/** The longest delay one `setTimeout` holds (2^31 - 1 ms, about 24.8 days); longer ones are chained. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Calls `callback` after `ms` (any length: a delay past {@link MAX_TIMEOUT_MS} is waited in steps). */
function longTimer(ms: number, callback: () => void): () => void {
  let timer: NodeJS.Timeout;
  let cancelled = false;
  const due = Date.now() + Math.max(0, ms);
  const arm = (): void => {
    const left = due - Date.now();
    timer = setTimeout(
      () => {
        if (cancelled) return;
        if (due - Date.now() > 0 && left > MAX_TIMEOUT_MS) arm();
        else callback();
      },
      Math.min(Math.max(0, left), MAX_TIMEOUT_MS),
    );
  };
  arm();
  return () => {
    cancelled = true;
    clearTimeout(timer);
  };
}

/** The real clock: `Date.now`, timers (long delays chained, never overflowing to 1 ms) and `Math.random`. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const onAbort = (): void => {
        cancel();
        reject(signal?.reason as Error);
      };
      const cancel = longTimer(ms, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
  setTimer: (ms, callback) => longTimer(ms, callback),
  random: () => Math.random(),
};
