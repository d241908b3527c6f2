/**
 * One case's life (with repeats: one repeat's), from take-off to landing: submit it (or take over the execution a
 * resumed journal knows), place it in the server-queue model, track it to its end, and leave the model so the next
 * queued execution moves up.
 */
import type { Case } from '../types.js';
import { wakeAll, type Landing, type RunContext } from './context.js';
import type { Flight } from './flights.js';
import { errorOf, localRecord } from './records.js';
import type { CasePlan } from './start.js';
import { submitFlight } from './submit.js';
import { trackFlight } from './track.js';
import { repeatCount, slotUnit } from './units.js';

/** Runs case `c` (with repeats: a unit, `c.index` its slot) per its plan; resolves with its landing, never rejects. */
export async function flyCase(
  ctx: RunContext,
  c: Case,
  plan: Exclude<CasePlan, { kind: 'done' }>,
): Promise<Landing> {
  const flight = ctx.flights.open(c, plan.externalId, plan.attempts);
  try {
    if (plan.kind === 'track') {
      // Submitted before the crash or the interruption: track it by its id, and look soon (it may be long done).
      flight.submittedAt = plan.submittedAt;
      ctx.flights.accepted(flight, plan.executionId, true);
      ctx.queue.adopt(flight, plan.submittedAt);
    } else {
      const result = await submitFlight(ctx, flight, plan.mayHaveStarted);
      if (result.kind === 'ended') return result.landing;
      const now = ctx.clock.now();
      ctx.flights.accepted(flight, result.executionId, true);
      ctx.journal.submitted(c.index, result.executionId, new Date(now));
      const unit = slotUnit(c.index, repeatCount(ctx.options.repeat));
      ctx.emit({
        type: 'submitted',
        index: unit.index,
        id: c.id,
        ...(ctx.options.repeat === null ? {} : { repeat: unit.repeat }),
        executionId: result.executionId,
        progress: ctx.flights.progress(),
      });
      // Behind everything already queued (FIFO); it runs at once only when a slot is free.
      wakeAll(ctx.queue.admit(flight, flight.submittedAt ?? now).woken);
      if (ctx.queue.queued > 0) ctx.probe();
    }
    ctx.discover();
    return await trackFlight(ctx, flight);
  } catch (error) {
    // A bug here must not lose the case: record it as failed on our side, resumable when its execution is known.
    return {
      record: localRecord(flight, 'SUBMIT_FAILED', errorOf(error, 'INTERNAL_ERROR'), ctx.clock.now()),
      provisional: flight.executionId !== null,
    };
  } finally {
    wakeAll(ctx.queue.leave(flight, finishEstimate(ctx, flight), ctx.stop.stopping === null));
    ctx.flights.close(flight);
    ctx.tail.check();
  }
}

/**
 * When the execution of `flight`, just found finished, most likely finished: halfway between the last moment it was
 * known to run and now, but, when no look saw it running, not longer ago than {@link FINISH_LAG} of the run-time
 * estimate (first looks are planned late, near the estimate, so most finishes they find are recent). Starting its
 * successor at that moment (not now) keeps detection delays from adding up along the chain of executions that share
 * a slot, without starting it before its predecessor most likely ended.
 */
function finishEstimate(ctx: RunContext, flight: Flight): number {
  const now = ctx.clock.now();
  const runningSince = Math.max(flight.startedAt, flight.seenRunningAt);
  if (runningSince >= now) return now;
  const halfway = (runningSince + now) / 2;
  if (flight.seenRunningAt > 0) return halfway;
  return Math.max(halfway, now - FINISH_LAG * ctx.planner.durationEstimateMs);
}

/** See {@link finishEstimate}. */
const FINISH_LAG = 0.15;
