/**
 * The poll planner: decides when to look at each execution and how many to keep unfinished, from what the
 * statuses have shown so far. Pure state and arithmetic, no I/O and no timers, so it is tested with plain numbers.
 *
 * Until a first finish is seen the planner is in discovery (see `discovery.ts`): one loop looks, the estimate is the
 * longest run time seen so far, and no execution plans its own first look. Then two things are learned:
 * - the run time of an execution, tracked as a quantile (`targetQuantile`, the 85th percentile by default) by a
 *   stochastic quantile estimator: every first look that finds an execution finished nudges the estimate down,
 *   every one that finds it still running nudges it up, so that share of first looks find the execution done. A
 *   late first look costs no time while Vellum holds executions of the run queued (it starts the next one itself);
 *   in the tail, when none is queued, looks come earlier and more often ({@link PollPlanner.tail});
 * - the server's concurrency limit, from the first `PENDING` (queued) status: the executions submitted before the
 *   first queued one that were still running are the limit. From then on the window is twice the limit (the limit
 *   running, as many queued behind them so the server never waits for us), and queued executions are not polled:
 *   each finish we observe promotes the oldest queued one to "running since now", as Vellum's FIFO queue does.
 *
 * Rate limiting shapes the window too (additive increase, multiplicative decrease): a submit answered 429 halves it
 * (once per {@link RATE_LIMIT_COOLDOWN_MS}, however many submits were refused together), each accepted submit
 * gives one place back, so a rate-limited run submits slower instead of spending its cases' retries.
 */

/** After a 429 halved the window, later 429s within this time are the same burst and do not halve it again. */
export const RATE_LIMIT_COOLDOWN_MS = 1_000;

/** Tuning knobs of the planner; every field has a default. */
export interface PlannerOptions {
  /** Most executions unfinished at once, whatever is learned. */
  readonly maxWindow: number;
  /** Estimate of an execution's run time before anything is observed. @default 1000 */
  readonly initialDurationMs?: number;
  /** Shortest delay between two looks at one execution. @default 2 */
  readonly minDelayMs?: number;
  /** Longest delay between two looks at one execution. @default 30_000 */
  readonly maxDelayMs?: number;
  /** How far each observation moves the duration estimate (multiplicative). @default 0.08 */
  readonly learningRate?: number;
  /**
   * Share of first looks meant to find the execution finished: 0.5 plans them at the median run time; higher
   * saves status requests, lower detects sooner. While Vellum has executions of the run queued, detecting a finish
   * later costs no time (the server starts the next one itself), so the default saves requests. @default 0.85
   */
  readonly targetQuantile?: number;
}

/** What the planner is told about one execution after a look at it. */
export type Observation = 'finished' | 'running' | 'queued';

const MIN_ESTIMATE_MS = 1;
/**
 * Discovery's first estimate from a finish never seen running is at most this many times the longest run time seen
 * (on 8 seeds of the manual-clock scenarios, 2 keeps the saving of taking the age whole, 1 loses it).
 */
const FIRST_ESTIMATE_BOUND = 2;
/** In the tail, a first look at this share of the estimate. */
const TAIL_FIRST_LOOK = 0.7;
/** In the tail, the delay between looks at one execution is this share of the estimate per execution left. */
const TAIL_LOOK_SHARE = 0.02;
/** ... and at least this share of the execution's age. */
const TAIL_AGE_SHARE = 0.1;
/**
 * In the tail, no execution is looked at before the youngest one has run this share of the estimate (see
 * {@link PollPlanner.tailFloor}); below {@link TAIL_FIRST_LOOK}, where the youngest's own first look comes.
 */
const TAIL_FLOOR_SHARE = 0.5;

/** Learns durations and the server's limit; see the module comment. */
export class PollPlanner {
  readonly #maxWindow: number;
  readonly #minDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #rate: number;
  readonly #quantile: number;
  #durationMs: number;
  #observations = 0;
  #learned = false;
  #tail = false;
  #inFlight: () => number = () => 1;
  #youngestStart: () => number = () => -Infinity;
  #serverLimit: number | null = null;
  /** The window's cap under rate limiting (Infinity: none); see the module comment. */
  #rateCap = Infinity;
  #lastHalvedAt = -Infinity;
  #shrinks = 0;

  constructor(options: PlannerOptions) {
    this.#maxWindow = Math.max(1, Math.floor(options.maxWindow));
    this.#durationMs = options.initialDurationMs ?? 1000;
    this.#minDelayMs = options.minDelayMs ?? 2;
    this.#maxDelayMs = options.maxDelayMs ?? 30_000;
    this.#rate = options.learningRate ?? 0.08;
    this.#quantile = Math.min(0.95, Math.max(0.05, options.targetQuantile ?? 0.85));
  }

  /** The current median run time estimate, in ms. */
  get durationEstimateMs(): number {
    return this.#durationMs;
  }

  /** Whether a finish has been seen: until then the run is in discovery (see the module comment). */
  get learned(): boolean {
    return this.#learned;
  }

  /** Discovery: a look at an execution `ageMs` after it started found it still running. */
  scoutRunning(ageMs: number): void {
    if (this.#learned) return;
    this.#durationMs = Math.max(this.#durationMs, Math.min(this.#maxDelayMs, ageMs));
  }

  /**
   * Discovery ends: a look found an execution finished `ageMs` after it started, last seen running `runningAgeMs`
   * after it started (null: never). The first estimate is halfway between; never seen running, it is the execution's
   * age, the bound its finish sets, but no more than {@link FIRST_ESTIMATE_BOUND} times the longest run time seen (a
   * finish found late, after looks that failed, says little). That errs long, as the planner means to: the estimate
   * is a high quantile (`targetQuantile`), the first finish found is among the shortest, and a first look planned
   * late costs no time while executions wait in Vellum's queue, while one planned early is a status request more.
   */
  scoutFinished(ageMs: number, runningAgeMs: number | null): void {
    if (this.#learned) return;
    this.#learned = true;
    this.#observations = Math.max(1, this.#observations);
    const estimate =
      runningAgeMs === null
        ? Math.min(ageMs, FIRST_ESTIMATE_BOUND * this.#durationMs)
        : (runningAgeMs + ageMs) / 2;
    this.#durationMs = Math.max(MIN_ESTIMATE_MS, Math.min(this.#maxDelayMs, estimate));
  }

  /** The server's concurrency limit as learned from queued statuses, or null while none was seen. */
  get serverLimit(): number | null {
    return this.#serverLimit;
  }

  /** How many executions to keep unfinished (submitted and not yet final) right now. */
  get window(): number {
    const learned =
      this.#serverLimit === null ? this.#maxWindow : Math.min(this.#maxWindow, this.#serverLimit * 2);
    return Math.max(1, Math.min(learned, this.#rateCap));
  }

  /**
   * A submit was answered 429 at `now`: halves the window (not below 1) unless it was halved less than
   * {@link RATE_LIMIT_COOLDOWN_MS} ago. Returns whether it shrank.
   */
  rateLimited(now: number): boolean {
    if (now - this.#lastHalvedAt < RATE_LIMIT_COOLDOWN_MS) return false;
    const before = this.window;
    this.#lastHalvedAt = now;
    this.#rateCap = Math.max(1, Math.floor(before / 2));
    if (this.window >= before) return false;
    this.#shrinks += 1;
    return true;
  }

  /** How many times rate limiting shrank the window. */
  get rateLimitShrinks(): number {
    return this.#shrinks;
  }

  /** A submit was accepted: the rate-limit cap, if any, gives one place back (and goes once it no longer binds). */
  submitAccepted(): void {
    if (this.#rateCap === Infinity) return;
    this.#rateCap += 1;
    if (this.#rateCap >= this.#maxWindow) this.#rateCap = Infinity;
  }

  /**
   * Learns from the first look at an execution since it (was believed to have) started, made `ageMs` after that
   * start. Only a look near the estimate tells which side of the quantile the estimate is on: still running at an
   * age at least about the estimate says it is short, finished at an age at most about it says it is long; a look
   * far from it (a late one: it waited behind a wake-up, or the model moved the start) is no news. So a burst of
   * looks at one age (the first round of a batch) moves the estimate a step or a few, not one step per look. Steps
   * shrink slowly (with many executions in flight, a step small too early leaves the estimate behind), and a look
   * never jumps the estimate to its own age: the model's start times are uncertain by a good part of a run time, so
   * one look is one step of evidence.
   */
  learnFirstLook(finished: boolean, ageMs: number = this.#durationMs): void {
    if (this.#tail) return;
    const step = Math.max(this.#rate / 2, 0.2 / (1 + this.#observations / 256));
    const current = this.#durationMs;
    if (finished ? ageMs > current * (1 + step) : ageMs < current * (1 - step)) return;
    this.#observations += 1;
    // Steps weighted so that, at equilibrium, a share `targetQuantile` of first looks find the execution finished.
    const q = this.#quantile;
    const next = current * (finished ? 1 - 2 * (1 - q) * step : 1 + 2 * q * step);
    this.#durationMs = Math.max(MIN_ESTIMATE_MS, Math.min(this.#maxDelayMs, next));
  }

  /**
   * Records that an execution was seen queued while `runningBefore` executions submitted before it were believed
   * running: the server runs at most that many at once. The smallest such count seen is kept.
   */
  learnQueued(runningBefore: number): void {
    const limit = Math.max(1, runningBefore);
    this.#serverLimit = this.#serverLimit === null ? limit : Math.min(this.#serverLimit, limit);
  }

  /**
   * The tail: every case is submitted and none is queued, so nothing waits behind the executions left and each
   * finish seen sooner ends the run sooner. Looks come earlier and more often, and teach the estimate nothing.
   */
  get tail(): boolean {
    return this.#tail;
  }

  /**
   * Enters the tail (see {@link PollPlanner.tail}) for good; `inFlight` counts the executions left, `youngestStart`
   * tells when the one believed running that started last started (-Infinity: none).
   */
  enterTail(inFlight: () => number, youngestStart: () => number = () => -Infinity): void {
    this.#tail = true;
    this.#inFlight = inFlight;
    this.#youngestStart = youngestStart;
  }

  /**
   * In the tail, the earliest time to look at an execution started at `startedAt` (-Infinity: no floor). The run ends
   * with its last finish, and while the youngest execution is still running no other finish can end it, so a look
   * at an older one before the youngest has run {@link TAIL_FLOOR_SHARE} of the estimate (most likely still running
   * then) saves no time; put off, it more likely finds its execution finished, at one look instead of a few. The
   * youngest itself is never put off. Measured on the manual clock (seeds 1-16; status requests per execution, the
   * tenth of executions that finish last): long 2.05 -> 1.86, queue-bound 1.52 -> 1.39, the thin queue 1.73 -> 1.50,
   * with the run's end against the server's span unchanged (1.007, 1.003, 1.012).
   */
  tailFloor(startedAt: number): number {
    if (!this.#tail) return -Infinity;
    const youngest = this.#youngestStart();
    if (youngest <= startedAt) return -Infinity;
    return youngest + TAIL_FLOOR_SHARE * this.#durationMs;
  }

  /** The run-time estimate a first look is planned with: the estimate, or in the tail {@link TAIL_FIRST_LOOK} of it. */
  planFirstLook(): number {
    return this.#tail ? this.#durationMs * TAIL_FIRST_LOOK : this.#durationMs;
  }

  /** Delay from now until a first look planned with `planned` at an execution started `sinceStartMs` ago. */
  firstDelay(sinceStartMs: number, planned: number = this.#durationMs): number {
    return this.#clamp(planned - sinceStartMs);
  }

  /**
   * Delay until the next look at an execution that was still running at its `looks`-th look (1-based): a quarter of
   * the estimate, growing by half each time, so long executions cost few requests and short ones are seen soon. In
   * the tail, {@link TAIL_LOOK_SHARE} of the estimate per execution left, no more than that: the run's looks come at
   * a steady rate however few are left, so the last finish is seen within a small share of a run time; but never
   * sooner than {@link TAIL_AGE_SHARE} of the execution's age `ageMs`.
   */
  nextDelay(looks: number, ageMs = 0): number {
    const usual = this.#durationMs * 0.25 * 1.5 ** Math.max(0, looks - 1);
    if (!this.#tail) return this.#clamp(usual);
    const tail = this.#durationMs * TAIL_LOOK_SHARE * Math.max(1, this.#inFlight());
    // A straggler far past the estimate is looked at in proportion to its age, not every few milliseconds.
    return this.#clamp(Math.min(usual, Math.max(tail, TAIL_AGE_SHARE * ageMs)));
  }

  /** Delay between looks at the oldest queued execution, the safety net when our model of the queue is wrong. */
  queuedProbeDelay(): number {
    return this.#clamp(Math.max(this.#durationMs, 250));
  }

  #clamp(ms: number): number {
    return Math.min(this.#maxDelayMs, Math.max(this.#minDelayMs, ms));
  }
}
