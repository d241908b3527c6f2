/**
 * The case loop: pulls the cases in file order while the window has room and sends each on its lifecycle; after a
 * stop, every case not yet started gets its (resumable) record at once. Resolves when every case has landed.
 */
import type { Case, CaseRecord } from '../types.js';
import type { Landing, RunContext } from './context.js';
import { flyCase } from './lifecycle.js';
import type { BatchSource } from './options.js';
import { stoppedRecord } from './records.js';
import { planCase, type StartPlan } from './start.js';

/** Runs every case of `dataset`; `land` writes each landing (the one writer of records). */
export async function feedCases(
  ctx: RunContext,
  dataset: BatchSource,
  start: StartPlan,
  readPrevious: (offset: number, length: number) => CaseRecord,
  land: (landing: Landing) => void,
): Promise<void> {
  const { flights, planner, stop, clock } = ctx;
  const inflight = new Set<Promise<void>>();
  try {
    for await (const c of dataset.cases() as AsyncIterable<Case>) {
      await flights.room(
        () => planner.window,
        () => stop.stopping !== null,
      );
      const plan = planCase(start, c, readPrevious);
      if (plan.kind === 'done') {
        if (plan.carried !== null) land({ record: plan.carried, provisional: false });
        else flights.countFinished(plan.passed);
        continue;
      }
      if (stop.stopping !== null) {
        const tracked = plan.kind === 'track';
        const attempt = {
          case: c,
          externalId: plan.externalId,
          executionId: tracked ? plan.executionId : null,
          attempts: tracked ? plan.attempts : plan.attempts - 1,
          submittedAt: tracked ? plan.submittedAt : null,
        };
        land({ record: stoppedRecord(attempt, stop.stopping, clock.now()), provisional: true });
        continue;
      }
      const flight = flyCase(ctx, c, plan).then(land);
      inflight.add(flight);
      void flight.finally(() => inflight.delete(flight));
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
