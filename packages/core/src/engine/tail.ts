/**
 * The tail of a run: once every case has taken off and Vellum holds none of them queued, nothing waits behind the
 * executions left, so each finish seen sooner ends the run sooner. The watch tells the planner (looks come earlier
 * and more often, see {@link PollPlanner.tail}) and wakes every flight to plan its next look again.
 */
import { wakeAll, type RunContext } from './context.js';

/** Watches for the tail; see the module comment. */
export class TailWatch {
  readonly #ctx: () => RunContext;
  #fed = false;

  constructor(ctx: () => RunContext) {
    this.#ctx = ctx;
  }

  /** The case loop has sent every case on its way. */
  fed(): void {
    this.#fed = true;
    this.check();
  }

  /** Enters the tail when it has come (call after the queue model changed). */
  check(): void {
    const ctx = this.#ctx();
    if (!this.#fed || !ctx.planner.learned || ctx.planner.tail) return;
    if (ctx.queue.queued > 0 || ctx.stop.stopping !== null) return;
    ctx.planner.enterTail();
    wakeAll([...ctx.flights.values()]);
  }
}
