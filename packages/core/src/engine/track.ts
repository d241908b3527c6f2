/**
 * Following one execution to its end: looks at its status when its tracker says so (or when a push, a promotion
 * or the probe wakes it), keeps the server-queue model true to what the statuses show, and ends on a final status,
 * a pushed completion, a deadline or a stop.
 */
import type { ExecutionStatusResponse } from '../client.js';
import {
  AuthenticationError,
  ConnectionError,
  NotFoundError,
  ResponseTooLargeError,
  TimeoutError,
} from '../errors.js';
import { wakeAll, type Landing, type RunContext } from './context.js';
import type { Completion } from './completions.js';
import type { Flight } from './flights.js';
import { localRecord, outcomeRecord, stoppedRecord } from './records.js';
import { fatalMessage } from './stop.js';

/** setTimeout's longest delay. */
const MAX_TIMER_MS = 2_147_000_000;
/** Status answers in a row that cannot be read before the case gives up (resumably). */
const MAX_UNREADABLE = 8;
/** How long the last look after a deadline may take. */
const LAST_LOOK_MS = 2_000;

/** Tracks `flight` (its execution known) until it ends; see the module comment. Never rejects on a case's fault. */
export async function trackFlight(ctx: RunContext, flight: Flight): Promise<Landing> {
  const { clock, stop, options } = ctx;
  const executionId = flight.executionId!;
  const submittedAt = flight.submittedAt ?? clock.now();
  const deadline =
    options.executionTimeoutMs === undefined ? Infinity : submittedAt + options.executionTimeoutMs;
  let unreadable = 0;
  let problem: string | null = null;
  for (;;) {
    if (flight.disowned !== null) return disowned(ctx, flight, flight.disowned);
    if (flight.pushed !== null) return pushed(ctx, flight, flight.pushed);
    if (stop.stopping !== null) return stopped(ctx, flight);
    const now = clock.now();
    if (now >= deadline) {
      const last = await lastLook(ctx, flight);
      if (last !== null) return last;
      const why = problem === null ? '' : ` (the last status answer could not be used: ${problem})`;
      return {
        record: localRecord(
          flight,
          'TIMED_OUT',
          {
            code: 'EXECUTION_TIMEOUT',
            message: `no final status within the execution timeout of ${Math.round(options.executionTimeoutMs! / 1000)}s${why}`,
          },
          clock.now(),
        ),
        provisional: false,
      };
    }
    // A probe asked for before this wait (discovery, the queue probe) looks at once.
    const delay = flight.probe ? 0 : ctx.tracker.nextLookDelay(flight, now);
    const timedOut = await wait(ctx, flight, Math.min(delay, deadline - now));
    if (flight.disowned !== null) return disowned(ctx, flight, flight.disowned);
    if (flight.pushed !== null) return pushed(ctx, flight, flight.pushed);
    if (stop.stopping !== null) return stopped(ctx, flight);
    if (clock.now() >= deadline) continue;
    // Woken early (promoted from the queue): plan the look again; only a probe looks at once.
    if (!timedOut && !flight.probe) continue;
    if (!flight.probe && !ctx.tracker.stillDue(flight, clock.now())) continue;
    flight.probed = flight.probe;
    flight.probe = false;

    const finishedAtSend = ctx.flights.finished;
    const sentAt = clock.now();
    let status: ExecutionStatusResponse;
    try {
      status = await ctx.client.getExecutionStatus(executionId, { signal: stop.signal });
      flight.lastLookAt = clock.now();
      stop.noteReached();
    } catch (error) {
      flight.lastLookAt = clock.now();
      if (flight.disowned !== null) return disowned(ctx, flight, flight.disowned);
      if (flight.pushed !== null) return pushed(ctx, flight, flight.pushed);
      if (stop.stopping !== null) return stopped(ctx, flight);
      flight.looks += 1;
      if (error instanceof NotFoundError) {
        if (clock.now() - submittedAt < options.statusNotFoundGraceMs) continue;
        return {
          record: localRecord(
            flight,
            'SUBMIT_FAILED',
            {
              code: 'EXECUTION_NOT_FOUND',
              message: `execution ${executionId} was accepted but its status is still unknown to Vellum after ${Math.round(options.statusNotFoundGraceMs / 1000)}s`,
            },
            clock.now(),
          ),
          provisional: false,
        };
      }
      if (error instanceof AuthenticationError) {
        stop.request('fatal', fatalMessage(error));
        return stopped(ctx, flight);
      }
      if (error instanceof ConnectionError || error instanceof TimeoutError) {
        stop.noteUnreachable(error.message);
        continue;
      }
      // Over the size cap: the next answer would be as large (the outputs are final), so the case ends now, resumably.
      if (error instanceof ResponseTooLargeError) {
        return {
          record: localRecord(
            flight,
            'TIMED_OUT',
            {
              code: 'STATUS_UNREADABLE',
              message: `the status answer for execution ${executionId} is larger than the ${error.limitBytes}-byte limit, so its outputs were not read: raise the limit (the client's maxResponseBytes; in the CLI and the action, $VELLUM_BATCH_MAX_RESPONSE_BYTES) and --resume reads it`,
            },
            clock.now(),
          ),
          provisional: true,
        };
      }
      // An answer that cannot be used (not JSON, the wrong shape, a redirect): keep the reason, try again later.
      problem = error instanceof Error ? error.message : String(error);
      unreadable += 1;
      if (unreadable >= MAX_UNREADABLE) {
        return {
          record: localRecord(
            flight,
            'TIMED_OUT',
            {
              code: 'STATUS_UNREADABLE',
              message: `${unreadable} status answers in a row for execution ${executionId} could not be used (last: ${problem}); it may still run: --resume tracks it again`,
            },
            clock.now(),
          ),
          provisional: true,
        };
      }
      continue;
    }
    unreadable = 0;
    // Given up while the look was in the air: what it found is the owner's.
    if (flight.disowned !== null) return disowned(ctx, flight, flight.disowned);

    if (status.status === 'FULFILLED' || status.status === 'REJECTED') {
      const discovering = !ctx.planner.learned;
      ctx.tracker.sawFinal(flight, clock.now(), sentAt);
      // Discovery ended: every execution plans its first look now.
      if (discovering && ctx.planner.learned) wakeAll([...ctx.flights.values()]);
      return finalFromStatus(ctx, flight, status);
    }
    if (status.status === 'PENDING') {
      if (flight.state === 'running') demote(ctx, flight, finishedAtSend);
      continue;
    }
    // INITIATED, STREAMING, or a status this version does not know: it is running.
    const wasQueued = flight.state === 'queued';
    ctx.queue.seenRunning(flight, clock.now());
    if (wasQueued) continue;
    ctx.tracker.sawRunning(flight, clock.now(), sentAt);
    flight.looks += 1;
  }
}

/** A completion pushed for `flight`'s execution: hand it over and wake the flight. */
export function deliver(flight: Flight, completion: Completion): void {
  if (flight.state === 'gone' || flight.pushed !== null) return;
  flight.pushed = completion;
  flight.wake?.();
}

/** A flight believed running was seen queued: learn the server's limit, and queue it in the model. */
function demote(ctx: RunContext, flight: Flight, finishedAtSend: number): void {
  const before = ctx.planner.serverLimit;
  const { bound, woken } = ctx.queue.demote(flight, ctx.flights.finished - finishedAtSend);
  ctx.planner.learnQueued(bound);
  const limit = ctx.planner.serverLimit;
  if (limit !== null && limit !== before) {
    ctx.emit({ type: 'server-limit', limit, progress: ctx.flights.progress() });
  }
  wakeAll(woken);
  wakeAll(ctx.queue.fillAfterDemotion(flight, ctx.clock.now()));
  ctx.probe();
}

function finalFromStatus(ctx: RunContext, flight: Flight, status: ExecutionStatusResponse): Landing {
  const fulfilled = status.status === 'FULFILLED';
  ctx.stop.noteOutcome(fulfilled ? null : (status.error?.code ?? null));
  return {
    record: outcomeRecord(
      flight,
      {
        fulfilled,
        outputs: fulfilled ? status.outputs : null,
        error: fulfilled ? null : status.error,
        url: status.execution_detail_url,
      },
      ctx.clock.now(),
    ),
    provisional: false,
  };
}

function pushed(ctx: RunContext, flight: Flight, completion: Completion): Landing {
  const now = ctx.clock.now();
  const discovering = !ctx.planner.learned;
  ctx.tracker.sawPush(flight, now);
  // A first push ended discovery (hybrid): every execution plans its own silence now.
  if (discovering && ctx.planner.learned) wakeAll([...ctx.flights.values()]);
  const fulfilled = completion.status === 'FULFILLED';
  ctx.stop.noteOutcome(fulfilled ? null : (completion.error?.code ?? null));
  return {
    record: outcomeRecord(
      flight,
      { fulfilled, outputs: completion.outputs, error: completion.error, url: null },
      now,
    ),
    provisional: false,
  };
}

/** The execution proved another case's (see `FlightTable.disown`): the case lands refused, without one. */
function disowned(ctx: RunContext, flight: Flight, message: string): Landing {
  return {
    record: localRecord(
      flight,
      'SUBMIT_FAILED',
      { code: 'DUPLICATE_EXECUTION_ID', message },
      ctx.clock.now(),
    ),
    provisional: false,
  };
}

/** The landing of a flight the run stopped under: at the deadline, a last look first (it may have just ended). */
async function stopped(ctx: RunContext, flight: Flight): Promise<Landing> {
  if (ctx.stop.stopping!.reason === 'deadline') {
    const last = await lastLook(ctx, flight);
    if (last !== null) return last;
  }
  return { record: stoppedRecord(flight, ctx.stop.stopping!, ctx.clock.now()), provisional: true };
}

/** A final status request after a deadline, bounded in time (on the run's clock); the landing when it ended. */
async function lastLook(ctx: RunContext, flight: Flight): Promise<Landing | null> {
  let status: ExecutionStatusResponse | null = null;
  // A flight given up already (see `FlightTable.disown`) asks nothing: its execution is another case's.
  if (flight.executionId !== null && flight.disowned === null) {
    const limit = new AbortController();
    const cancel = ctx.clock.setTimer(LAST_LOOK_MS, () => limit.abort(new Error('last look timed out')));
    try {
      status = await ctx.client.getExecutionStatus(flight.executionId, { signal: limit.signal });
    } catch {
      // the deadline stands
    } finally {
      cancel();
    }
  }
  // Given up before or during the look.
  if (flight.disowned !== null) return disowned(ctx, flight, flight.disowned);
  if (status?.status === 'FULFILLED' || status?.status === 'REJECTED')
    return finalFromStatus(ctx, flight, status);
  return null;
}

/** Sleeps up to `ms` (Infinity: until woken); true when the time ran out, false when woken or stopped. */
function wait(ctx: RunContext, flight: Flight, ms: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    if (ctx.stop.stopping !== null) {
      resolve(false);
      return;
    }
    const cancel =
      ms === Infinity
        ? null
        : ctx.clock.setTimer(Math.min(Math.max(0, ms), MAX_TIMER_MS), () => {
            flight.wake = null;
            resolve(true);
          });
    flight.wake = () => {
      cancel?.();
      flight.wake = null;
      resolve(false);
    };
  });
}
