/**
 * How the engine learns that an execution ended, as strategies behind one interface: `poll` looks on the planner's
 * learned schedule and teaches it from every first look; `webhook` and `hybrid` wait for pushed completions and look
 * only at executions that stay silent (hybrid: well past the learned run time; webhook: after a fixed silence).
 */
import type { Flight } from './flights.js';
import type { TrackMode } from './options.js';
import type { PollPlanner } from './planner.js';

/** One tracking strategy. */
export interface Tracker {
  readonly mode: TrackMode;
  /** Whether pushed completions are expected. */
  readonly pushes: boolean;
  /** Delay from `now` until the next status look at `flight` (Infinity: wait to be woken). */
  nextLookDelay(flight: Flight, now: number): number;
  /** Whether the look planned for `flight` is still due at `now` (the plan may have moved while it waited). */
  stillDue(flight: Flight, now: number): boolean;
  /** A status look sent at `sentAt` and answered at `now` found the execution final. */
  sawFinal(flight: Flight, now: number, sentAt: number): void;
  /** A status look sent at `sentAt` and answered at `now` found the execution running. */
  sawRunning(flight: Flight, now: number, sentAt: number): void;
  /** A completion was pushed for the flight. */
  sawPush(flight: Flight, now: number): void;
}

/**
 * In discovery (no finish seen yet), a flight looks by itself only once it has run this many times the longest run
 * time seen: a safety net for a discovery that stalls (every status unreadable), never a burst while it learns.
 */
export const DISCOVERY_SAFETY_FACTOR = 4;

/** In discovery: when a flight looks by itself, as the longest run time seen grows. */
function safetyLookAt(flight: Flight, planner: PollPlanner): number {
  return flight.startedAt + DISCOVERY_SAFETY_FACTOR * planner.durationEstimateMs;
}

/** In discovery: a look found the flight final, so its run time is the first estimate. */
function scoutFinal(flight: Flight, now: number, planner: PollPlanner): void {
  const runningAge = flight.seenRunningAt > 0 ? flight.seenRunningAt - flight.startedAt : null;
  planner.scoutFinished(now - flight.startedAt, runningAge);
}

/**
 * A first look comes due once the execution has run this share of the estimate as it is when the look falls due,
 * not as it was when the look was planned (see `PollTracker.stillDue`).
 */
const FIRST_LOOK_DUE_SHARE = 0.95;

/**
 * The strategy for `mode`; `queued` counts the executions believed queued in Vellum (the queue model's count).
 */
export function createTracker(
  mode: TrackMode,
  planner: PollPlanner,
  webhookSilenceMs: number,
  queued: () => number = () => 0,
): Tracker {
  return mode === 'poll'
    ? new PollTracker(planner, queued)
    : new PushTracker(mode, planner, webhookSilenceMs);
}

class PollTracker implements Tracker {
  readonly mode = 'poll' as const;
  readonly pushes = false;
  readonly #planner: PollPlanner;
  readonly #queued: () => number;

  constructor(planner: PollPlanner, queued: () => number) {
    this.#planner = planner;
    this.#queued = queued;
  }

  nextLookDelay(flight: Flight, now: number): number {
    // Queued executions are not looked at; in discovery the discovery loop looks, a flight only as a safety net.
    if (flight.state === 'queued') return Infinity;
    if (!this.#planner.learned) return Math.max(0, safetyLookAt(flight, this.#planner) - now);
    // In the tail, an execution older than the youngest waits for the youngest to have run a while (see the planner).
    const floor = this.#planner.tailFloor(flight.startedAt) - now;
    // Counted from the last look, so a flight woken to plan again does not put its look off (and one whose look
    // failed waits its turn: it never looks again at once).
    if (flight.looks > 0) {
      const delay = this.#planner.nextDelay(flight.looks, now - flight.startedAt);
      return Math.max(0, floor, Math.max(flight.lastLookAt, flight.seenRunningAt) + delay - now);
    }
    return Math.max(floor, this.#planner.firstDelay(now - flight.startedAt, this.#planner.planFirstLook()));
  }

  /**
   * While Vellum holds a whole wave of the run queued (at least its limit), a first look planned when the estimate
   * was lower is put off to the estimate as it is now: a later first look then costs no time (Vellum starts the
   * next queued execution itself) and more likely finds the execution finished at once. With less than a wave
   * queued the end is near, and the queue model's start times for the last executions (taken from the finishes
   * seen) must not drift late, so looks go as planned. A look is never brought forward when the estimate falls (that
   * would wake every flight asleep). Measured on the manual clock, seeds 1-16 (status requests per execution,
   * detection p50, run / span): long 1.511 -> 1.379, 7.1 -> 9.1 s, 1.007 -> 1.006; queue-bound 1.339 -> 1.148,
   * 0.67 -> 0.97 s, 1.003 -> 1.003; thin 1.729 -> 1.566, 1.012 -> 1.012.
   */
  stillDue(flight: Flight, now: number): boolean {
    if (!this.#planner.learned) return now >= safetyLookAt(flight, this.#planner);
    const limit = this.#planner.serverLimit;
    if (flight.looks > 0 || limit === null || this.#queued() < limit) return true;
    return now - flight.startedAt >= FIRST_LOOK_DUE_SHARE * this.#planner.planFirstLook();
  }

  sawFinal(flight: Flight, now: number, sentAt: number): void {
    if (!this.#planner.learned) {
      scoutFinal(flight, now, this.#planner);
      return;
    }
    // Only a planned first look teaches the estimate: a probe's (the limit search, the queue probe) looks at a young
    // execution on purpose, and each "still running" it found pushed the estimate up by a third (a 200-case run's
    // estimate ran to 8 s for run times of 1-3 s, and its end came 20-50% after the server's).
    // The look's age is taken when it was sent, not answered: a round trip of a few hundred ms would otherwise make
    // every finish of a short execution look late (no news) while every "running" still counted, and the estimate
    // would only climb.
    if (flight.state === 'running' && flight.looks === 0 && !flight.probed)
      this.#planner.learnFirstLook(true, sentAt - flight.startedAt);
  }

  sawRunning(flight: Flight, now: number, sentAt: number): void {
    if (!this.#planner.learned) {
      this.#planner.scoutRunning(now - flight.startedAt);
      return;
    }
    if (flight.looks === 0 && !flight.probed) this.#planner.learnFirstLook(false, sentAt - flight.startedAt);
  }

  sawPush(): void {
    // Poll mode listens to no feed.
  }
}

class PushTracker implements Tracker {
  readonly pushes = true;
  readonly mode: 'webhook' | 'hybrid';
  readonly #planner: PollPlanner;
  readonly #webhookSilenceMs: number;
  /** The longest run time a push showed (model start to push), in ms. */
  #longestPushedMs = 0;

  constructor(mode: 'webhook' | 'hybrid', planner: PollPlanner, webhookSilenceMs: number) {
    this.mode = mode;
    this.#planner = planner;
    this.#webhookSilenceMs = webhookSilenceMs;
  }

  nextLookDelay(flight: Flight, now: number): number {
    if (flight.state === 'queued') return Infinity;
    // Hybrid, before any finish is known: the discovery loop looks (it also finds Vellum's limit), a flight only as
    // a safety net. A silence planned from a guessed run time sent the whole first window looking at once.
    if (this.#discovering()) return Math.max(0, safetyLookAt(flight, this.#planner) - now);
    const estimate = this.#planner.durationEstimateMs;
    // Twice the longest run time pushed so far: the first pushes come from the shortest executions, and a silence
    // planned from them alone sent every longer one looking before its push.
    const silence =
      this.mode === 'hybrid'
        ? Math.max(2 * Math.max(estimate, this.#longestPushedMs), estimate + 1000)
        : this.#webhookSilenceMs;
    if (flight.looks === 0) return Math.max(0, silence - (now - flight.startedAt));
    return this.#planner.nextDelay(flight.looks + 2);
  }

  stillDue(flight: Flight, now: number): boolean {
    return !this.#discovering() || now >= safetyLookAt(flight, this.#planner);
  }

  #discovering(): boolean {
    return this.mode === 'hybrid' && !this.#planner.learned;
  }

  sawFinal(flight: Flight, now: number): void {
    // Discovery's looks teach the first run time, as in poll mode; later looks are the exception and teach nothing.
    if (this.#discovering()) scoutFinal(flight, now, this.#planner);
  }

  sawRunning(flight: Flight, now: number): void {
    if (this.#discovering()) this.#planner.scoutRunning(now - flight.startedAt);
  }

  sawPush(flight: Flight, now: number): void {
    if (this.mode !== 'hybrid' || flight.state !== 'running') return;
    // A push tells the run time almost exactly: the first one ends discovery, later ones refine the estimate.
    const ageMs = now - flight.startedAt;
    this.#longestPushedMs = Math.max(this.#longestPushedMs, ageMs);
    if (!this.#planner.learned) {
      this.#planner.scoutFinished(ageMs, ageMs);
      return;
    }
    this.#planner.learnFirstLook(ageMs <= this.#planner.durationEstimateMs);
  }
}
