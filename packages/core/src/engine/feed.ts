/**
 * The case loop: pulls the cases in file order and, for each, its units (each repeat of the case: one execution)
 * while the window has room, and sends each on its lifecycle; after a stop, every unit not yet started gets its
 * (resumable) record at once. Resolves when every unit has landed.
 */
import type { Case, CaseRecord } from '../types.js';
import type { RunContext } from './context.js';
import type { Lander } from './landing.js';
import { flyCase } from './lifecycle.js';
import type { BatchSource } from './options.js';
import { stoppedRecord } from './records.js';
import { planCase, type StartPlan } from './start.js';
import { unitsOf } from './units.js';

/** Runs every unit of `dataset`; `lander` writes each landing (the one writer of records). */
export async function feedCases(
  ctx: RunContext,
  dataset: BatchSource,
  start: StartPlan,
  readPrevious: (offset: number, length: number) => CaseRecord,
  lander: Lander,
): Promise<void> {
  const { flights, planner, stop, clock } = ctx;
  const repeat = ctx.options.repeat;
  const inflight = new InFlight();
  const window = (): number => planner.window;
  const stopped = (): boolean => stop.stopping !== null;
  try {
    for await (const c of dataset.cases() as AsyncIterable<Case>) {
      for (const unit of unitsOf(c, repeat)) {
        const room = flights.room(window, stopped);
        if (room !== undefined) await room;
        const plan = planCase(start, unit, readPrevious, repeat);
        if (plan.kind === 'done') {
          if (plan.carried !== null) lander.land({ record: plan.carried, provisional: false }, unit.slot);
          else lander.done(unit.slot, plan.passed);
          continue;
        }
        if (stop.stopping !== null) {
          const tracked = plan.kind === 'track';
          const attempt = {
            case: unit.flown,
            externalId: plan.externalId,
            executionId: tracked ? plan.executionId : null,
            attempts: tracked ? plan.attempts : plan.attempts - 1,
            submittedAt: tracked ? plan.submittedAt : null,
          };
          lander.land(
            { record: stoppedRecord(attempt, stop.stopping, clock.now()), provisional: true },
            unit.slot,
          );
          continue;
        }
        const slot = unit.slot;
        inflight.add(flyCase(ctx, unit.flown, plan).then((landing) => lander.land(landing, slot)));
      }
    }
  } catch (error) {
    stop.request(
      'fatal',
      `the dataset could not be read to its end: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  ctx.tail.fed();
  await inflight.all();
}

/**
 * The lifecycles in the air: a count and the first failure, not a set of promises (a `finally` per case cost two
 * promises and a closure each). {@link InFlight.all} settles as `Promise.all` of every lifecycle added would: at the
 * first failure, or once all have resolved.
 */
class InFlight {
  #open = 0;
  #failure: { readonly error: unknown } | null = null;
  #waiter: { readonly resolve: () => void; readonly reject: (error: unknown) => void } | null = null;

  add(lifecycle: Promise<void>): void {
    this.#open += 1;
    void lifecycle.then(
      () => {
        this.#open -= 1;
        if (this.#open === 0 && this.#failure === null) this.#waiter?.resolve();
      },
      (error: unknown) => {
        this.#open -= 1;
        if (this.#failure !== null) return;
        this.#failure = { error };
        this.#waiter?.reject(error);
      },
    );
  }

  /** Resolves once every lifecycle added has resolved; rejects with the first failure. */
  all(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      // The failure passes on as it is, as Promise.all would pass it.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      if (this.#failure !== null) reject(this.#failure.error);
      else if (this.#open === 0) resolve();
      else this.#waiter = { resolve, reject };
    });
  }
}
