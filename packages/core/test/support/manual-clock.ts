/**
 * A clock that moves only when told: timers fire in due order as the test advances virtual time, so engine timing is
 * tested exactly, whatever the machine's load. `drive(promise)` advances to the next timer whenever the program is
 * idle (no pending I/O callbacks or microtasks) until the promise settles.
 */
import type { Clock } from '../../src/internal/clock.js';

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly fire: () => void;
  cancelled: boolean;
}

/** See the module comment. */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  /** Timers set or cancelled so far: the program is idle when it stays the same over a few event-loop turns. */
  #activity = 0;
  readonly #timers: Timer[] = [];
  #random: () => number;

  constructor(start = Date.UTC(2026, 11, 1), seed = 7) {
    this.#now = start;
    let state = seed >>> 0;
    this.#random = () => {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  now(): number {
    return this.#now;
  }

  random(): number {
    return this.#random();
  }

  setTimer(ms: number, callback: () => void): () => void {
    const timer: Timer = {
      at: this.#now + Math.max(0, ms),
      seq: this.#seq++,
      fire: callback,
      cancelled: false,
    };
    this.#timers.push(timer);
    return () => {
      if (!timer.cancelled) this.#activity += 1;
      timer.cancelled = true;
    };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const onAbort = (): void => {
        cancel();
        reject(signal?.reason as Error);
      };
      const cancel = this.setTimer(ms, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Pending (not cancelled) timers. */
  get pending(): number {
    return this.#timers.filter((t) => !t.cancelled).length;
  }

  /** Fires every timer due at the earliest pending time, after moving the clock there; false when none is pending. */
  step(): boolean {
    let next: Timer | undefined;
    for (const t of this.#timers) {
      if (!t.cancelled && (next === undefined || t.at < next.at || (t.at === next.at && t.seq < next.seq)))
        next = t;
    }
    if (next === undefined) return false;
    this.#now = Math.max(this.#now, next.at);
    next.cancelled = true;
    this.#timers.splice(this.#timers.indexOf(next), 1);
    next.fire();
    return true;
  }

  /** Advances virtual time whenever the program is idle, until `promise` settles. */
  async drive<T>(promise: Promise<T>, maxSteps = 1_000_000): Promise<T> {
    let settled = false;
    const done = promise.finally(() => (settled = true));
    done.catch(() => undefined);
    for (let steps = 0; !settled; steps++) {
      // Idle: no timer set or cancelled over two rounds of event-loop turns (a journal flush or a client answer
      // pending in the same turn always sets or cancels one before the case waits again).
      for (let quiet = 0; quiet < 2 && !settled;) {
        const before = this.#activity;
        await idle();
        quiet = this.#activity === before && !fileRequestsInFlight() ? quiet + 1 : 0;
      }
      if (settled) break;
      if (steps > maxSteps) throw new Error('ManualClock.drive: too many steps');
      if (!this.step()) {
        // Nothing scheduled: real I/O (the journal's writes) may still be under way.
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    }
    return done;
  }
}

/**
 * Whether a request to the file system (out-dir set-up, the report files) is still under way on libuv's thread pool:
 * the program is waiting for it, not idle, however many event-loop turns pass (on a loaded machine it takes longer
 * than a few), and moving virtual time meanwhile fired far timers, such as a 600-hour run deadline, early.
 */
function fileRequestsInFlight(): boolean {
  return process.getActiveResourcesInfo().some((resource) => /^FSReq|Req$/.test(resource));
}

/** Lets pending microtasks and I/O callbacks run. */
async function idle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}
