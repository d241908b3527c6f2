/**
 * The tail of a run: once every case has taken off and Vellum holds none of them queued, nothing waits behind the
 * executions left, so each finish seen sooner ends the run sooner. The watch tells the planner (looks come earlier
 * and more often, see {@link PollPlanner.tail}, but none at an execution older than the youngest before the youngest
 * has run a while, see {@link PollPlanner.tailFloor}) and wakes every flight to plan its next look again, and again
 * each time the number of executions left halves.
 */
import { wakeAll, type RunContext } from './context.js';

/** Watches for the tail; see the module comment. */
export class TailWatch {
  readonly #ctx: () => RunContext;
  #fed = false;
  /** Flights in the air when every flight last planned its look again. */
  #plannedAt = Infinity;

  constructor(ctx: () => RunContext) {
    this.#ctx = ctx;
  }

  /** The case loop has sent every case on its way. */
  fed(): void {
    this.#fed = true;
    this.check();
  }

  /**
   * Enters the tail when it has come (call after the queue model changed). In the tail, looks come more often as
   * fewer executions are left: each time their number halves, every flight plans its next look again.
   */
  check(): void {
    const ctx = this.#ctx();
    if (!this.#fed || !ctx.planner.learned || ctx.stop.stopping !== null) return;
    if (!ctx.planner.tail) {
      if (ctx.queue.queued > 0) return;
      ctx.planner.enterTail(
        () => ctx.flights.size,
        () => ctx.queue.youngestStart(),
      );
    } else if (ctx.flights.size > this.#plannedAt / 2) {
      return;
    }
    this.#plannedAt = ctx.flights.size;
    wakeAll([...ctx.flights.values()]);
  }
}
