/**
 * Submitting one case so that it never starts twice and is never lost, whatever Vellum answers.
 *
 * Vellum has no idempotency key; `external_id` "must be unique within a given Workspace", and the answer to a reused
 * one is not documented. The client retries a submit by itself only when nothing can have been created (429, a
 * connection never made). Every other failure is handled here, safe under each reading of a reused external id:
 * - a 400 naming the external id (observed): the execution exists. It is looked up, with patience (a queued
 *   execution may not be listed yet), and adopted only if its metadata carries this run's id;
 * - an ambiguous failure (timeout after sending, reset, 5xx, a 2xx that does not parse): the external id is looked up
 *   first and the case is submitted again under the same id only when no execution carries it. Should Vellum answer a
 *   reused id with the existing execution's id, that id is the one already known; should it start a second execution,
 *   only an execution created but not yet listed at the lookup could be doubled, and the lookup makes that window small.
 * - an execution id another case of this run already holds belongs to the case Vellum lists it under (by external
 *   id): that case keeps or takes it, the other is refused;
 * - a case resumed from a journal that holds its intent but no execution id is in the ambiguous state: looked up
 *   first, submitted only when no execution carries its external id.
 */
import { ExternalIdConflictError, submitMayHaveStarted } from '../client.js';
import type { FoundExecution } from './reconcile.js';
import { AuthenticationError, ConnectionError, NotFoundError } from '../errors.js';
import { RUN_ID_METADATA_KEY, wakeAll, type Landing, type RunContext } from './context.js';
import type { Flight } from './flights.js';
import { errorOf, localRecord, stoppedRecord } from './records.js';
import { fatalMessage } from './stop.js';

/** How a submit ended: the execution to track, or a landing when the case ends here. */
export type SubmitResult =
  | { readonly kind: 'started'; readonly executionId: string; readonly adopted: boolean }
  | { readonly kind: 'ended'; readonly landing: Landing };

/**
 * A case gives up on ambiguous submit failures (each followed by a lookup, then a pause that doubles up to 8 s) once
 * it has had at least this many and they have gone on for {@link AMBIGUOUS_PATIENCE_MS}: a Vellum answering 5xx for
 * half a minute (a deploy, an overloaded gateway) is ridden out, one that keeps failing is not waited on forever.
 */
const MIN_AMBIGUOUS_TRIES = 4;
const AMBIGUOUS_PATIENCE_MS = 60_000;
/** The longest pause between two submits of one case. */
const MAX_BACKOFF_MS = 8_000;

/**
 * Submits the flight's case (its intent journaled first); see the module comment. Never rejects on a case's fault.
 * @param mayHaveStarted An earlier run journaled the intent but no execution id (`--resume`): the external id is
 *   looked up first, and submitted only when no execution carries it.
 */
export async function submitFlight(
  ctx: RunContext,
  flight: Flight,
  mayHaveStarted = false,
): Promise<SubmitResult> {
  const { journal, stop, clock } = ctx;
  journal.intent(flight.case.index, flight.externalId);
  try {
    await journal.durable();
  } catch {
    // The journal cannot be written: the run is stopping, and nothing may go out that the journal does not know of.
    return stopped(ctx, flight);
  }
  if (mayHaveStarted) {
    // The earlier run may have sent it and lost the answer: the same state as an ambiguous failure. Whether Vellum
    // refuses a reused external id (observed) or starts another execution (not excluded by its docs), an execution
    // already listed is adopted, never doubled.
    const found = await lookup(ctx, flight);
    if (stop.stopping !== null) return stopped(ctx, flight);
    if (found !== null) return adopt(ctx, flight, found);
  }
  let backoffMs = 100;
  let ambiguous = 0;
  let ambiguousSince = 0;
  for (;;) {
    if (stop.stopping !== null) return stopped(ctx, flight);
    flight.submittedAt ??= clock.now();
    let executionId: string;
    try {
      const response = await ctx.client.executeWorkflowAsync(
        {
          inputs: flight.case.inputs,
          ...ctx.submitTarget,
          releaseTag: ctx.releaseTag,
          externalId: flight.externalId,
          metadata: { ...flight.case.metadata, [RUN_ID_METADATA_KEY]: ctx.runId },
        },
        { signal: stop.signal, onRetry: (info) => info.rateLimited && rateLimited(ctx) },
      );
      executionId = response.execution_id;
      stop.noteReached();
      ctx.planner.submitAccepted();
      ctx.flights.wakeRoom();
    } catch (error) {
      if (stop.stopping !== null) return stopped(ctx, flight);
      if (error instanceof ExternalIdConflictError) {
        stop.noteReached();
        return locate(ctx, flight);
      }
      if (submitMayHaveStarted(error)) {
        if (ambiguous++ === 0) ambiguousSince = clock.now();
        const found = await lookup(ctx, flight);
        if (found !== null) return adopt(ctx, flight, found);
        const forMs = clock.now() - ambiguousSince;
        if (ambiguous >= MIN_AMBIGUOUS_TRIES && forMs >= AMBIGUOUS_PATIENCE_MS) {
          return ended(ctx, flight, true, 'SUBMIT_FAILED', {
            code: 'SUBMIT_OUTCOME_UNKNOWN',
            message: `${ambiguous} submits under external id ${flight.externalId} over ${Math.round(forMs / 1000)}s got no usable answer (last: ${messageOf(error)}) and no execution carries that id yet; it may still have started: --resume looks again`,
          });
        }
        if (!(await pause(ctx, backoffMs))) return stopped(ctx, flight);
        backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
        // No execution carried the id: the one the next submit creates starts now (its deadline counts from here).
        flight.submittedAt = clock.now();
        continue;
      }
      if (error instanceof AuthenticationError || error instanceof NotFoundError) {
        stop.request('fatal', fatalMessage(error));
        return ended(ctx, flight, true, 'SUBMIT_FAILED', errorOf(error, 'SUBMIT_ERROR'));
      }
      if (error instanceof ConnectionError) {
        // Nothing reached Vellum (the client retried what never left): wait while the breaker decides.
        stop.noteUnreachable(messageOf(error));
        if (!(await pause(ctx, backoffMs))) return stopped(ctx, flight);
        backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
        continue;
      }
      return ended(ctx, flight, false, 'SUBMIT_FAILED', errorOf(error, 'SUBMIT_ERROR'));
    }
    return accept(ctx, flight, executionId, false);
  }
}

/** The external id is proven used: find its execution, patiently (a queued one may not be listed yet). */
async function locate(ctx: RunContext, flight: Flight): Promise<SubmitResult> {
  const { clock, stop, options } = ctx;
  const since = clock.now();
  const deadline =
    options.executionTimeoutMs === undefined ? Infinity : flight.submittedAt! + options.executionTimeoutMs;
  let delayMs = 250;
  for (;;) {
    const found = await lookup(ctx, flight);
    if (found !== null) return adopt(ctx, flight, found);
    if (stop.stopping !== null) return stopped(ctx, flight);
    const now = clock.now();
    const refused = `Vellum refused external id ${flight.externalId} as already used, so an execution carries it, but`;
    if (now >= deadline) {
      return ended(ctx, flight, false, 'TIMED_OUT', {
        code: 'EXECUTION_TIMEOUT',
        message: `${refused} it was not listed within the execution timeout; it may still run in Vellum`,
      });
    }
    if (now - since >= options.lookupPatienceMs) {
      return ended(ctx, flight, true, 'TIMED_OUT', {
        code: 'EXECUTION_NOT_FOUND',
        message: `${refused} it was not listed within ${Math.round(options.lookupPatienceMs / 1000)}s; it may still run in Vellum: --resume looks again`,
      });
    }
    if (!(await pause(ctx, Math.min(delayMs, deadline - now)))) return stopped(ctx, flight);
    delayMs = Math.min(delayMs * 2, 5_000);
  }
}

/** One lookup of the flight's external id; null when none is listed (or the lookup failed: the caller decides). */
async function lookup(ctx: RunContext, flight: Flight): Promise<FoundExecution | null> {
  try {
    return await ctx.finder().find(flight.externalId, { signal: ctx.stop.signal });
  } catch {
    return null;
  }
}

/** An execution found by external id: this run's own (adopted), or another run's (a conflict, never adopted). */
async function adopt(ctx: RunContext, flight: Flight, found: FoundExecution): Promise<SubmitResult> {
  const owner = found.metadata?.[RUN_ID_METADATA_KEY];
  if (owner !== ctx.runId) {
    const whose = typeof owner === 'string' ? `run ${owner}` : 'no vellum-batch run';
    return ended(ctx, flight, false, 'SUBMIT_FAILED', {
      code: 'EXTERNAL_ID_CONFLICT',
      message: `external id ${flight.externalId} is already used by execution ${found.executionId}, which this run did not start (its metadata names ${whose}); use another --external-id-prefix`,
    });
  }
  return accept(ctx, flight, found.executionId, true);
}

/**
 * The submit's execution is known: this flight's, unless another case of this run holds it too. Then the case Vellum
 * lists it under (by external id) owns it: an id found by this flight's own external id is proven, a plain answer is
 * looked up once. Proven, this flight takes it from a holder still in the air (which lands refused) or already landed
 * (its record is replaced by a refused one); unproven, this flight is refused (a lookup that fails proves nothing, so
 * the holder keeps it).
 */
async function accept(
  ctx: RunContext,
  flight: Flight,
  executionId: string,
  adopted: boolean,
): Promise<SubmitResult> {
  const started: SubmitResult = { kind: 'started', executionId, adopted };
  if (ctx.flights.otherHolder(flight, executionId) === null) return started;
  const owned = adopted || (await listedUnder(ctx, flight, executionId));
  // Asked again: the lookup took time, in which the holder may have landed.
  const other = ctx.flights.otherHolder(flight, executionId);
  if (other === null) return started;
  if (!owned) {
    return ended(ctx, flight, false, 'SUBMIT_FAILED', duplicateError(executionId, flight.externalId, other));
  }
  const holder = ctx.flights.holderOf(executionId);
  if (holder === undefined) {
    // The holder landed with this flight's result: its record is replaced by a refused one (the latest record wins).
    const old = ctx.lander.supersede(
      ctx.flights.landedSlotOf(executionId)!,
      executionId,
      (record) => duplicateError(executionId, record.external_id, `case ${flight.case.id}`),
      ctx.clock.now(),
    );
    // Landed ids are kept as hashes: a record of another execution means no case held this one.
    if (old === 'other') return started;
    ctx.warn(
      `${other.replace(', already recorded', '')} was recorded with execution ${executionId}, which a submit answer gave it, but Vellum lists that execution under external id ${flight.externalId} (case ${flight.case.id}), which takes it: ` +
        (old === 'unreadable'
          ? `that record holds case ${flight.case.id}'s result, not its own, and could not be replaced; run that case again`
          : `that record is replaced by SUBMIT_FAILED (DUPLICATE_EXECUTION_ID); --retry-failed runs it again`),
    );
    return started;
  }
  const { message } = duplicateError(executionId, holder.externalId, `case ${flight.case.id}`);
  ctx.flights.disown(holder, message);
  // Its execution is this flight's: the model's slot is freed for it, no other execution starts in it.
  wakeAll(ctx.queue.leave(holder, ctx.clock.now(), false));
  return started;
}

/** Whether Vellum lists `executionId` under the flight's external id, started by this run. */
async function listedUnder(ctx: RunContext, flight: Flight, executionId: string): Promise<boolean> {
  const found = await lookup(ctx, flight);
  return found?.executionId === executionId && found.metadata?.[RUN_ID_METADATA_KEY] === ctx.runId;
}

/** The error of a case whose submit was answered with `whose` execution. */
function duplicateError(
  executionId: string,
  externalId: string,
  whose: string,
): { readonly code: 'DUPLICATE_EXECUTION_ID'; readonly message: string } {
  return {
    code: 'DUPLICATE_EXECUTION_ID',
    message: `Vellum answered execution id ${executionId} for external id ${externalId}, but that is the execution of ${whose}; not adopted`,
  };
}

function stopped(ctx: RunContext, flight: Flight): SubmitResult {
  return {
    kind: 'ended',
    landing: { record: stoppedRecord(flight, ctx.stop.stopping!, ctx.clock.now()), provisional: true },
  };
}

function ended(
  ctx: RunContext,
  flight: Flight,
  provisional: boolean,
  status: 'SUBMIT_FAILED' | 'TIMED_OUT',
  error: { readonly code: string; readonly message: string },
): SubmitResult {
  return {
    kind: 'ended',
    landing: { record: localRecord(flight, status, error, ctx.clock.now()), provisional },
  };
}

/** Sleeps `ms` unless the run stops first; false when it stopped. */
async function pause(ctx: RunContext, ms: number): Promise<boolean> {
  try {
    await ctx.clock.sleep(Math.max(0, ms), ctx.stop.signal);
    return true;
  } catch {
    return false;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A submit was answered 429: the window shrinks (see the planner), and the run says so the first time. */
function rateLimited(ctx: RunContext): void {
  if (!ctx.planner.rateLimited(ctx.clock.now()) || ctx.planner.rateLimitShrinks !== 1) return;
  ctx.warn(
    `Vellum is rate limiting submits (429): at most ${ctx.planner.window} executions are kept unfinished now, one more for each accepted submit`,
  );
}
