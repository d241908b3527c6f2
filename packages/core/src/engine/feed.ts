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
  const inflight = new Set<Promise<void>>();
  try {
    for await (const c of dataset.cases() as AsyncIterable<Case>) {
      for (const unit of unitsOf(c, repeat)) {
        await flights.room(
          () => planner.window,
          () => stop.stopping !== null,
        );
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
        const flight = flyCase(ctx, unit.flown, plan).then((landing) => lander.land(landing, unit.slot));
        inflight.add(flight);
        void flight.finally(() => inflight.delete(flight));
      }
    }
  } catch (error) {
    stop.request(
      'fatal',
      `the dataset could not be read to its end: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  ctx.tail.fed();
  await Promise.all(inflight);
}
